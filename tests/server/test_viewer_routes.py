"""Viewers over HTTP: a share link opens its channels and nothing else."""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.server import Server
from tests.support.sse_client import StreamReader
from tests.support.viewers import mint, open_link


async def test_link_exchanges_token_for_cookie_and_scopes_reads(server: Server) -> None:
    share = await mint(server, ["train/*"])
    assert share["url"].startswith(server.base + "sse/dashboard?")
    assert parse_qs(urlsplit(share["url"]).query)["channel"] == ["train/*"]
    await server.publish_ok(
        {"channel": "train/a", "type": "log", "data": {"text": "visible"}},
        {"channel": "secret", "type": "log", "data": {"text": "hidden"}},
    )
    viewer = await open_link(share["url"])
    try:
        page = await viewer.get(server.base + "sse/dashboard?channel=train/*")
        assert page.status_code == 200
        assert "jupyter-sse-config" in page.text
        assert share["token"] not in page.text

        rows = (await viewer.get(server.base + "sse/channels")).json()
        assert [r["channel"] for r in rows] == ["train/a"]

        async with StreamReader(
            viewer, server.base + "sse/stream", params={"channel": "train/*"}
        ) as s:
            snap = await s.next()
            assert snap.envelope["data"]["log"][0]["text"] == "visible"
            await server.publish_ok({"channel": "train/b", "type": "log", "data": {"text": "live"}})
            assert (await s.next()).envelope["data"]["text"] == "live"

        for params in ({"channel": "secret"}, {"channel": "*"}, {"channel": ["train/a", "secret"]}):
            r = await viewer.get(server.base + "sse/stream", params=params)
            assert r.status_code == 403, params
            assert "does not cover" in r.json()["error"]
        for method, path in [
            ("POST", "sse/publish"),
            ("POST", "sse/tokens"),
            ("GET", "sse/health"),
        ]:
            r = await viewer.request(method, server.base + path, json={"channels": ["*"]})
            assert r.status_code == 403, path
        for path in ("api/contents", "api/kernels", "api/sessions", "api/terminals"):
            r = await viewer.get(server.base + path, follow_redirects=False)
            assert r.status_code in (302, 403), path  # Jupyter's own refusal (login page)
            assert "secret" not in r.text
    finally:
        await viewer.aclose()


async def test_expired_link_ends_streams_and_is_refused(server: Server) -> None:
    """A viewer's open stream must not outlive its link."""
    share = await mint(server, ["a"], ttl=1)
    viewer = await open_link(share["url"])
    try:
        ok = await viewer.get(server.base + "sse/channels")
        assert ok.status_code == 200
        async with StreamReader(viewer, server.base + "sse/stream", params={"channel": "a"}) as s:
            assert (await s.next()).event == "snapshot"
            await asyncio.wait_for(s.ended.wait(), 5)  # the server ends it at expiry
            assert time.time() >= share["expires"]
        r = await viewer.get(server.base + "sse/stream", params={"channel": "a"})
        assert r.status_code == 403
        assert "expired" in r.json()["error"]
        page = await viewer.get(server.base + "sse/dashboard?channel=a")
        assert page.status_code == 403  # the page itself, telling the person in words
        assert '"scope": []' in page.text
        assert share["token"] not in page.text
        async with httpx.AsyncClient(timeout=10) as fresh:
            r = await fresh.get(share["url"])
            assert r.status_code == 403
            assert "jupyter-sse-config" in r.text
            assert "set-cookie" not in r.headers
    finally:
        await viewer.aclose()


async def test_token_request_is_validated(server: Server) -> None:
    ttl_max = server.app.viewer_token_ttl_max
    for body in (
        {"channels": []},
        {"channels": ["bad name"]},
        {"channels": "a"},
        {"channels": ["a"], "ttl": ttl_max + 1},
        {"channels": ["a"], "ttl": -1},
        {"channels": ["a"], "extra": 1},
        [1],
    ):
        r = await server.client.post(server.base + "sse/tokens", json=body, headers=server.auth)
        assert r.status_code == 400, body
    pub = {"Authorization": f"token {server.publish_token}"}
    r = await server.client.post(server.base + "sse/tokens", json={"channels": ["a"]}, headers=pub)
    assert r.status_code == 403


async def test_viewer_token_never_logged(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    share = await mint(server, ["a"])
    viewer = await open_link(share["url"])
    await viewer.get(server.base + "sse/stream", params={"channel": "zzz", "token": share["token"]})
    await viewer.aclose()
    text = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert "sse/dashboard" in text
    assert share["token"] not in text
    assert share["token"].split(".")[2] not in text
