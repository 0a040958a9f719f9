"""The standalone dashboard page and the viewer tokens that open it."""

from __future__ import annotations

import html
import json
import time
from pathlib import Path
from urllib.parse import urlencode

from jupyter_server.auth.decorator import allow_unauthenticated
from tornado import web

from . import viewer as viewers
from .auth import Principal
from .errors import SSEValueError
from .handlers import SSEHandler
from .protocol import loads

DEFAULT_TTL = 3600.0


def static_dir() -> Path:
    """Where the built front end lives (``js/`` builds into it)."""
    return Path(__file__).parent / "static"


class StaticHandler(web.StaticFileHandler):
    """The built front end. Public on purpose: a viewer without Jupyter access loads it,
    and it holds no data, only code."""


class TokensHandler(SSEHandler):
    """``POST sse/tokens``: a Jupyter user mints a scoped, read-only viewer link."""

    @allow_unauthenticated
    async def post(self) -> None:
        await self.authorize("user")
        try:
            body = loads(self.request.body or b"{}")
        except (ValueError, SSEValueError) as e:
            raise web.HTTPError(400, f"body is not valid JSON: {e}") from None
        if not isinstance(body, dict) or set(body) - {"channels", "ttl"}:
            raise web.HTTPError(400, 'send {"channels": [names or patterns], "ttl": seconds}')
        channels = body.get("channels")
        ttl = body.get("ttl", DEFAULT_TTL)
        ttl_max = self.services.limits.viewer_token_ttl_max
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            raise web.HTTPError(400, "channels must be a list of channel names or patterns")
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= ttl_max:
            raise web.HTTPError(400, f"ttl must be seconds between 0 and {ttl_max:g}")
        try:
            token = viewers.mint(self.services.viewer_secret.current(), channels, float(ttl))
        except SSEValueError as e:
            raise web.HTTPError(400, str(e)) from None
        # The link is built from the request as the client sent it (tornado applies
        # X-Forwarded-* when the server trusts them), so it works behind a proxy.
        query = urlencode([("token", token), *(("channel", c) for c in channels)])
        base = f"{self.request.protocol}://{self.request.host}{self.base_url}"
        self.write_json(
            {
                "token": token,
                "url": f"{base}sse/dashboard?{query}",
                "expires": viewers.verify(self.services.viewer_secret.current(), token).expires,
            }
        )


class DashboardHandler(SSEHandler):
    """``GET sse/dashboard``: the page, for Jupyter users and viewers."""

    @allow_unauthenticated
    async def get(self) -> None:
        try:
            principal = await self.authorize("user", "viewer")
        except web.HTTPError as e:
            if e.status_code != 403 or not (e.log_message or "").startswith("viewer token"):
                raise
            # A person followed an expired or revoked link: show the page, which tells
            # them so in words, rather than a JSON error. It can read nothing.
            self.set_status(403)
            principal = Principal("viewer", "refused", scope=())
        token = self.get_query_argument("token", None)
        if token is not None and principal.kind == "viewer" and principal.name != "refused":
            self._exchange(token)
            return
        config = {
            "baseUrl": self.base_url,
            "channels": self.get_query_arguments("channel"),
            "viewer": principal.kind == "viewer",
            "scope": list(principal.scope) if principal.scope is not None else None,
        }
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        self.finish(page(self.base_url, config))

    def _exchange(self, token: str) -> None:
        # First use: the token becomes an HttpOnly cookie and leaves the address bar, so
        # it is not kept in history, bookmarks or a Referer header.
        grant = viewers.verify(self.services.viewer_secret.current(), token)
        self.set_cookie(
            viewers.COOKIE,
            token,
            path=self.base_url + "sse/",
            httponly=True,
            samesite="Lax",
            secure=self.request.protocol == "https",
            # Kept a day past the token, so that the page can tell an expired link
            # (403 "token expired") from no link at all (401).
            expires=grant.expires + 86400,
        )
        rest = [
            (k, v)
            for k, vs in self.request.query_arguments.items()
            if k != "token"
            for v in (x.decode() for x in vs)
        ]
        self.set_header("Cache-Control", "no-store")
        self.redirect(f"{self.base_url}sse/dashboard" + (f"?{urlencode(rest)}" if rest else ""))


def page(base_url: str, config: dict[str, object]) -> str:
    """The dashboard HTML: an empty root the front end fills, and its config inline."""
    # `</` cannot appear in the JSON, so a channel name can never close the script tag.
    data = json.dumps(config).replace("</", "<\\/")
    static = html.escape(base_url + "sse/static/")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>jupyter-sse dashboard</title>
<link rel="stylesheet" href="{static}dashboard.css?v={_version()}">
<script id="jupyter-sse-config" type="application/json">{data}</script>
<script type="module" src="{static}dashboard.js?v={_version()}"></script>
</head>
<body class="jupyter-sse-page"><div id="jupyter-sse-dashboard" class="jupyter-sse"></div></body>
</html>
"""


def _version() -> str:
    # Busts browser caches when the built front end changes.
    try:
        return str(int((static_dir() / "dashboard.js").stat().st_mtime))
    except OSError:
        return str(int(time.time()))
