"""Where published events go: the ``Transport`` protocol, the HTTP transport, discovery.

A transport sends one batch and says how it went by what it raises; the publisher
owns every decision that follows (retry, split, drop). Discovery picks a transport
from the environment the first time something is published:

1. ``JUPYTER_SSE_REDIS_URL``: straight to Redis (``jupyter_sse.transport_redis``);
2. ``JUPYTER_SSE_URL`` + ``JUPYTER_SSE_TOKEN``: HTTP to a server (set for its kernels);
3. the runtime file ``jupyter_sse-<pid>.json`` of a server among this process's ancestors;
4. otherwise ``SSEConfigError``, which says how to set one of them.

Only the standard library is imported here: kernels import this on every publish.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, TypedDict, cast
from urllib.parse import urlsplit

from .errors import SSEConfigError

if TYPE_CHECKING:
    import http.client

PUBLISH_PATH: Final = "sse/publish"
REQUEST_TIMEOUT: Final = 10.0  # seconds to connect, and to wait for an answer
MAX_ANCESTORS: Final = 64  # a process tree is never this deep; it bounds a /proc loop

HOW_TO_CONFIGURE: Final = (
    "no jupyter-sse server to publish to. Either run this inside a Jupyter kernel (or a "
    "terminal) started by a Jupyter server with the jupyter_sse extension enabled; or set "
    "JUPYTER_SSE_URL to the server's base URL (e.g. http://127.0.0.1:8888/) and "
    "JUPYTER_SSE_TOKEN to its Jupyter token or publish token; or set JUPYTER_SSE_REDIS_URL "
    "(e.g. redis://localhost:6379/0) when the server uses Redis"
)


# --- what a transport reports --------------------------------------------------------


class TransportError(Exception):
    """A batch was not published; the subclass tells the publisher what to do next."""


class RetryLater(TransportError):
    """Nothing was published but trying again may work (server down, 5xx, 429)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BatchRefused(TransportError):
    """The batch as a whole was refused (400, 413): nothing of it was published.

    Some of its events may be fine on their own, so the publisher splits it to find
    the ones that are not.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Rejected(TransportError):
    """No event can get through as things stand (token refused, no such endpoint)."""


class Transport(Protocol):
    """What the publisher needs from a way of publishing.

    ``send`` is only ever called from the publisher's one background thread. It gets
    encoded event objects (``{"channel", "type", "data", "id"}`` as JSON bytes) and
    returns the ids the stream assigned, in order. It publishes all of a batch or
    none of it, and raises a ``TransportError`` subclass when it did not; an event
    whose ``(channel, id)`` was already published must not be published again, so
    that a retry after a lost answer is harmless.

    Constructing a transport does no I/O (it happens at the first ``publish``, which
    must not block). ``send`` may run in a forked child: it must not reuse a
    connection opened by the parent.
    """

    @property
    def description(self) -> str:
        """Where events go, for ``stats()`` and error messages; never contains a secret."""

    def send(self, batch: Sequence[bytes]) -> list[str]:
        """Publish ``batch``; the ids assigned, or a ``TransportError``."""

    def close(self) -> None:
        """Release connections. ``send`` may reconnect afterwards."""


# --- HTTP ----------------------------------------------------------------------------


class HTTPTransport:
    """``POST sse/publish`` over one kept-alive ``http.client`` connection.

    ``url`` is the server's base URL (``http://127.0.0.1:8888/base/``); ``token`` is a
    Jupyter token or the server's publish token (empty: no ``Authorization`` header).
    """

    def __init__(self, url: str, token: str = "", *, timeout: float = REQUEST_TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SSEConfigError(
                f"JUPYTER_SSE_URL must be an http(s) URL such as http://127.0.0.1:8888/, "
                f"got {url!r}"
            )
        base = url if url.endswith("/") else url + "/"
        self.url = base
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (urlsplit(base).path or "/") + PUBLISH_PATH
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"token {token}"
        self._conn: http.client.HTTPConnection | None = None
        self._pid = os.getpid()

    @property
    def description(self) -> str:
        """The base URL (the token is never part of it)."""
        return self.url

    def send(self, batch: Sequence[bytes]) -> list[str]:
        """POST ``batch`` as one JSON array and return the ids the server assigned."""
        # http.client (and the email parser it loads) is imported at the first send, not
        # with the package: a kernel that imports jupyter_sse may never publish.
        import http.client

        body = b"[" + b",".join(batch) + b"]"
        status, headers, payload = self._post(body)
        if status == 200:
            ids = _json_field(payload, "ids")
            if not isinstance(ids, list) or len(ids) != len(batch):
                raise RetryLater(
                    f"unexpected answer from {self.url}{PUBLISH_PATH}: {payload[:200]!r}"
                )
            return [str(i) for i in ids]
        error = _json_field(payload, "error")
        reason = error if isinstance(error, str) else http.client.responses.get(status, "")
        where = f"{self.url}{PUBLISH_PATH} answered {status}: {reason}"
        if status in (400, 413):
            raise BatchRefused(where, status)
        if status == 429 or status >= 500:
            raise RetryLater(where, _retry_after(headers.get("Retry-After")))
        if not isinstance(error, str):
            # Every answer of the extension is a JSON error; anything else came from a
            # server (or proxy) without it, whatever the status says (often 403 or 404).
            raise Rejected(f"{where}; is the jupyter_sse extension enabled on that server?")
        if status in (401, 403):
            raise Rejected(f"{where}; check JUPYTER_SSE_TOKEN (a server restart draws a new one)")
        raise Rejected(where)

    def close(self) -> None:
        """Close the kept-alive connection; the next ``send`` opens a new one."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _post(self, body: bytes) -> tuple[int, http.client.HTTPMessage, bytes]:
        import http.client

        if self._pid != os.getpid():
            # A forked child shares the parent's socket: writing to it would interleave
            # two processes' requests on one connection. Forget it without closing it.
            self._conn, self._pid = None, os.getpid()
        reused = self._conn is not None
        try:
            return self._request(body)
        except (OSError, http.client.HTTPException) as first:
            self.close()
            if not reused:
                raise RetryLater(f"server unreachable at {self.url}: {_describe(first)}") from None
        # A kept-alive connection the server closed while idle fails on its next use;
        # that says nothing about the server, so one fresh connection is tried at once.
        try:
            return self._request(body)
        except (OSError, http.client.HTTPException) as second:
            self.close()
            raise RetryLater(f"server unreachable at {self.url}: {_describe(second)}") from None

    def _request(self, body: bytes) -> tuple[int, http.client.HTTPMessage, bytes]:
        import http.client

        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout)
        self._conn.request("POST", self._path, body=body, headers=self._headers)
        response = self._conn.getresponse()
        payload = response.read()  # read to the end, or the connection cannot be reused
        if response.will_close:
            self.close()
        return response.status, response.headers, payload


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _json_field(payload: bytes, name: str) -> Any:
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    return value.get(name) if isinstance(value, dict) else None


