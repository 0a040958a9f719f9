"""``SSEHandler``: what every route of the extension shares.

JSON errors and never a login redirect (a script or an ``EventSource`` needs a status
code), the origin check, the request summary scrubbed of tokens, and one decision of
who is calling (``authorize``): a Jupyter user, a publisher, or a viewer.
"""

from __future__ import annotations

import json
from http.client import responses
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import ensure_async
from tornado import web

from . import tokens
from .auth import Kind, Principal, bearer_token, scrub_uri
from .services import Services

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
            (token if token is not None and token.startswith(tokens.VIEWER_PREFIX) else None)
            or self.get_query_argument("token", None)
            or self.get_cookie(tokens.VIEWER_COOKIE)
        )
        if candidate is not None and candidate.startswith(tokens.VIEWER_PREFIX):
            try:
                grant = tokens.verify(self.services.viewer_secret.current(), candidate)
            except tokens.InvalidToken as e:
                raise web.HTTPError(403, f"viewer token refused: {e}") from None
            return Principal("viewer", f"viewer:{grant.nonce}", grant.channels, grant.expires)
        raise web.HTTPError(
            401, "authentication required: send 'Authorization: token <token>' or log in"
        )
