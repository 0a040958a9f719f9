"""HTTP routes. Each handler authorizes, hands the work to a service, and answers.

Parsing lives in ``validate``, the wire format in ``protocol``, the write side of a
stream in ``stream`` and storage in the broker: a handler only wires them together.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import math
import time
from functools import partial
from http.client import responses
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import ensure_async
from tornado import web
from tornado.http1connection import HTTP1Connection

from . import viewer as viewers
from .auth import Kind, Principal, bearer_token, scrub_uri
from .broker.base import BrokerUnavailable
from .errors import SSEValueError
from .protocol import MAX_PATTERNS_PER_STREAM, check_pattern, encode_retry
from .services import Services
from .stream import Connection
from .validate import RejectedInput, parse_publish_body

AUTH_RESOURCE = "jupyter_sse"
MAX_CURSOR_LENGTH = 256


class RefusedError(web.HTTPError):
    """An ``HTTPError`` that keeps headers (``Retry-After``) through tornado's ``clear()``."""

    def __init__(self, status: int, message: str, headers: dict[str, str]) -> None:
        super().__init__(status, message)
        self.headers = headers


class SSEHandler(JupyterHandler):
    """Base of every route: JSON errors, no login redirects, our own auth decision."""

    auth_resource = AUTH_RESOURCE
    services: Services

    def initialize(self, services: Services) -> None:
        self.services = services

    async def prepare(self) -> None:  # type: ignore[override]
        # Jupyter's prepare resolves the user and checks host and XSRF; it must not
        # redirect to a login page: a script or EventSource needs a status code.
        await super().prepare(_redirect_to_login=False)
        if not self.check_origin():
            raise web.HTTPError(403, "cross-origin request refused")
        await self.services.start()

    def check_xsrf_cookie(self) -> None:
        # A publish token travels in a header that a foreign page cannot set, so such a
        # request cannot be forged cross-site; XSRF protects cookie-authenticated calls.
        # Without a logged-in user there is nothing to forge: authorize() answers 401,
        # which tells a script more than an XSRF 403 would.
        if not hasattr(self, "_jupyter_current_user"):
            return  # tornado calls this before prepare(); prepare() calls it again
        token = bearer_token(self.request)
        if self._jupyter_current_user is None or (
            token is not None and self.services.publish_token.matches(token)
        ):
            return
        super().check_xsrf_cookie()

    def _request_summary(self) -> str:
        # tornado logs this with every refused request; the URI may carry a token.
        return (
            f"{self.request.method} {scrub_uri(self.request.uri or '')} ({self.request.remote_ip})"
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = responses.get(status_code, "error")
        exc_info = kwargs.get("exc_info")
        if exc_info is not None:
            error = exc_info[1]
            if isinstance(error, web.HTTPError) and error.log_message:
                message = error.log_message
            if isinstance(error, RefusedError):
                for name, value in error.headers.items():
                    self.set_header(name, value)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"error": message, "status": status_code}))

    def write_json(self, value: object) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(value))

    async def authorize(self, *allowed: Kind) -> Principal:
        """The caller, if it is one of ``allowed`` kinds and has the right; else 401/403."""
        principal = await self._identify()
        if principal.kind not in allowed:
            reasons = {
                "publisher": "a publish token may only publish",
                "viewer": "a viewer token may only read its own channels",
            }
            raise web.HTTPError(403, reasons.get(principal.kind, "not allowed for this caller"))
        return principal

    async def _identify(self) -> Principal:
        token = bearer_token(self.request)
        if token is not None and self.services.publish_token.matches(token):
            return Principal("publisher", "publisher")
        user = self.current_user
        if user is not None:
            action = "read" if self.request.method in ("GET", "HEAD") else "write"
            allowed = self.authorizer.is_authorized(self, user, action, AUTH_RESOURCE)
            if not await ensure_async(allowed):
                raise web.HTTPError(403, f"not authorized to {action} {AUTH_RESOURCE}")
            return Principal("user", user.username)
        candidate = (
            (token if token is not None and token.startswith(viewers.PREFIX) else None)
            or self.get_query_argument("token", None)
            or self.get_cookie(viewers.COOKIE)
        )
        if candidate is not None and candidate.startswith(viewers.PREFIX):
            try:
                grant = viewers.verify(self.services.viewer_secret.current(), candidate)
            except viewers.InvalidToken as e:
                raise web.HTTPError(403, f"viewer token refused: {e}") from None
            return Principal("viewer", f"viewer:{grant.nonce}", grant.channels, grant.expires)
        raise web.HTTPError(
            401, "authentication required: send 'Authorization: token <token>' or log in"
        )


