"""Who may do what: the auth matrix, and that no token ever reaches a log line."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tests.support.server import Server

EVENT = {"channel": "c", "type": "status", "data": {"key": "k", "value": "v"}}
ROUTES = [
    ("GET", "sse/stream?channel=c"),
    ("POST", "sse/publish"),
    ("GET", "sse/channels"),
    ("GET", "sse/health"),
]


async def call(server: Server, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    if method == "POST":
        return await server.client.post(server.base + path, json=EVENT, headers=headers)
    return await server.client.get(server.base + path, headers=headers)


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_no_auth_is_401_json_never_a_redirect(server: Server, method: str, path: str) -> None:
    r = await call(server, method, path, {})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/json"
    assert "authentication required" in r.json()["error"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_wrong_token_is_401(server: Server, method: str, path: str) -> None:
    r = await call(server, method, path, {"Authorization": "token not-the-token"})
    assert r.status_code == 401


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[0] == "GET"])
async def test_publish_token_only_publishes(server: Server, method: str, path: str) -> None:
    headers = {"Authorization": f"token {server.publish_token}"}
    r = await call(server, method, path, headers)
    assert r.status_code == 403
    assert "may only publish" in r.json()["error"]
    ok = await server.client.post(server.base + "sse/publish", json=EVENT, headers=headers)
    assert ok.status_code == 200, ok.text


async def test_publish_token_is_useless_for_jupyter_apis(server: Server) -> None:
    headers = {"Authorization": f"token {server.publish_token}"}
    for path in ("api/contents", "api/kernels", "api/sessions"):
        r = await server.get(path, headers=headers)
        assert r.status_code == 403, path


async def test_a_token_in_the_header_gets_no_login_cookie(server: Server) -> None:
    """A script's request carries its token each time; a token in the query string is a
    browser's first visit, and gets the session cookie as jupyter_server gives it."""
    client = httpx.AsyncClient(timeout=10)
    try:
        by_header = await client.post(server.base + "sse/publish", json=EVENT, headers=server.auth)
        assert by_header.status_code == 200, by_header.text
        assert not [c for c in by_header.headers.get_list("set-cookie") if "username-" in c]

        by_query = await client.get(server.base + "sse/channels", params={"token": server.token})
        assert by_query.status_code == 200, by_query.text
        assert [c for c in by_query.headers.get_list("set-cookie") if "username-" in c]
        # ...and that cookie alone is a logged-in user's.
        listed = await client.get(server.base + "sse/channels")
        assert listed.status_code == 200, listed.text
    finally:
        await client.aclose()


async def login(server: Server) -> httpx.AsyncClient:
    """A browser-like client holding Jupyter's login cookie (and its XSRF cookie)."""
    client = httpx.AsyncClient(timeout=10, follow_redirects=False)
    await client.get(server.base + "login")
    xsrf = client.cookies.get("_xsrf")
    assert xsrf
    r = await client.post(server.base + "login", data={"password": server.token, "_xsrf": xsrf})
    assert r.status_code == 302, r.text
    return client


async def test_cookie_auth_stream_and_publish_need_xsrf(server: Server) -> None:
    browser = await login(server)
    try:
        r = await browser.post(server.base + "sse/publish", json=EVENT)
        assert r.status_code == 403
        assert r.headers["content-type"] == "application/json"
        assert "_xsrf" in r.json()["error"]
        assert "c" not in await server.channels()  # refused: nothing published

        xsrf = browser.cookies["_xsrf"]
        r = await browser.post(
            server.base + "sse/publish", json=EVENT, headers={"X-XSRFToken": xsrf}
        )
        assert r.status_code == 200, r.text

        async with browser.stream("GET", server.base + "sse/stream", params={"channel": "c"}) as s:
            assert s.status_code == 200
            async for line in s.aiter_lines():
                if line.startswith("event: snapshot"):
                    break
    finally:
        await browser.aclose()


async def test_cross_origin_cookie_request_is_refused(server: Server) -> None:
    """A foreign page must not read streams with a logged-in user's cookie."""
    browser = await login(server)
    try:
        same = await browser.get(server.base + "sse/channels")
        assert same.status_code == 200
        evil = await browser.get(
            server.base + "sse/channels", headers={"Origin": "http://evil.example"}
        )
        assert evil.status_code == 403
        r = await browser.get(
            server.base + "sse/stream",
            params={"channel": "c"},
            headers={"Origin": "http://evil.example"},
        )
        assert r.status_code == 403
    finally:
        await browser.aclose()


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.DEBUG)
    return caplog


async def test_tokens_never_appear_in_logs(
    server: Server, captured: pytest.LogCaptureFixture
) -> None:
    publisher = {"Authorization": f"token {server.publish_token}"}
    await server.client.post(server.base + "sse/publish", json=EVENT, headers=publisher)
    await server.client.get(server.base + "sse/channels", headers=publisher)  # refused: 403
    await server.get("sse/channels", params={"token": server.publish_token})  # token in a URL
    await server.publish({"bad": 1})
    async with server.stream("c") as s:
        await s.next()
    # The test's own HTTP client logs its URLs; only the server's lines are under test.
    text = "\n".join(
        r.getMessage() for r in captured.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert "sse/publish" in text  # the requests were logged...
    assert server.publish_token not in text  # ...without the token
    assert server.token not in text.replace(f"?token={server.token}", "")
