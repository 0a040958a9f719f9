"""The dashboard page of a Jupyter user sets the ``_xsrf`` cookie that its own writes
(``sse/chat``) must echo: a page opened with ``?token=`` has no other Jupyter page to
have set it."""

from __future__ import annotations

from urllib.parse import unquote

import httpx

from tests.support.server import Server


async def test_a_users_dashboard_sets_the_xsrf_cookie_its_chat_posts_echo(server: Server) -> None:
    """Regression: chat posts from a dashboard opened with ?token= were refused (403 XSRF)."""
    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(server.base + f"sse/dashboard?token={server.token}")
        assert page.status_code == 200
        xsrf = browser.cookies.get("_xsrf")
        assert xsrf
        body = {"channel": "review", "text": "hello"}
        refused = await browser.post(server.base + "sse/chat", json=body)
        assert refused.status_code == 403
        posted = await browser.post(
            server.base + "sse/chat", json=body, headers={"X-XSRFToken": unquote(xsrf)}
        )
        assert posted.status_code == 200, posted.text
        assert posted.json()["id"]
