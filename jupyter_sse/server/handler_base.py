"""``SSEHandler``: what every route of the extension shares.

JSON errors and never a login redirect (a script or an ``EventSource`` needs a status
code), the origin check, the request summary scrubbed of tokens, and one decision of
who is calling (``authorize``): a Jupyter user, a publisher, or a viewer.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from http.client import responses
from types import TracebackType
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import ensure_async
from tornado import web

from ..wire.events import EventIn
from ..wire.names import scope_covers
from . import tokens
from .auth import Kind, Principal, bearer_token, credential_key, scrub_uri
from .broker.base import BrokerFull, BrokerUnavailable
from .metrics import COUNTS
from .secret import InvalidSecret
from .services import Services
from .validate import body_too_large

AUTH_RESOURCE = "jupyter_sse"


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
        users = self.services.token_users
        known = users.recall(self, self.header_token)
        if known is not None:
            # What jupyter_server's identity provider sets for a token's user: it then
            # takes the user as found (`_get_user` returns it at once).
            self._jupyter_current_user = known
            self._token_authenticated = True
            if self.wants_login_cookie():
                # As it does for every token request that sent no cookie: a client that
                # keeps cookies is then this user on its other connections too.
                self.identity_provider.set_login_cookie(self, known)
        await super().prepare(_redirect_to_login=False)
        if known is None:
            users.remember(self, self.header_token, self._jupyter_current_user)
        if not self.check_origin():
            raise web.HTTPError(403, "cross-origin request refused")
        await self.services.start()

    @functools.cached_property
    def header_token(self) -> str | None:
        """The token of the request's ``Authorization`` header, if any: parsed once, for
        the identity kept per connection, the XSRF check and the auth decision."""
        return bearer_token(self.request)

    def wants_login_cookie(self) -> bool:
        """Whether the answer to a token-authenticated request carries jupyter_server's
        login cookie (so that a browser keeps its session)."""
        return True

    def check_xsrf_cookie(self) -> None:
        # A publish token travels in a header that a foreign page cannot set, so such a
        # request cannot be forged cross-site; XSRF protects cookie-authenticated calls.
        # Without a logged-in user there is nothing to forge: authorize() answers 401,
        # which tells a script more than an XSRF 403 would.
        if not hasattr(self, "_jupyter_current_user"):
            return  # tornado calls this before prepare(); prepare() calls it again
        token = self.header_token
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

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # tornado logs an unexpected error with repr(request), whose `uri` and headers
        # carry tokens; the scrubbed summary says which request it was.
        if isinstance(value, web.HTTPError):
            super().log_exception(typ, value, tb)
            return
        if isinstance(value, InvalidSecret):
            self.log.error("jupyter_sse: %s (%s)", value, self._request_summary())
            return
        self.log.error("Uncaught exception %s", self._request_summary(), exc_info=value)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = responses.get(status_code, "error")
        exc_info = kwargs.get("exc_info")
        if exc_info is not None:
            error = exc_info[1]
            if isinstance(error, InvalidSecret):
                # Nothing can be signed or checked until an admin fixes the secret: the
                # message says how, and no weaker key is ever used in its place.
                status_code, message = 503, str(error)
                self.set_status(503)
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

    async def authorize(self, *allowed: Kind, patterns: Sequence[str] = ()) -> Principal:
        """The caller, if it is one of ``allowed`` kinds and has the right; else 401/403.

        ``patterns``: what the request will read; a viewer whose browser holds several
        links is then the link that covers them.
        """
        principal = await self._identify(patterns)
        if principal.kind not in allowed:
            reasons = {
                "publisher": "a publish token may only publish",
                "viewer": "a viewer token may only read its own channels",
            }
            raise web.HTTPError(403, reasons.get(principal.kind, "not allowed for this caller"))
        return principal

    async def _identify(self, patterns: Sequence[str]) -> Principal:
        token = self.header_token
        if token is not None:
            subject = self.services.publish_token.subject_of(token)
            if subject is not None:
                return Principal("publisher", "publisher", key="publisher:" + subject)
        user = self.current_user
        if user is not None:
            action = "read" if self.request.method in ("GET", "HEAD") else "write"
            allowed = self.authorizer.is_authorized(self, user, action, AUTH_RESOURCE)
            if not await ensure_async(allowed):
                raise web.HTTPError(403, f"not authorized to {action} {AUTH_RESOURCE}")
            return Principal(
                "user",
                user.username,
                key=self._user_key(user.username, token),
                display_name=getattr(user, "display_name", "") or "",
                avatar=getattr(user, "avatar_url", None) or None,
                color=getattr(user, "color", None) or None,
            )
        viewer = self._viewer(token, patterns)
        if viewer is not None:
            return viewer
        if "redirect" in vars(self):
            # JupyterHub's identity provider knew the caller and found them not allowed
            # on this server: it replaces `redirect` (to raise 403 instead of sending
            # them to log in). Someone signed in as another user is refused, not asked
            # to sign in.
            raise web.HTTPError(403, "signed in as a user who may not use this server")
        raise web.HTTPError(
            401, "authentication required: send 'Authorization: token <token>' or log in"
        )

    def _user_key(self, username: str, header_token: str | None) -> str:
        # A request authenticated by a token (header or ?token=) is that token's: the
        # user name jupyter_server gives it may be new on every request.
        token = header_token or self.get_query_argument("token", None)
        return credential_key("token", token) if token else "user:" + username

    def _viewer(self, header_token: str | None, patterns: Sequence[str]) -> Principal | None:
        explicit = (
            header_token
            if header_token is not None and header_token.startswith(tokens.VIEWER_PREFIX)
            else self.get_query_argument("token", None)
        )
        if explicit is not None and not explicit.startswith(tokens.VIEWER_PREFIX):
            explicit = None
        services = self.services
        candidates = (
            [explicit]
            if explicit is not None
            else tokens.cookie_tokens(self.get_cookie(services.viewer_cookie))
        )
        if not candidates:
            return None
        grants: list[tuple[str, tokens.Grant]] = []
        refusal: tokens.InvalidToken | None = None
        for candidate in candidates:
            try:
                grant = tokens.verify(
                    services.viewer_secret.current(), candidate, audience=services.audience
                )
            except tokens.InvalidToken as e:
                refusal = refusal or e
            else:
                grants.append((candidate, grant))
        if not grants:
            raise web.HTTPError(403, f"viewer token refused: {refusal}")
        # Of the links that cover what is asked, one that may chat first: a person is
        # then the same viewer (its label) in presence and in what they write.
        covering = [g for g in grants if all(scope_covers(g[1].channels, p) for p in patterns)]
        chosen = next((g for g in covering if g[1].comment), (covering or grants)[0])
        candidate, grant = chosen
        # With no pattern to choose by (a listing, the page), every link this browser
        # holds for this server counts.
        scope = (
            grant.channels
            if patterns
            else tuple(dict.fromkeys(c for _, g in grants for c in g.channels))
        )
        return Principal(
            "viewer",
            f"viewer:{grant.nonce}",
            key=f"viewer:{grant.nonce}",
            scope=scope,
            expires=grant.expires,
            token=candidate,
            display_name=grant.label,
            comment=grant.comment,
        )


def rate_refused(route: str, message: str, wait: float) -> RefusedError:
    """429 for a caller over a rate limit (``wait``: seconds until it is not), counted
    under ``route`` in ``jupyter_sse_rate_limited_total``."""
    COUNTS.refused_rate(route)
    return RefusedError(429, message, {"Retry-After": str(math.ceil(wait))})


async def publish_or_refuse(services: Services, events: list[EventIn]) -> list[str]:
    """``broker.publish(events)``, with the broker's refusals as HTTP errors (503 when it
    is unreachable or the server is misconfigured, 429 when it is full): nothing was
    written either way."""
    if services.faults:
        raise RefusedError(503, "; ".join(services.faults), {"Retry-After": "60"})
    try:
        ids = await services.broker.publish(events)
    except BrokerUnavailable as e:
        raise RefusedError(503, f"broker unavailable: {e}", {"Retry-After": "1"}) from None
    except BrokerFull as e:
        raise RefusedError(429, str(e), {"Retry-After": "60"}) from None
    COUNTS.published_types(event["type"] for event in events)
    return ids


@web.stream_request_body
class BodyHandler(SSEHandler):
    """A route with a request body, read only after the caller is authorized and only up
    to ``max_request_bytes`` (413 from its Content-Length, before a byte is read).

    Subclasses name who may call (``callers``); ``principal`` and ``body`` are set for
    the method. Bodies read at once are counted (``Services.publishing``), so that a
    flood of large requests waits for none (429) instead of filling memory.
    """

    callers: tuple[Kind, ...] = ("user",)
    principal: Principal
    _body: bytearray
    _counted = False

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        self.principal = await self.authorize(*self.callers)
        limits = self.services.limits
        length = self.request.headers.get("Content-Length")
        most = limits.body_bytes
        if length is not None and (
            not (length.isascii() and length.isdigit()) or int(length) > most
        ):
            raise web.HTTPError(413, body_too_large(most))
        if self.services.publishing >= limits.max_concurrent_publishes:
            raise RefusedError(
                429,
                f"{limits.max_concurrent_publishes} requests are being read already; retry",
                {"Retry-After": "1"},
            )
        self.services.publishing += 1
        self._counted = True
        # Past this tornado stops reading (a body without Content-Length that runs long).
        self.request.connection.set_max_body_size(most)  # type: ignore[union-attr]
        self._body = bytearray()

    def data_received(self, chunk: bytes) -> None:
        self._body += chunk

    @property
    def body(self) -> bytes:
        return bytes(self._body)

    def _uncount(self) -> None:
        if self._counted:
            self._counted = False
            self.services.publishing -= 1

    def on_finish(self) -> None:
        self._uncount()

    def on_connection_close(self) -> None:
        self._uncount()
        super().on_connection_close()
