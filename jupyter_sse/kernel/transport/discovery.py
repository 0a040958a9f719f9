"""Finding the way out: which transport a process publishes with, and which server it
talks to.

``discover`` picks a transport from the environment the first time something is
published:

1. ``JUPYTER_SSE_REDIS_URL``: straight to Redis (``transport.redis``);
2. ``JUPYTER_SSE_URL`` + ``JUPYTER_SSE_TOKEN``: HTTP to a server (set for its kernels);
3. the runtime file ``jupyter_sse-<pid>.json`` of a server among this process's ancestors;
4. otherwise ``SSEConfigError``, which says how to set one of them.

``find_server`` is the one way to find the running Jupyter server (for ``share()`` and
the ``jupyter sse`` commands): the server this process runs under, else the newest
running server of this user.

Only the standard library is imported at module level: kernels import this on every
publish.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from ...wire.errors import SSEConfigError
from ...wire.runtime import (
    REDIS_URL_ENV,
    TOKEN_ENV,
    URL_ENV,
    RuntimeInfo,
    runtime_file_name,
)
from .base import Transport
from .http import HTTPTransport

MAX_ANCESTORS: Final = 64  # a process tree is never this deep; it bounds a /proc loop

HOW_TO_CONFIGURE: Final = (
    "no jupyter-sse server to publish to. Either run this inside a Jupyter kernel (or a "
    "terminal) started by a Jupyter server with the jupyter_sse extension enabled; or set "
    f"{URL_ENV} to the server's base URL (e.g. http://127.0.0.1:8888/) and "
    f"{TOKEN_ENV} to its Jupyter token or publish token; or set {REDIS_URL_ENV} "
    "(e.g. redis://localhost:6379/0) when the server uses Redis"
)


def discover(environ: Mapping[str, str] | None = None) -> Transport:
    """The transport this process should use, from its environment (see module doc)."""
    env = os.environ if environ is None else environ
    redis_url = env.get(REDIS_URL_ENV)
    if redis_url:
        return redis_transport(redis_url)
    url = env.get(URL_ENV)
    if url:
        return HTTPTransport(url, env.get(TOKEN_ENV, ""), refresh=_runtime_token)
    found = find_runtime_file()
    if found is not None:
        return HTTPTransport(found["url"], found["token"], refresh=_runtime_token)
    raise SSEConfigError(HOW_TO_CONFIGURE)


def _runtime_token() -> str | None:
    # After a rotation the server rewrites its runtime file: a kernel (or terminal) under
    # it reads the new publish token there instead of losing every event.
    found = find_runtime_file()
    return found["token"] if found is not None else None


def redis_transport(url: str) -> Transport:
    """The Redis transport (``transport.redis.RedisTransport(url)``).

    It needs the ``redis`` package, an optional dependency, so it is imported only when
    Redis is asked for.
    """
    try:
        from .redis import RedisTransport
    except ModuleNotFoundError as e:
        missing = e.name or ""
        if missing != __package__ + ".redis" and missing.partition(".")[0] != "redis":
            raise
        raise SSEConfigError(
            f"{REDIS_URL_ENV} is set but Redis support is not installed: "
            "pip install 'jupyter-sse[redis]'"
        ) from None
    return RedisTransport(url)


# --- servers of this user -------------------------------------------------------------


def runtime_folder() -> Path:
    """Jupyter's runtime dir, where servers write their info files."""
    # Imported here: only a process with no environment settings ever needs it.
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir())


def find_runtime_file(
    runtime_dir: str | os.PathLike[str] | None = None, pid: int | None = None
) -> RuntimeInfo | None:
    """The runtime file of the nearest ancestor of ``pid`` that is a server with the
    extension (a kernel's or a terminal's parent), or None."""
    folder = Path(runtime_dir) if runtime_dir is not None else runtime_folder()
    for ancestor in ancestors(os.getpid() if pid is None else pid):
        info = _read_runtime_file(folder / runtime_file_name(ancestor), ancestor)
        if info is not None:
            return info
    return None


def find_server(runtime_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The Jupyter server to talk to, as its ``jpserver-<pid>.json`` describes it.

    The server this process runs under (a kernel's or a terminal's), else the newest
    server of this user that is still running; ``SSEConfigError`` if there is none.
    """
    folder = Path(runtime_dir) if runtime_dir is not None else runtime_folder()
    for pid in ancestors(os.getpid()):
        info = _read_server_file(folder / f"jpserver-{pid}.json", pid)
        if info is not None:
            return info
    running = []
    for path in folder.glob("jpserver-*.json"):
        pid_text = path.stem.removeprefix("jpserver-")
        if not pid_text.isdigit() or not _alive(int(pid_text)):
            continue  # a leftover of a server that did not exit cleanly
        info = _read_server_file(path, int(pid_text))
        if info is not None:
            running.append((path.stat().st_mtime, info))
    if running:
        return max(running, key=lambda found: found[0])[1]
    raise SSEConfigError(
        "no running Jupyter server found: start one (jupyter lab), or pass the server's "
        "URL and a Jupyter token (share(..., server_url=, token=) or --url and --token)"
    )


def running_sse_servers(runtime_dir: str | os.PathLike[str] | None = None) -> list[RuntimeInfo]:
    """The runtime files of this user's running servers with the extension."""
    folder = Path(runtime_dir) if runtime_dir is not None else runtime_folder()
    found = []
    for path in sorted(folder.glob(runtime_file_name(0).replace("-0.", "-*."))):
        pid_text = path.stem.rpartition("-")[2]
        if pid_text.isdigit() and _alive(int(pid_text)):
            info = _read_runtime_file(path, int(pid_text))
            if info is not None:
                found.append(info)
    return found


def _read_server_file(path: Path, pid: int) -> dict[str, Any] | None:
    value = _read_info(path, pid)
    if value is None or not isinstance(value.get("url"), str):
        return None
    return value if isinstance(value.get("token", ""), str) else None


def _read_runtime_file(path: Path, pid: int) -> RuntimeInfo | None:
    value = _read_info(path, pid)
    url, token = (value.get("url"), value.get("token")) if value is not None else (None, None)
    if not isinstance(url, str) or not isinstance(token, str):
        return None
    info: RuntimeInfo = {"url": url, "token": token, "pid": pid}
    secret = value.get("secret") if value is not None else None
    if isinstance(secret, str):
        info["secret"] = secret
    return info


def _read_info(path: Path, pid: int) -> dict[str, Any] | None:
    """The JSON object a server process ``pid`` wrote to ``path``, or None."""
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    # A file whose pid is not its name's is a leftover of another process, and a pid is
    # reused over time: trusting it would send events (and a token) to a stranger.
    if not isinstance(value, dict) or value.get("pid") != pid:
        return None
    return value


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive, but not ours to signal
    return True


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
