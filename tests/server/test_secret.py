"""The server secret: never empty or short, and a rotation that revokes at once.

Before: an empty secret file was an empty HMAC key (anyone could sign links), rotation
left open viewer streams running and broke the publish tokens of running kernels, and
`jupyter sse rotate-secret` said "revoked" even for a server that signs with a setting.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from traitlets import TraitError

from jupyter_sse.server.app import SSEApp
from jupyter_sse.server.secret import InvalidSecret, ServerSecret
from tests.support.server import Server, wait_for
from tests.support.sse_client import StreamReader
from tests.support.viewers import mint, open_link

CLI = [sys.executable, "-m", "jupyter_sse.cli"]


def test_an_empty_or_blank_owned_secret_file_is_replaced_not_used(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    for content in (b"", b"   \n\t", b"short"):
        path.write_bytes(content)
        secret = ServerSecret(path)
        value = secret.current()
        assert len(value) >= 32
        assert value == path.read_bytes().strip()  # written back for the next start


def test_a_configured_secret_file_that_is_empty_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "admin-secret"
    path.write_bytes(b"\n")
    with pytest.raises(InvalidSecret, match="rotate-secret --file"):
        ServerSecret(path, owned=False).current()
    assert path.read_bytes() == b"\n"  # an admin's file is never rewritten behind them


@pytest.mark.parametrize("value", ["", " " * 40, "x" * 31])
def test_a_short_viewer_secret_setting_is_refused(value: str) -> None:
    if not value:
        assert SSEApp(viewer_secret=value).viewer_secret == ""  # empty: a random one
        return
    with pytest.raises(TraitError, match="at least 32 characters"):
        SSEApp(viewer_secret=value)


@pytest.fixture
def empty_secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "admin-secret"
    path.write_text("")
    return path


@pytest.fixture
def sse_config(empty_secret_file: Path) -> dict[str, object]:
    return {"viewer_secret_file": str(empty_secret_file)}


async def test_with_an_unusable_configured_secret_links_are_refused_with_the_fix(
    server: Server, empty_secret_file: Path
) -> None:
    r = await server.client.post(
        server.base + "sse/tokens", json={"channels": ["c"], "ttl": 60}, headers=server.auth
    )
    assert r.status_code == 503
    assert "rotate-secret --file" in r.json()["error"]
    health = (await server.get("sse/health", headers=server.auth)).json()
    assert health["state"] == "degraded"
    assert str(empty_secret_file) in health["reason"]
    # A Jupyter user still streams and publishes: only what needs the secret stops.
    assert (await server.publish({"channel": "c", "type": "log", "data": {"text": "x"}})).is_success


@pytest.mark.parametrize("sse_config", [{}])
async def test_rotation_closes_open_viewer_streams_within_a_second(server: Server) -> None:
    share = await mint(server, ["c"])
    viewer = await open_link(share["url"])
    try:
        async with (
            StreamReader(viewer, server.base + "sse/stream", params={"channel": "c"}) as seen,
            server.stream("c") as user,
        ):
            await seen.next()
            await user.next()
            loop = asyncio.get_running_loop()
            ServerSecret(server.app.services.viewer_secret.path).rotate()  # another process
            start = loop.time()
            await asyncio.wait_for(seen.ended.wait(), 1.0)
            print(f"viewer stream closed {loop.time() - start:.2f} s after the rotation")
            assert not user.ended.is_set()  # a Jupyter user's stream is not a link's
        r = await viewer.get(server.base + "sse/channels")
        assert r.status_code == 403
        assert "rotated" in r.json()["error"]
    finally:
        await viewer.aclose()


@pytest.mark.parametrize("sse_config", [{}])
async def test_rotation_rewrites_the_runtime_file_with_the_new_publish_token(
    server: Server,
) -> None:
    app = server.app
    await app.services.start()  # as the server's start hook, or its first request, does
    app.write_runtime_file()
    before = app.runtime_file.read_text()
    ServerSecret(app.services.viewer_secret.path).rotate()
    await wait_for(lambda: app.runtime_file.read_text() != before, what="the new runtime file")
    assert app.services.publish_token.value in app.runtime_file.read_text()


async def run_cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *CLI, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("sse_config", [{}])
async def test_rotate_secret_says_it_revokes_the_links_of_the_server_that_reads_it(
    server: Server,
) -> None:
    server.app.write_runtime_file()
    path = server.app.services.viewer_secret.path
    code, out, err = await run_cli("rotate-secret", "--file", str(path))
    assert code == 0, err
    assert f"{server.app.server_url()}: its viewer links are revoked" in out


@pytest.mark.parametrize("sse_config", [{"viewer_secret": "s" * 40}])
async def test_rotate_secret_says_a_server_with_a_configured_secret_is_not_affected(
    server: Server, tmp_path: Path
) -> None:
    """It printed "revoked" while the server went on signing with its setting."""
    server.app.write_runtime_file()
    code, out, err = await run_cli("rotate-secret", "--file", str(tmp_path / "some-file"))
    assert code == 0, err
    assert "revoked" not in out
    assert "not affected, it signs with c.SSEApp.viewer_secret" in out
    assert "no running server reads this file" in out
