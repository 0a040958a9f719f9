"""To a server over HTTP: the transport of kernels and scripts by default.

Batches go as messages on one kept-open WebSocket, ``sse/publish/socket``: the server
then knows the caller from the handshake, and a batch costs it only its events (a
third of a ``POST``'s time: bench/README.md). A server (or a proxy on the way) without
the socket answers its handshake with anything but 101, and the transport then POSTs
``sse/publish``, as it did before the socket existed, for the rest of its life (for a
minute, when the server holds as many sockets as it will).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from ...wire.errors import SSEConfigError, describe
from ...wire.runtime import PUBLISH_PATH, TOKEN_ENV, URL_ENV
from .base import BatchRefused, Rejected, RetryLater
from .websocket import Closed, HandshakeRefused, WebSocket

# The publish socket's close code for a token that no longer publishes (the server's
# ``publish_socket.CLOSE_REFUSED``; the kernel does not import the server).
CLOSE_REFUSED: Final = 4401
SOCKET_RETRY: Final = 60.0  # seconds of POSTs after a server refused a socket as full

if TYPE_CHECKING:
    import http.client

REQUEST_TIMEOUT: Final = 10.0  # seconds to connect, and to wait for an answer


@dataclass(frozen=True)
class _Answer:
    """A publish answer as a POST has it, whichever way it came; its JSON read once."""

    status: int
    retry_after: str | None  # the Retry-After header, or the socket's "retry_after"
    fields: dict[str, Any]  # the JSON object answered; empty when it was not one
    raw: bytes  # as it came, for error messages


def _answer(status: int, retry_after: str | None, payload: bytes) -> _Answer:
    return _Answer(status, retry_after, _json_object(payload), payload)


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class HTTPTransport:
    """``sse/publish/socket`` (or ``POST sse/publish`` over one kept-alive
    ``http.client`` connection, where there is no socket): see the module doc.

    ``url`` is the server's base URL (``http://127.0.0.1:8888/base/``); ``token`` is a
    Jupyter token or the server's publish token (empty: no ``Authorization`` header).
    ``refresh``, when given, is asked for a new token once the server refuses the one in
    use (its secret was rotated): the server of a kernel rewrites its runtime file then.
    """

    def __init__(
        self,
        url: str,
        token: str = "",
        *,
        timeout: float = REQUEST_TIMEOUT,
        refresh: Callable[[], str | None] | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SSEConfigError(
                f"{URL_ENV} must be an http(s) URL such as http://127.0.0.1:8888/, got {url!r}"
            )
        base = url if url.endswith("/") else url + "/"
        self.url = base
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (urlsplit(base).path or "/") + PUBLISH_PATH
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self._token = token
        if token:
            self._headers["Authorization"] = f"token {token}"
        self._refresh = refresh
        self._conn: http.client.HTTPConnection | None = None
        self._socket: WebSocket | None = None
        self._socket_usable = True
        self._socket_after = 0.0  # monotonic time before which it POSTs (the server is full)
        self._pid = os.getpid()

    @property
    def description(self) -> str:
        """The base URL (the token is never part of it)."""
        return self.url

    def send(self, batch: Sequence[bytes]) -> list[str]:
        """Publish ``batch`` as one JSON array and return the ids the server assigned."""
        # http.client (and the email parser it loads) is imported at the first send, not
        # with the package: a kernel that imports jupyter_sse may never publish.
        import http.client

        body = b"[" + b",".join(batch) + b"]"
        answer = self._exchange(body)
        if answer.status in (401, 403) and self._renewed():
            answer = self._exchange(body)
        status = answer.status
        if status == 200:
            ids = answer.fields.get("ids")
            if not isinstance(ids, list) or len(ids) != len(batch):
                raise RetryLater(
                    f"unexpected answer from {self.url}{PUBLISH_PATH}: {answer.raw[:200]!r}"
                )
            return [str(i) for i in ids]
        error = answer.fields.get("error")
        reason = error if isinstance(error, str) else http.client.responses.get(status, "")
        where = f"{self.url}{PUBLISH_PATH} answered {status}: {reason}"
        if status in (400, 413):
            raise BatchRefused(where, status)
        if status == 429 or status >= 500:
            raise RetryLater(where, _retry_after(answer.retry_after))
        if not isinstance(error, str):
            # Every answer of the extension is a JSON error; anything else came from a
            # server (or proxy) without it, whatever the status says (often 403 or 404).
            raise Rejected(f"{where}; is the jupyter_sse extension enabled on that server?")
        if status in (401, 403):
            raise Rejected(
                f"{where}; check {TOKEN_ENV}: the server's secret may have been rotated "
                "(`jupyter sse rotate-secret`); restart this process to pick up the new one"
            )
        raise Rejected(where)

    def _exchange(self, body: bytes) -> _Answer:
        """Publish ``body``: on the publish socket while the server has one, else POST."""
        if self._socket_usable and time.monotonic() >= self._socket_after:
            answer = self._socket_exchange(body)
            if answer is not None:
                return answer
        status, headers, payload = self._post(body)
        return _answer(status, headers.get("Retry-After"), payload)

    def _socket_exchange(self, body: bytes) -> _Answer | None:
        # None: no publish socket to be had (an older server, or a proxy that does not
        # pass WebSockets on: this transport POSTs from then on; or a server that holds
        # as many as it will: for SOCKET_RETRY seconds).
        if self._pid != os.getpid():
            self._forget()
        reused = self._socket is not None
        while True:
            try:
                if self._socket is None:
                    opened = WebSocket(
                        self._host,
                        self._port or (443 if self._https else 80),
                        https=self._https,
                        path=self._path + "/socket",
                        headers=self._headers,
                        timeout=self._timeout,
                    )
                    opened.connect()
                    self._socket = opened
                answer = self._socket.exchange(body)
            except HandshakeRefused as e:
                if e.status in (401, 403):
                    return _answer(e.status, None, e.body)
                if e.status == 429:
                    # The server holds as many sockets as it will: POST meanwhile.
                    self._socket_after = time.monotonic() + SOCKET_RETRY
                else:
                    self._socket_usable = False
                return None
            except Closed as e:
                self._close_socket()
                if e.code == 1009:
                    return _answer(413, None, b'{"error": "batch larger than the server takes"}')
                if e.code == CLOSE_REFUSED:
                    return _answer(401, None, b'{"error": "publish token no longer valid"}')
                if reused:
                    reused = False  # closed while idle: one fresh connection, at once
                    continue
                raise RetryLater(f"server unreachable at {self.url}: {e}") from None
            except OSError as e:
                self._close_socket()
                if reused:
                    reused = False
                    continue
                raise RetryLater(f"server unreachable at {self.url}: {describe(e)}") from None
            fields = _json_object(answer)
            if fields.get("ids") is not None:
                return _Answer(200, None, fields, answer)
            status = fields.get("status")
            if not isinstance(status, int):
                self._close_socket()
                raise RetryLater(
                    f"unexpected answer from {self.url}{PUBLISH_PATH}: {answer[:200]!r}"
                )
            if status in (401, 403):
                self._close_socket()  # the next try connects with the renewed token
            retry = fields.get("retry_after")
            return _Answer(status, None if retry is None else str(retry), fields, answer)

    def _renewed(self) -> bool:
        """Take a new token from ``refresh`` if it has one; True when it did."""
        token = self._refresh() if self._refresh is not None else None
        if not token or token == self._token:
            return False
        self._token = token
        self._headers["Authorization"] = f"token {token}"
        return True

    def close(self) -> None:
        """Close the kept-alive connections; the next ``send`` opens a new one."""
        self._close_socket()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _forget(self) -> None:
        # A forked child shares the parent's sockets: writing to them would interleave
        # two processes' messages on one connection. Forget them without closing them.
        if self._socket is not None:
            self._socket.forget()
        self._conn, self._socket, self._pid = None, None, os.getpid()

    def _post(self, body: bytes) -> tuple[int, http.client.HTTPMessage, bytes]:
        import http.client

        if self._pid != os.getpid():
            self._forget()
        reused = self._conn is not None
        try:
            return self._request(body)
        except (OSError, http.client.HTTPException) as first:
            self.close()
            if not reused:
                raise RetryLater(f"server unreachable at {self.url}: {describe(first)}") from None
        # A kept-alive connection the server closed while idle fails on its next use;
        # that says nothing about the server, so one fresh connection is tried at once.
        try:
            return self._request(body)
        except (OSError, http.client.HTTPException) as second:
            self.close()
            raise RetryLater(f"server unreachable at {self.url}: {describe(second)}") from None

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


def _retry_after(value: str | None) -> float | None:
    # Only the delta-seconds form: the server sends that, and an HTTP date would need
    # a synchronized clock to mean anything.
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