class StreamHandler(SSEHandler):
    """``GET sse/stream``: the event stream of one or more channels.

    Once the headers are out, the socket is taken over from tornado's HTTP layer
    (``detach``): the ``Connection`` writes the chunk framing itself, straight to the
    socket, which costs a fraction of a ``write`` + ``flush`` through the handler, and
    nothing else is ever sent on this connection anyway.
    """

    @allow_unauthenticated
    async def get(self) -> None:
        principal = await self.authorize("user", "viewer")
        patterns = self._patterns()
        refused = [p for p in patterns if not principal.may_read(p)]
        if refused:
            raise web.HTTPError(403, f"this viewer token does not cover {refused}")
        cursor = self._cursor()
        limits = self.services.limits
        connections = self.services.connections
        if len(connections) >= limits.max_connections:
            raise web.HTTPError(
                429, f"server holds its maximum of {limits.max_connections} streams"
            )
        if connections.of_user(principal.name) >= limits.max_connections_per_user:
            raise web.HTTPError(
                429, f"at most {limits.max_connections_per_user} streams per user; close some"
            )
        if not isinstance(self.request.connection, HTTP1Connection):
            raise web.HTTPError(500, "sse/stream needs tornado's HTTP/1.x server")

        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("Cache-Control", "no-cache, no-transform")
        # nginx buffers proxied responses by default, which holds events back until the
        # buffer fills; this header turns that off for this response only.
        self.set_header("X-Accel-Buffering", "no")
        # The body is framed by the Connection, not by tornado (see the class doc);
        # tornado leaves a response with this header alone. HTTP/1.0 has no chunks:
        # its body ends when the connection closes.
        chunked = self.request.version == "HTTP/1.1"
        if chunked:
            self.set_header("Transfer-Encoding", "chunked")
        self.flush()  # the headers; the connection writes after them, never before
        stream = self.detach()
        # Frames are already batched per loop tick; Nagle's algorithm would hold every
        # write that follows an unacknowledged one until the client's delayed ACK, which
        # measured as a p99 of hundreds of ms at 100 events/s.
        stream.set_nodelay(True)

        # Built in a fresh context: whatever the connection registers with the loop (its
        # socket's reader, its timers) outlives this request, and a copy of the request's
        # context would keep the whole request (handler, headers, cookies) alive with it.
        conn = contextvars.Context().run(
            partial(
                Connection,
                stream,
                patterns,
                user=principal.name,
                limit=limits.client_buffer_bytes,
                chunked=chunked,
                flusher=connections.flusher,
            )
        )
        conn.deliver(encode_retry(limits.retry_ms))
        connections.add(conn)
        # A viewer's stream ends with its link, so an expired link stops showing data at
        # once; the reconnect is then refused and the page says the link expired.
        expiry = (
            None
            if principal.expires is None
            else asyncio.get_running_loop().call_later(
                principal.expires - time.time(),
                conn.close,
                "viewer token expired",
                context=contextvars.Context(),
            )
        )
        broker = self.services.broker

        def ended() -> None:
            # The subscription goes away with the connection, whoever ends it.
            if expiry is not None:
                expiry.cancel()
            broker.unsubscribe(conn)
            connections.discard(conn)

        conn.add_close_callback(ended)
        try:
            await broker.subscribe(conn, cursor)
        except BaseException:
            conn.close("subscription failed")
            raise
        if conn.closed:
            broker.unsubscribe(conn)  # the client left while the broker was subscribing
        conn.start_limit()
        # Returning here releases this handler, its request and its task: an idle
        # stream then costs the server its Connection and socket, not a whole request.

    def _patterns(self) -> list[str]:
        raw = self.get_query_arguments("channel")
        if not raw:
            raise web.HTTPError(400, "name at least one channel: sse/stream?channel=NAME")
        if len(raw) > MAX_PATTERNS_PER_STREAM:
            raise web.HTTPError(400, f"at most {MAX_PATTERNS_PER_STREAM} channels per stream")
        try:
            return list(dict.fromkeys(check_pattern(p) for p in raw))
        except SSEValueError as e:
            raise web.HTTPError(400, str(e)) from None

    def _cursor(self) -> str | None:
        # The header wins: a browser reconnecting on its own sends it with the original
        # URL, whose ?last_event_id= (if any) is older.
        cursor = self.request.headers.get("Last-Event-ID") or self.get_query_argument(
            "last_event_id", None
        )
        if cursor is not None and len(cursor) > MAX_CURSOR_LENGTH:
            raise web.HTTPError(400, "last event id is too long")
        return cursor or None


