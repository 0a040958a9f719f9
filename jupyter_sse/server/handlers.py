"""The API routes: ``sse/stream``, ``sse/publish``, ``sse/channels``, ``sse/health`` and
``sse/tokens``. Each handler authorizes, hands the work to a service, and answers.

Parsing lives in ``validate``, the wire format in ``jupyter_sse.wire``, the write side
of a stream in ``streams`` and storage in the broker: a handler only wires them
together. The route table is ``SSEApp.initialize_handlers``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Any
from urllib.parse import urlencode

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.call_context import CallContext
from jupyter_server.prometheus.log_functions import prometheus_log_method
from tornado import web
from tornado.http1connection import HTTP1Connection
from tornado.iostream import StreamClosedError

from ..wire.bounds import MAX_CURSOR_LENGTH, MAX_PATTERNS_PER_STREAM
from ..wire.errors import SSEValueError
from ..wire.json_text import loads
from ..wire.names import check_pattern
from ..wire.sse import encode_retry
from . import tokens
from .auth import author_of
from .broker.base import BrokerUnavailable
from .handler_base import BodyHandler, RefusedError, SSEHandler
from .metrics import COUNTS, PUBLISH_SECONDS_POST
from .publishing import publish_body
from .secret import InvalidSecret
from .streams import EventStream, StreamScope, take_socket

DEFAULT_VIEWER_TTL = 3600.0  # seconds a viewer link lives when the request names no ttl
LOOPBACK = frozenset({"127.0.0.1", "::1"})


class StreamHandler(SSEHandler):
    """``GET sse/stream``: the event stream of one or more channels.

    Once the headers are out, the socket is taken over from tornado's HTTP layer
    (``detach``): the ``EventStream`` writes the chunk framing itself, straight to the
    socket, which costs a fraction of a ``write`` + ``flush`` through the handler, and
    nothing else is ever sent on this connection anyway.
    """

    @allow_unauthenticated
    async def get(self) -> None:
        # The names asked for pick which of a browser's viewer links answers; they are
        # checked (400) only once the caller is known, so that nobody learns more than 401.
        asked = self.get_query_arguments("channel")
        principal = await self.authorize("user", "viewer", patterns=asked)
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
        if principal.kind == "viewer":
            if connections.of_user(principal.key) >= limits.max_streams_per_link:
                raise web.HTTPError(
                    429,
                    f"this link already has {limits.max_streams_per_link} open streams; "
                    "close a page that shows it",
                )
        elif connections.of_user(principal.key) >= limits.max_connections_per_user:
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
        # The body is framed by the EventStream, not by tornado (see the class doc);
        # tornado leaves a response with this header alone. HTTP/1.0 has no chunks:
        # its body ends when the connection closes.
        chunked = self.request.version == "HTTP/1.1"
        if chunked:
            self.set_header("Transfer-Encoding", "chunked")
        try:
            # The headers, all of them in the socket before the stream writes after them.
            await self.flush()
        except StreamClosedError:
            return  # the client left before its headers went out
        stream = self.detach()
        # What `finish` does for every other handler, which a detached one never reaches:
        # `ui` and this handler refer to each other, and the cycle would leave the whole
        # request (headers, connection, task) to the cyclic collector. A wave of viewers
        # then became a wave of full collections, ~10 ms each, while events flowed.
        self._break_cycles()
        if stream.closed():
            return
        sock = take_socket(stream)
        # Frames are already batched per loop tick; Nagle's algorithm would hold every
        # write that follows an unacknowledged one until the client's delayed ACK, which
        # measured as a p99 of hundreds of ms at 100 events/s.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        conn = EventStream(
            sock,
            StreamScope(
                patterns,
                user=principal.key,
                credential=principal.token,
                identity=author_of(principal, self.services.tenant),
                # A viewer's streams end with its link (see EventStreams.add).
                expires=principal.expires,
            ),
            limit=limits.client_buffer_bytes,
            chunked=chunked,
            tick=connections.tick,
            on_close=connections.on_close,
            resumed=cursor is not None,
        )
        conn.deliver(encode_retry(limits.retry_ms))
        connections.add(conn)
        COUNTS.resumes += cursor is not None
        broker = self.services.broker
        # The timers the subscription starts keep a copy of this context until they are
        # due (a Redis command's timeout timer, even once cancelled), and jupyter_server
        # keeps the handler in it: a wave of viewers held a wave of requests that long.
        # The subscription itself must start now, not in a task of its own: the client
        # has its headers, and what is published next must reach it as events.
        CallContext.set(CallContext.JUPYTER_HANDLER, None)
        try:
            await broker.subscribe(conn, cursor)
        except BaseException:
            conn.close("subscription failed")
            raise
        if conn.closed:
            broker.unsubscribe(conn)  # the client left while the broker was subscribing
        # Returning here releases this handler, its request and its task: an idle
        # stream then costs the server its EventStream and socket, not a whole request.

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


class PublishHandler(BodyHandler):
    """``POST sse/publish``: one event or a batch, all validated before any is stored."""

    callers = ("user", "publisher")

    def wants_login_cookie(self) -> bool:
        # jupyter_server's identity provider signs a login cookie into every answer to a
        # token-authenticated request, so that a browser keeps its session (and a client
        # that keeps cookies, one anonymous user). A publish with its token in the
        # Authorization header is a script's, and needs neither: signing the cookie cost
        # ~8% of each one-event publish. The other routes keep jupyter_server's way.
        return self.header_token is None

    def set_secure_cookie(
        self,
        name: str,
        value: str | bytes,
        expires_days: float | None = 30,
        version: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not self.wants_login_cookie() and name == self.identity_provider.get_cookie_name(self):
            return  # jupyter_server's login cookie, for a header token's publish
        super().set_secure_cookie(name, value, expires_days, version, **kwargs)

    def _log(self) -> None:
        # jupyter_server logs every success at DEBUG, and makes the line and its record
        # before its handlers (at the app's log level) drop it: its loggers pass DEBUG
        # on. That was ~10% of a one-event publish's server time. A success is logged
        # when a handler would show it; the request-duration metric is kept either way.
        if self.get_status() < 300 and not shows_debug(self.log):
            app = self.serverapp
            if app is None or app.record_http_request_metrics:
                prometheus_log_method(self)  # type: ignore[no-untyped-call]
            return
        super()._log()

    @allow_unauthenticated
    async def post(self) -> None:
        with PUBLISH_SECONDS_POST.time():
            await self._publish()

    async def _publish(self) -> None:
        ids = await publish_body(self.services, self.principal, self.body)
        self.write_json({"ids": ids})


class ChannelsHandler(SSEHandler):
    """``GET sse/channels``: every channel with its streams on this server, the people
    watching it on every server, its event count and last event time."""

    @allow_unauthenticated
    async def get(self) -> None:
        principal = await self.authorize("user", "viewer")
        try:
            # The broker looks up only what the scope covers: a viewer whose link covers
            # nothing costs nothing, however many channels there are.
            rows = await self.services.broker.channels(principal.scope)
        except BrokerUnavailable as e:
            raise RefusedError(503, f"broker unavailable: {e}", {"Retry-After": "1"}) from None
        for row in rows:
            row["watchers"] = self.services.watchers(row["channel"])
        self.write_json(rows)


class HealthHandler(SSEHandler):
    """``GET sse/health``: broker kind and state."""

    @allow_unauthenticated
    async def get(self) -> None:
        await self.authorize("user")
        health = self.services.broker.health()
        reasons = [*self.services.faults, *self.services.notices]
        try:
            self.services.viewer_secret.current()
        except InvalidSecret as e:
            reasons.append(str(e))
        if health["state"] != "ok":
            reasons.append(health.get("reason", ""))
        if reasons:
            health = {**health, "state": "degraded", "reason": "; ".join(reasons)}
        health["connections"] = len(self.services.connections)
        self.write_json(health)


class TokensHandler(BodyHandler):
    """``POST sse/tokens``: a Jupyter user mints a scoped, read-only viewer link (one that
    may also chat on its channels with ``"comment": true``)."""

    callers = ("user",)

    def _public_base(self) -> str:
        """Where people reach this server's base URL, for the link."""
        public = self.services.public_url
        if public:
            return public if public.endswith("/") else public + "/"
        if self.services.behind_hub and self.request.remote_ip in LOOPBACK:
            # Asked from the machine itself (a kernel's share()), behind a hub whose
            # public URL is unknown: the host the request came to is the spawner's
            # port, which nobody outside reaches. A path is right wherever the hub is.
            return self.base_url
        # The request as the client sent it (tornado applies X-Forwarded-* when the
        # server trusts them), so a link asked for through a proxy works behind it.
        return f"{self.request.protocol}://{self.request.host}{self.base_url}"

    @allow_unauthenticated
    async def post(self) -> None:
        try:
            body = loads(self.body or b"{}")
        except SSEValueError as e:
            raise web.HTTPError(400, f"body is not valid JSON: {e}") from None
        if not isinstance(body, dict) or set(body) - {"channels", "ttl", "comment", "label"}:
            raise web.HTTPError(
                400,
                'send {"channels": [names or patterns], "ttl": seconds, "comment"?: bool, '
                '"label"?: "the name its viewer is shown by"}',
            )
        channels = body.get("channels")
        ttl = body.get("ttl", DEFAULT_VIEWER_TTL)
        comment = body.get("comment", False)
        label = body.get("label")
        if not isinstance(comment, bool):
            raise web.HTTPError(400, "comment must be true or false")
        if label is not None and self.token and self.token in str(label):
            # Everyone who reads the channels sees the label: never the Jupyter token.
            raise web.HTTPError(400, "label may not hold a token: everyone who reads sees it")
        ttl_max = self.services.limits.viewer_token_ttl_max
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            raise web.HTTPError(400, "channels must be a list of channel names or patterns")
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= ttl_max:
            raise web.HTTPError(400, f"ttl must be seconds between 0 and {ttl_max:g}")
        services = self.services
        try:
            token = tokens.mint(
                services.viewer_secret.current(),
                channels,
                float(ttl),
                audience=services.audience,
                comment=comment,
                label=label,
            )
        except SSEValueError as e:
            raise web.HTTPError(400, str(e)) from None
        query = urlencode([("token", token), *(("channel", c) for c in channels)])
        grant = tokens.verify(services.viewer_secret.current(), token)
        self.write_json(
            {
                "token": token,
                "url": f"{self._public_base()}sse/dashboard?{query}",
                "expires": grant.expires,
                "comment": grant.comment,
                "label": grant.label,
            }
        )


def shows_debug(logger: logging.Logger) -> bool:
    """Whether a DEBUG record of ``logger`` would reach a handler that shows it."""
    if not logger.isEnabledFor(logging.DEBUG):
        return False
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= logging.DEBUG for handler in current.handlers):
            return True
        current = current.parent if current.propagate else None
    return False