def _retry_after(value: str | None) -> float | None:
    # Only the delta-seconds form: the server sends that, and an HTTP date would need
    # a synchronized clock to mean anything.
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


# --- discovery -----------------------------------------------------------------------


def discover(environ: Mapping[str, str] | None = None) -> Transport:
    """The transport this process should use, from its environment (see module doc)."""
    env = os.environ if environ is None else environ
    redis_url = env.get("JUPYTER_SSE_REDIS_URL")
    if redis_url:
        return redis_transport(redis_url)
    url = env.get("JUPYTER_SSE_URL")
    if url:
        return HTTPTransport(url, env.get("JUPYTER_SSE_TOKEN", ""))
    found = find_runtime_file()
    if found is not None:
        return HTTPTransport(found["url"], found["token"])
    raise SSEConfigError(HOW_TO_CONFIGURE)


def redis_transport(url: str) -> Transport:
    """The Redis transport: ``jupyter_sse.transport_redis.RedisTransport(url)``.

    That module is the plug-in point: it needs the ``redis`` package, which is an
    optional dependency, so it is imported only when Redis is asked for.
    """
    try:
        # importlib rather than an import statement: the module is optional, and the
        # type checker must not require it to exist.
        module = importlib.import_module("jupyter_sse.transport_redis")
    except ModuleNotFoundError as e:
        missing = e.name or ""
        if missing != "jupyter_sse.transport_redis" and missing.partition(".")[0] != "redis":
            raise
        raise SSEConfigError(
            "JUPYTER_SSE_REDIS_URL is set but Redis support is not installed: "
            "pip install 'jupyter-sse[redis]'"
        ) from None
    factory = cast(Callable[[str], Transport], module.RedisTransport)
    return factory(url)


class RuntimeInfo(TypedDict):
    """What a server writes to ``jupyter_sse-<pid>.json`` (mode 0600) in the runtime dir."""

    url: str
    token: str
    pid: int


def find_runtime_file(
    runtime_dir: str | os.PathLike[str] | None = None, pid: int | None = None
) -> RuntimeInfo | None:
    """The runtime file of the nearest ancestor of ``pid`` that is a server with the
    extension (a kernel's or a terminal's parent), or None."""
    if runtime_dir is None:
        # Imported here: only a process with no environment settings ever needs it.
        from jupyter_core.paths import jupyter_runtime_dir

        runtime_dir = jupyter_runtime_dir()
    folder = Path(runtime_dir)
    for ancestor in ancestors(os.getpid() if pid is None else pid):
        info = _read_runtime_file(folder / f"jupyter_sse-{ancestor}.json", ancestor)
        if info is not None:
            return info
    return None


def _read_runtime_file(path: Path, pid: int) -> RuntimeInfo | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    # A file whose pid is not its name's is a leftover of another process, and a pid is
    # reused over time: trusting it would send events (and a token) to a stranger.
    if not isinstance(value, dict) or value.get("pid") != pid:
        return None
    url, token = value.get("url"), value.get("token")
    if not isinstance(url, str) or not isinstance(token, str):
        return None
    return {"url": url, "token": token, "pid": pid}


def ancestors(pid: int) -> Iterator[int]:
    """The parent, grandparent, … of ``pid``, nearest first (Linux: the whole chain from
    ``/proc``; elsewhere only the parent of this process, which is all the stdlib knows)."""
    if not sys.platform.startswith("linux"):
        if pid == os.getpid():
            yield os.getppid()
        return
    for _ in range(MAX_ANCESTORS):
        parent = _parent_from_proc(pid)
        if parent is None or parent <= 1:
            return
        yield parent
        pid = parent


def _parent_from_proc(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may itself contain spaces and parentheses, so
    # the fields are counted from the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
