"""``GET sse/publish/socket``: publishing over one kept-open WebSocket.

A publisher that sends one small batch at a time (a kernel's loop at 10 events/s) paid
jupyter_server's and tornado's whole request per batch over ``POST sse/publish``: the
route lookup, the handler, the identity, the request log, ~0.7 ms of the server's
Python of the ~1.8 ms from a call to its event on a stream. On a socket the caller is
known once, and each message is only its events: p50 0.9-1.1 ms against 1.7-1.8, p99
1.4-1.7 against 2.8-3.1 (bench/README.md).

The protocol: the handshake carries ``Authorization: token <token>`` (a publish token,
or a Jupyter token whose user may write ``jupyter_sse``); a browser cannot set that
header on a WebSocket, so no page can open one with its user's cookie. Each text or
binary message is a publish body (one event object or a JSON array), answered in order
by one text message: ``{"ids": [...]}``, or ``{"error", "status"[, "retry_after"]}``
with the status ``POST sse/publish`` would have answered; a refused message changes
nothing and the socket stays open. A message larger than the largest request closes
the socket (1009). Messages are handled one at a time, the next read only once the
last is answered and its answer written: a publisher that does not read its answers
stops its own socket, and holds at most one message and one answer of server memory.
A server holds at most ``max_publish_sockets`` (429 past it: the kernel's transport
then POSTs for a while).
"""

from __future__ import annotations

import json
from typing import Any, Final

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.utils import ensure_async
from tornado import web
from tornado.ioloop import IOLoop
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .auth import Principal
from .handler_base import AUTH_RESOURCE, RefusedError, SSEHandler
from .metrics import PUBLISH_SECONDS_SOCKET
from .publishing import publish_body
from .secret import InvalidSecret

IDLE_CLOSE: Final = 600.0  # seconds without a message before the server closes a socket
CLOSE_REFUSED: Final = 4401  # the socket's token no longer publishes (secret rotated)


class PublishSocketHandler(WebSocketHandler, SSEHandler):
    """The publish socket: see the module doc."""

    principal: Principal
    key = ""
    _token = ""
    _idle: object | None = None
    _last_message = 0.0  # loop time

    def check_origin(self, origin: str | None = None) -> bool:
        # The rule of every other route (Origin, when sent, must be this server or
        # allowed); tornado asks again with the handshake's Origin.
        return SSEHandler.check_origin(self)

    @property
    def max_message_size(self) -> int:
        return self.services.limits.body_bytes

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        token = self.header_token
        if token is None:
            raise web.HTTPError(
                401, "a publish socket needs the header 'Authorization: token <token>'"
            )
        principal = await self.authorize("user", "publisher")
        if principal.kind == "user":
            # A GET, read by the authorizer as "read"; a publish writes.
            allowed = self.authorizer.is_authorized(self, self.current_user, "write", AUTH_RESOURCE)
            if not await ensure_async(allowed):
                raise web.HTTPError(403, f"not authorized to write {AUTH_RESOURCE}")
        services, limits = self.services, self.services.limits
        sockets = services.publish_sockets
        if len(sockets) >= limits.max_publish_sockets:
            raise RefusedError(
                429,
                f"server holds its maximum of {limits.max_publish_sockets} publish sockets; "
                "POST sse/publish",
                {"Retry-After": "60"},
            )
        if len(services.connections) + len(sockets) >= limits.max_connections:
            raise web.HTTPError(
                429, f"server holds its maximum of {limits.max_connections} connections"
            )
        mine = sum(1 for s in sockets if s.key == principal.key)
        if services.connections.of_user(principal.key) + mine >= limits.max_connections_per_user:
            raise web.HTTPError(
                429, f"at most {limits.max_connections_per_user} connections per user; close some"
            )
        self.principal, self.key, self._token = principal, principal.key, token

    @allow_unauthenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        headers = self.request.headers
        if headers.get("Upgrade", "").lower() != "websocket" or "upgrade" not in (
            headers.get("Connection", "").lower()
        ):
            # tornado would answer this in plain text; every route answers JSON.
            raise web.HTTPError(
                400, "sse/publish/socket is a WebSocket (Upgrade: websocket); or POST sse/publish"
            )
        await super().get(*args, **kwargs)

    def open(self, *args: str, **kwargs: str) -> None:
        self.services.publish_sockets.add(self)
        loop = IOLoop.current()
        self._last_message = loop.time()
        self._idle = loop.call_later(IDLE_CLOSE, self._close_if_idle)

    async def on_message(self, message: str | bytes) -> None:
        connection = self.ws_connection
        if connection is None or connection.is_closing():
            # Closed by the server (stopping, idle) while the message was on its way: it
            # could not be answered, so it is not published; the publisher, seeing the
            # close instead of an answer, sends it again on a new socket.
            return
        self._last_message = IOLoop.current().time()
        body = message.encode() if isinstance(message, str) else message
        answer: dict[str, Any]
        with PUBLISH_SECONDS_SOCKET.time():
            try:
                if self.principal.kind == "publisher" and (
                    self.services.publish_token.subject_of(self._token) is None
                ):
                    # The secret was rotated: this token publishes no more (as a POST
                    # with it would be refused); the publisher takes the new one and
                    # reconnects.
                    raise web.HTTPError(401, "publish token no longer valid")
                answer = {"ids": await publish_body(self.services, self.principal, body)}
            except web.HTTPError as e:
                answer = {"error": e.log_message or "refused", "status": e.status_code}
                if isinstance(e, RefusedError) and "Retry-After" in e.headers:
                    answer["retry_after"] = float(e.headers["Retry-After"])
            except InvalidSecret as e:
                # As every route answers it: nothing is signed or checked until it is fixed.
                answer = {"error": str(e), "status": 503, "retry_after": 60.0}
        try:
            await self.write_message(json.dumps(answer))
        except WebSocketClosedError:
            return
        if answer.get("status") == 401:
            self.close(CLOSE_REFUSED, "publish token no longer valid")

    def on_close(self) -> None:
        self.services.publish_sockets.discard(self)
        if self._idle is not None:
            IOLoop.current().remove_timeout(self._idle)
            self._idle = None

    def _close_if_idle(self) -> None:
        # One timer per socket, moved on when it fires rather than replaced at each
        # message: a kernel may send a thousand a second.
        loop = IOLoop.current()
        left = self._last_message + IDLE_CLOSE - loop.time()
        if left > 0:
            self._idle = loop.call_later(left, self._close_if_idle)
        else:
            self._idle = None
            self.close(1000, "idle")
