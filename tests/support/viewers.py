"""Viewer links as a person uses them: minted by a Jupyter user, opened in a fresh browser."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.server import Server


async def mint(
    server: Server, channels: list[str], ttl: float = 600, **options: Any
) -> dict[str, Any]:
    """A link for ``channels``; ``options`` are the route's others (``comment``, ``label``)."""
    r = await server.client.post(
        server.base + "sse/tokens",
        json={"channels": channels, "ttl": ttl, **options},
        headers=server.auth,
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def open_link(url: str) -> httpx.AsyncClient:
    """A fresh browser: no Jupyter cookie, follows the link once."""
    viewer = httpx.AsyncClient(timeout=10)
    r = await viewer.get(url)
    assert r.status_code == 302, r.text
    assert "token=" not in r.headers["location"]  # the token leaves the address bar
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    return viewer