class PublishHandler(SSEHandler):
    """``POST sse/publish``: one event or a batch, all validated before any is stored."""

    @allow_unauthenticated
    async def post(self) -> None:
        principal = await self.authorize("user", "publisher")
        limits = self.services.limits
        try:
            events = parse_publish_body(self.request.body, max_event_bytes=limits.max_event_bytes)
        except RejectedInput as e:
            raise web.HTTPError(e.status, e.message) from None
        wait = self.services.rate.admit(principal.name, len(events))
        if wait > 0:
            raise RefusedError(
                429,
                f"publish rate limit of {limits.publish_rate_limit:g} events/s reached",
                {"Retry-After": str(math.ceil(wait))},
            )
        try:
            ids = await self.services.broker.publish(events)
        except BrokerUnavailable as e:
            raise RefusedError(503, f"broker unavailable: {e}", {"Retry-After": "1"}) from None
        self.write_json({"ids": ids})


class ChannelsHandler(SSEHandler):
    """``GET sse/channels``: every channel with subscribers, event count and last event time."""

    @allow_unauthenticated
    async def get(self) -> None:
        principal = await self.authorize("user", "viewer")
        try:
            rows = await self.services.broker.channels()
        except BrokerUnavailable as e:
            raise RefusedError(503, f"broker unavailable: {e}", {"Retry-After": "1"}) from None
        self.write_json([row for row in rows if principal.may_read(row["channel"])])


class HealthHandler(SSEHandler):
    """``GET sse/health``: broker kind and state."""

    @allow_unauthenticated
    async def get(self) -> None:
        await self.authorize("user")
        health = self.services.broker.health()
        health["connections"] = len(self.services.connections)
        self.write_json(health)


def routes(services: Services) -> list[tuple[str, type[web.RequestHandler], dict[str, Any]]]:
    """The extension's routes, relative to the server's base_url."""
    # Imported here: the dashboard module needs the handlers above.
    from .dashboard import DashboardHandler, StaticHandler, TokensHandler, static_dir

    kwargs = {"services": services}
    return [
        (r"/sse/stream", StreamHandler, kwargs),
        (r"/sse/publish", PublishHandler, kwargs),
        (r"/sse/channels", ChannelsHandler, kwargs),
        (r"/sse/health", HealthHandler, kwargs),
        (r"/sse/tokens", TokensHandler, kwargs),
        (r"/sse/dashboard", DashboardHandler, kwargs),
        (r"/sse/static/(.*)", StaticHandler, {"path": str(static_dir())}),
    ]
