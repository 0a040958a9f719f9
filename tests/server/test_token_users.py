"""A keep-alive connection that sends the server's token in a header is one Jupyter user
(``token_users``), and never where jupyter_server would have decided otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
import pytest
from jupyter_server.auth.identity import IdentityProvider

from tests.support.server import Server

pytestmark = pytest.mark.parametrize("broker_kind", ["memory"])  # no broker is involved


@asynccontextmanager
async def one_connection(*, cookies: bool = False) -> AsyncIterator[httpx.AsyncClient]:
    """A client on one keep-alive connection that keeps no cookies (as a script's), or
    keeps them (as a browser's)."""
    jar = CookieJar() if cookies else CookieJar(DefaultCookiePolicy(allowed_domains=[]))
    client = httpx.AsyncClient(
        timeout=10, cookies=jar, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)
    )
    try:
        yield client
    finally:
        await client.aclose()


async def author(
    server: Server, client: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: str
) -> httpx.Response:
    """Who ``client`` is, as the server stamps its chat messages."""
    return await client.get(
        server.base + "sse/chat",
        params={"channel": "c", **params},
        headers=server.auth if headers is None else headers,
    )


async def name_of(server: Server, client: httpx.AsyncClient, **kwargs: Any) -> str:
    r = await author(server, client, **kwargs)
    assert r.status_code == 200, r.text
    name: str = r.json()["author"]["name"]
    return name


async def test_a_keep_alive_connection_with_the_token_is_one_user(server: Server) -> None:
    async with one_connection() as script, one_connection() as other:
        names = {await name_of(server, script) for _ in range(3)}
        assert len(names) == 1, names
        assert await name_of(server, other) not in names  # another connection: another user
        # Publishing on it changes nothing of that.
        r = await script.post(
            server.base + "sse/publish",
            json={"channel": "c", "type": "status", "data": {"key": "k", "value": "v"}},
            headers=server.auth,
        )
        assert r.status_code == 200, r.text
        assert await name_of(server, script) in names


async def test_a_connection_is_refused_once_the_server_token_changes(server: Server) -> None:
    provider = server.app.serverapp.identity_provider
    async with one_connection() as script:
        await name_of(server, script)
        old = provider.token
        provider.token = "the-new-token"
        try:
            assert (await author(server, script)).status_code == 401
            new = {"Authorization": "token the-new-token"}
            assert (await author(server, script, headers=new)).status_code == 200
        finally:
            provider.token = old


async def test_a_wrong_token_on_a_known_connection_is_refused(server: Server) -> None:
    async with one_connection() as script:
        await name_of(server, script)
        # jupyter_server reads a token in the query before the header's.
        assert (await author(server, script, token="not-the-token")).status_code == 401
        await name_of(server, script)
        wrong = {"Authorization": "token not-the-token"}
        assert (await author(server, script, headers=wrong)).status_code == 401


async def test_a_login_cookie_names_its_own_user_on_a_known_connection(server: Server) -> None:
    async with one_connection() as script, one_connection(cookies=True) as browser:
        first = await name_of(server, script)
        # A browser's first visit with ?token= gets a login cookie for a user of its own.
        visit = await author(server, browser, headers={}, token=server.token)
        assert visit.status_code == 200, visit.text
        logged_in = visit.json()["author"]["name"]
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
        # The script's connection, sending that cookie with the token: the cookie's user,
        # as jupyter_server decides it.
        both = await name_of(server, script, headers={**server.auth, "Cookie": cookie})
        assert both == logged_in != first


async def test_a_known_connection_still_gets_the_login_cookie(server: Server) -> None:
    """A client that keeps cookies, and published before it read on one connection,
    gets the login cookie as jupyter_server gives it: its other connections are it too."""
    async with one_connection(cookies=True) as client:
        event = {"channel": "c", "type": "status", "data": {"key": "k", "value": "v"}}
        published = await client.post(server.base + "sse/publish", json=event, headers=server.auth)
        assert published.status_code == 200, published.text
        assert not client.cookies  # a publish with a header token gets none
        known = await author(server, client)
        assert known.status_code == 200, known.text
        assert [c for c in known.headers.get_list("set-cookie") if "username-" in c]


class ProviderOfItsOwn(IdentityProvider):
    """A provider that may decide who a token is its own way (as JupyterHub's does)."""


class TestAnotherIdentityProvider:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any]) -> dict[str, Any]:
        name = f"{__name__}.{ProviderOfItsOwn.__qualname__}"
        app = {**jp_server_config["ServerApp"], "identity_provider_class": name}
        return {**jp_server_config, "ServerApp": app}

    async def test_it_decides_every_request(self, server: Server) -> None:
        assert type(server.app.serverapp.identity_provider) is ProviderOfItsOwn
        async with one_connection() as script:
            names = {await name_of(server, script) for _ in range(3)}
        assert len(names) == 3, names  # a new anonymous user each time, as it decides
        assert not len(server.app.services.token_users)
