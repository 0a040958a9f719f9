"""The standalone dashboard page, the exchange of a viewer link for a cookie, and the
built front end's files.

The dashboard is a SvelteKit app whose routes (`/`, `/channel/<name>`, `/compare`,
`/system`, `/activity`, `/chat/<channel>`) are all this one page under
``sse/dashboard``: the server writes it, with the config inline as a JSON data block and
the app's own scripts only, so that its Content-Security-Policy forbids inline script."""

from __future__ import annotations

import html
import json
import time
from functools import cache
from typing import Final
from urllib.parse import urlencode

from jupyter_server.auth.decorator import allow_unauthenticated
from tornado import web
from tornado.httputil import url_concat

from ..wire.assets import DASHBOARD_BOOT, DASHBOARD_PAGE, HOW_TO_BUILD
from . import tokens
from .auth import Principal
from .handler_base import SSEHandler

# The page runs its own bundled modules and nothing else: the config is a data block
# (`type="application/json"`), never executed. Styles may be inline: Svelte and uPlot set
# style attributes, and Tailwind's theme toggles them. Images from `blob:`/`data:` are the
# chart exports; `connect-src` covers the stream and the API, same origin.
CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)

# Inside `<script>`, the HTML parser ends or re-modes the element on `</script`, `<!--`
# and `<script`: with `<`, `>` and `&` spelled as JSON escapes, no channel name can.
# U+2028/U+2029 are escaped too, for readers that take the block as JavaScript.
_SCRIPT_SAFE: Final = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


class StaticHandler(web.StaticFileHandler):
    """The built front end. Public on purpose: a viewer without Jupyter access loads it,
    and it holds no data, only code."""


class DashboardHandler(SSEHandler):
    """``GET sse/dashboard[/…]``: the page of every dashboard route, for Jupyter users and
    viewers."""

    @allow_unauthenticated
    async def get(self) -> None:
        try:
            principal = await self.authorize("user", "viewer")
        except web.HTTPError as e:
            if e.status_code == 401 and self._wants_html():
                # A person, not a script: sign in (under JupyterHub, the hub's login) and
                # come back here.
                self.redirect(url_concat(self.get_login_url(), {"next": self.request.uri}))
                return
            if e.status_code != 403 or not (e.log_message or "").startswith("viewer token"):
                raise
            # A person followed an expired or revoked link: show the page, which tells
            # them so in words, rather than a JSON error. It can read nothing.
            self.set_status(403)
            principal = Principal("viewer", "refused", scope=())
        if not (DASHBOARD_BOOT.exists() and DASHBOARD_PAGE.exists()):
            raise web.HTTPError(503, f"the dashboard is not built: {HOW_TO_BUILD}")
        token = self.get_query_argument("token", None)
        if token is not None and principal.kind == "viewer" and principal.name != "refused":
            self._exchange(token)
            return
        if principal.kind == "user":
            # Reading the token sets the ``_xsrf`` cookie, which the page's own writes
            # (``sse/chat``) echo in ``X-XSRFToken``: a page opened with ``?token=`` has
            # no other Jupyter page to have set it.
            self.xsrf_token  # noqa: B018
        config = {
            "baseUrl": self.base_url,
            "channels": self.get_query_arguments("channel"),
            "viewer": principal.kind == "viewer",
            "scope": list(principal.scope) if principal.scope is not None else None,
        }
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.finish(page(self.base_url, config))

    def _wants_html(self) -> bool:
        accept = self.request.headers.get("Accept", "")
        return "text/html" in accept

    def _exchange(self, token: str) -> None:
        # First use: the token becomes an HttpOnly cookie and leaves the address bar, so
        # it is not kept in history, bookmarks or a Referer header. The cookie is this
        # server's (its name carries the audience: cookies ignore ports) and keeps the
        # links opened before, so that a second link does not take the first one's place.
        services = self.services
        grant = tokens.verify(services.viewer_secret.current(), token, audience=services.audience)
        self.set_cookie(
            services.viewer_cookie,
            tokens.cookie_value(token, self.get_cookie(services.viewer_cookie)),
            path=self.base_url + "sse/",
            httponly=True,
            samesite="Lax",
            secure=self.request.protocol == "https",
            # Kept a day past the token, so that the page can tell an expired link
            # (403 "token expired") from no link at all (401).
            expires=grant.expires + 86400,
        )
        # The rest of the query goes along; a value that is not UTF-8 (`%ff`) cannot be
        # a channel name, and is dropped rather than failing the exchange.
        rest = [
            (k, v)
            for k, vs in self.request.query_arguments.items()
            if k != "token"
            for v in (x.decode("utf-8", "replace") for x in vs)
            if "\ufffd" not in v
        ]
        self.set_header("Cache-Control", "no-store")
        # Back to the route the link named (`sse/dashboard/channel/…`), without the token.
        self.redirect(self.request.path + (f"?{urlencode(rest)}" if rest else ""))


def page(base_url: str, config: dict[str, object]) -> str:
    """The dashboard HTML: an empty root the app fills, its config inline as data."""
    data = json.dumps(config).translate(_SCRIPT_SAFE)
    static = base_url + "sse/static/dashboard/"
    stylesheets, preloads = _page_assets(_mtime())
    links = "\n".join(
        [f'<link rel="stylesheet" href="{html.escape(static + h)}">' for h in stylesheets]
        + [f'<link rel="modulepreload" href="{html.escape(static + h)}">' for h in preloads]
    )
    boot = html.escape(f"{static}boot.js?v={_mtime()}")
    root = html.escape(base_url + "sse/dashboard")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>jupyter-sse dashboard</title>
{links}
<script id="jupyter-sse-config" type="application/json">{data}</script>
<script type="module" src="{boot}"></script>
</head>
<body class="jupyter-sse-page"><div id="jupyter-sse-dashboard" class="jupyter-sse" \
data-base="{root}" style="display: contents"></div></body>
</html>
"""


@cache
def _page_assets(mtime: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stylesheets and module preloads of the built app (one read per build)."""
    del mtime  # the cache key: a rebuild is read again
    try:
        manifest = json.loads(DASHBOARD_PAGE.read_text())
    except (OSError, ValueError):
        raise web.HTTPError(
            500, f"the dashboard is not built ({DASHBOARD_PAGE} is missing): {HOW_TO_BUILD}"
        ) from None
    return tuple(manifest["stylesheets"]), tuple(manifest["modulepreloads"])


def _mtime() -> int:
    # Busts browser caches of `boot.js` when the built front end changes; the files it
    # loads have content hashes in their names.
    try:
        return int(DASHBOARD_BOOT.stat().st_mtime)
    except OSError:
        return int(time.time())
