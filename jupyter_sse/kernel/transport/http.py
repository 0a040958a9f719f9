"""``POST sse/publish`` over HTTP: the transport of kernels and scripts by default."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from ...wire.errors import SSEConfigError, describe
from ...wire.runtime import PUBLISH_PATH, TOKEN_ENV, URL_ENV
from .base import BatchRefused, Rejected, RetryLater

if TYPE_CHECKING:
    import http.client

REQUEST_TIMEOUT: Final = 10.0  # seconds to connect, and to wait for an answer


class HTTPTransport:
    """``POST sse/publish`` over one kept-alive ``http.client`` connection.

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
        if status in (401, 403) and self._renewed():
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
            raise Rejected(
                f"{where}; check {TOKEN_ENV}: the server's secret may have been rotated "
                "(`jupyter sse rotate-secret`); restart this process to pick up the new one"
            )
        raise Rejected(where)

    def _renewed(self) -> bool:
        """Take a new token from ``refresh`` if it has one; True when it did."""
        token = self._refresh() if self._refresh is not None else None
        if not token or token == self._token:
            return False
        self._token = token
        self._headers["Authorization"] = f"token {token}"
        return True

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
