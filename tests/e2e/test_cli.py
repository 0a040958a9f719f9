"""``jupyter sse share`` and ``jupyter sse rotate-secret`` as a terminal user runs them."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.server import Server

CLI = [sys.executable, "-m", "jupyter_sse.cli"]


async def run(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *CLI, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_share_prints_a_working_link(server: Server) -> None:
    code, out, err = await run(
        "share", "train/*", "--ttl", "2h", "--url", server.base, "--token", server.token
    )
    assert code == 0, err
    url = out.strip()
    assert url.startswith(server.base + "sse/dashboard?token=sv1.")
    async with httpx.AsyncClient() as viewer:
        assert (await viewer.get(url)).status_code == 302
        r = await viewer.get(server.base + "sse/channels")
        assert r.status_code == 200


async def test_share_with_comment_makes_a_link_that_may_chat_as_its_label(
    server: Server,
) -> None:
    code, out, err = await run(
        "share", "talk", "--comment", "--label", "Dana (review)",
        "--url", server.base, "--token", server.token,
    )  # fmt: skip
    assert code == 0, err
    async with httpx.AsyncClient() as viewer:
        assert (await viewer.get(out.strip())).status_code == 302
        r = await viewer.post(server.base + "sse/chat", json={"channel": "talk", "text": "hi"})
        assert r.status_code == 200, r.text
    async with server.stream("talk") as s:
        (message,) = (await s.next()).envelope["data"]["chat"]
    assert message["author"]["display_name"] == "Dana (review)"
    assert message["author"]["kind"] == "viewer"
    code, _, err = await run(
        "share", "talk", "--label", "x" * 65, "--url", server.base, "--token", server.token
    )
    assert code == 1
    assert "label must be 1-64 characters" in err


async def test_share_with_a_bad_token_says_why(server: Server) -> None:
    code, _, err = await run("share", "a", "--url", server.base, "--token", "wrong")
    assert code == 1
    assert "refused the share link (401)" in err


async def test_share_refuses_a_bad_duration(server: Server) -> None:
    code, _, err = await run(
        "share", "a", "--ttl", "soon", "--url", server.base, "--token", server.token
    )
    assert code == 1
    assert "duration 'soon'" in err


async def test_rotate_secret_revokes_links(server: Server, tmp_path: Path) -> None:
    server.app.write_runtime_file()  # as a started server has: the CLI finds it there
    secret = server.app.services.viewer_secret
    code, out, _ = await run("share", "a", "--url", server.base, "--token", server.token)
    assert code == 0
    code, msg, err = await run("rotate-secret", "--file", str(secret.path))
    assert code == 0, err
    assert "revoked" in msg
    token = parse_qs(urlsplit(out.strip()).query)["token"][0]
    async with httpx.AsyncClient() as viewer:
        page = await viewer.get(out.strip())
        assert page.status_code == 403  # the page, saying the link no longer works
        r = await viewer.get(
            server.base + "sse/channels", headers={"Authorization": f"token {token}"}
        )
        assert r.status_code == 403
        assert "rotated" in r.json()["error"]
