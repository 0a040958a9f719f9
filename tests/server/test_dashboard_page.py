"""The dashboard's page as the server writes it: one page for every route, a config no
channel name can break out of, and a Content-Security-Policy with no inline script."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import httpx

from tests.support.server import Server
from tests.support.viewers import mint

ROUTES = [
    "sse/dashboard",
    "sse/dashboard/",
    "sse/dashboard/channel/train/run-1",
    "sse/dashboard/channel/train/*",
    "sse/dashboard/compare?channel=a&channel=b",
    "sse/dashboard/system",
    "sse/dashboard/activity",
    "sse/dashboard/chat/train/run-1",
]


class Scripts(HTMLParser):
    """Every `<script>` of a page: its attributes and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def scripts(page: str) -> list[tuple[dict[str, str | None], str]]:
    parser = Scripts()
    parser.feed(page)
    parser.close()
    return parser.scripts


def config_of(page: str) -> dict[str, object]:
    (text,) = [text for attrs, text in scripts(page) if attrs.get("id") == "jupyter-sse-config"]
    config: dict[str, object] = json.loads(text)
    return config


def policy(response: httpx.Response) -> dict[str, str]:
    directives = response.headers["content-security-policy"].split(";")
    return {d.split()[0]: " ".join(d.split()[1:]) for d in directives if d.strip()}


async def test_every_dashboard_route_is_the_same_page(server: Server) -> None:
    """A reload or a bookmark of any route gets the app, under the server's base_url."""
    base_path = urlsplit(server.base).path
    for route in ROUTES:
        r = await server.get(route, headers=server.auth)
        assert r.status_code == 200, route
        assert f'data-base="{base_path}sse/dashboard"' in r.text, route
        assert config_of(r.text)["baseUrl"] == base_path
        assert f"{base_path}sse/static/dashboard/boot.js" in r.text
    assert (await server.get("sse/dashboardx", headers=server.auth)).status_code == 404


async def test_a_channel_named_like_a_comment_opener_does_not_blank_the_page(
    server: Server,
) -> None:
    """`?channel=<!--<script>` put the parser in a state where the config never ended."""
    names = ["<!--<script>", "</script><script>alert(1)</script>", "a&b>c", "x\u2028y\u2029z"]
    query = "&".join(f"channel={quote(name)}" for name in names)
    r = await server.get(f"sse/dashboard?{query}", headers=server.auth)
    assert r.status_code == 200
    (config_script,) = [s for s in scripts(r.text) if s[0].get("id") == "jupyter-sse-config"]
    for character in "<>&\u2028\u2029":
        assert character not in config_script[1]
    assert config_of(r.text)["channels"] == names
    # The rest of the page is still there for the parser: the root the app mounts in.
    assert 'id="jupyter-sse-dashboard"' in r.text.split("</script>", 2)[-1]


async def test_the_dashboard_runs_no_inline_script(server: Server) -> None:
    """Its policy allows only its own scripts; the config is data, never executed."""
    for route in ROUTES:
        r = await server.get(route, headers=server.auth)
        directives = policy(r)
        assert directives["script-src"] == "'self'", route
        assert directives["object-src"] == "'none'"
        assert directives["base-uri"] == "'none'"
        assert directives["frame-ancestors"] == "'self'"
        for attrs, text in scripts(r.text):
            assert attrs.get("src") or attrs.get("type") == "application/json", attrs
            assert attrs.get("src") is None or not text.strip()


async def test_an_expired_link_page_has_the_same_policy(server: Server) -> None:
    """The page that says a link expired is the app too, under the same policy."""
    share = await mint(server, ["a"], ttl=600)
    forged = share["token"][:-4] + ("AAAA" if not share["token"].endswith("AAAA") else "BBBB")
    async with httpx.AsyncClient(timeout=10) as fresh:
        r = await fresh.get(server.base + f"sse/dashboard/channel/a?token={forged}")
    assert r.status_code == 403
    assert policy(r)["script-src"] == "'self'"
    assert config_of(r.text)["scope"] == []


async def test_a_link_to_a_route_comes_back_to_that_route(server: Server) -> None:
    """The exchange of a link for a cookie keeps the route the link named."""
    share = await mint(server, ["train/*"])
    base = urlsplit(server.base)
    path = base.path + "sse/dashboard/channel/train/*"
    async with httpx.AsyncClient(timeout=10) as fresh:
        r = await fresh.get(f"{server.base}sse/dashboard/channel/train/*?token={share['token']}")
        assert r.status_code == 302
        assert r.headers["location"] == path
        page = await fresh.get(f"{base.scheme}://{base.netloc}{path}")
    assert page.status_code == 200
    assert config_of(page.text)["scope"] == ["train/*"]
