"""What an admin sees when the set-up is wrong: one log line that says what to do, the
extension still loaded, ``sse/health`` degraded with the reason, publishing 503 — never
a traceback and 404s."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyter_sse.server import app as app_module
from jupyter_sse.wire.redis_keys import parse_version, too_old
from tests.support.live_server import free_port, live_server
from tests.support.old_redis import OldRedis
from tests.support.server import Server, wait_for

EVENT = {"channel": "c", "type": "log", "data": {"text": "x"}}


@pytest.fixture
def broker_kind() -> str:
    """Each case sets its own broker up (or fails to)."""
    return "memory"


async def health(server: Server) -> dict[str, str]:
    response = await server.get("sse/health", headers=server.auth)
    assert response.status_code == 200
    answer: dict[str, str] = response.json()
    return answer


@pytest.mark.parametrize("sse_config", [{"history_size": 0, "retry_ms": 500}])
async def test_a_bad_setting_degrades_instead_of_breaking_the_extension(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    state = await health(server)
    assert state["state"] == "degraded"
    assert "SSEApp.history_size must be at least 1, got 0" in state["reason"]
    refused = await server.publish([EVENT])
    assert refused.status_code == 503
    assert "history_size" in refused.json()["error"]
    # The other settings of the section still apply; the bad one keeps its default.
    assert server.app.retry_ms == 500
    assert server.app.history_size == 1000
    lines = [r.getMessage() for r in caplog.records if "history_size" in r.getMessage()]
    assert len(lines) == 1
    assert "fix it and restart" in lines[0]
    assert not any(r.exc_info for r in caplog.records)


@pytest.mark.parametrize("sse_config", [{"redis_url": f"redis://127.0.0.1:{free_port()}/0"}])
async def test_an_unreachable_redis_is_named_in_health_and_publish(server: Server) -> None:
    state = await health(server)
    assert state["state"] == "degraded"
    assert "is unreachable" in state["reason"]
    refused = await server.publish([EVENT])
    assert refused.status_code == 503
    assert "broker unavailable" in refused.json()["error"]


@pytest.fixture
def unbuilt_front_end(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The built files are absent, as in a checkout where js/ was never built."""
    missing = tmp_path / "static" / "dashboard" / "boot.js"
    monkeypatch.setattr(app_module, "DASHBOARD_BOOT", missing)
    monkeypatch.setattr("jupyter_sse.server.dashboard.DASHBOARD_BOOT", missing)


@pytest.mark.usefixtures("unbuilt_front_end")
async def test_a_front_end_never_built_is_reported_and_publishing_goes_on(server: Server) -> None:
    state = await health(server)
    assert state["state"] == "degraded"
    assert "npm run build" in state["reason"]
    assert (await server.publish([EVENT])).status_code == 200
    page = await server.get("sse/dashboard", headers=server.auth)
    assert page.status_code == 503
    assert "npm run build" in page.json()["error"]


def test_versions_of_redis_that_are_too_old() -> None:
    assert parse_version("7.2.4") == (7, 2, 4)
    assert parse_version("6.2.0-rc1") == (6, 2)
    assert too_old(parse_version("6.0.16"))
    assert not too_old(parse_version("6.2.0"))
    assert not too_old(parse_version("7.4.1"))
    assert not too_old(parse_version(""))  # not told: the broker tries


def venv_without_redis(folder: Path) -> Path:
    """A virtual environment that has everything of this one but the ``redis`` extra:
    the packages are linked in one by one, leaving out redis and hiredis."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=60
    )
    source = Path(sysconfig.get_paths()["purelib"])
    (target,) = folder.glob("lib/python*/site-packages")
    for entry in source.iterdir():
        if entry.name.partition("-")[0].partition(".")[0].lower() in ("redis", "hiredis"):
            continue
        (target / entry.name).symlink_to(entry)
    python = folder / "bin" / "python"
    check = subprocess.run([str(python), "-c", "import redis"], capture_output=True, timeout=60)
    assert check.returncode != 0, "redis is still importable in the new environment"
    return python


def test_redis_url_without_the_redis_extra(tmp_path: Path) -> None:
    python = venv_without_redis(tmp_path / "venv")
    url = f"redis://127.0.0.1:{free_port()}/0"
    with live_server(tmp_path, f"--SSEApp.redis_url={url}", python=python) as server:
        answer = httpx.get(server.base + "sse/health", headers=server.auth, timeout=10)
        assert answer.status_code == 200
        state = answer.json()
        assert state["state"] == "degraded"
        assert "pip install 'jupyter-sse[redis]'" in state["reason"]
        refused = httpx.post(
            server.base + "sse/publish", json=[EVENT], headers=server.auth, timeout=10
        )
        assert refused.status_code == 503
        assert "jupyter-sse[redis]" in refused.json()["error"]
        server.proc.terminate()
        server.proc.wait(timeout=20)
        assert server.proc.stderr is not None
        log = server.proc.stderr.read().decode()
    # The extension's own line (tornado's request log then names the 503 too).
    told = [line for line in log.splitlines() if "SSEApp]" in line and "jupyter-sse[redis]" in line]
    assert len(told) == 1, log
    assert "Traceback" not in log
    assert "ModuleNotFoundError" not in log


@pytest.fixture
def old_redis(jp_asyncio_loop: asyncio.AbstractEventLoop) -> Iterator[str]:
    """The URL of a server that says it is Redis 6.0."""
    old = OldRedis()
    url = jp_asyncio_loop.run_until_complete(old.__aenter__())
    yield url
    jp_asyncio_loop.run_until_complete(old.__aexit__(None, None, None))


@pytest.fixture
def sse_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A test that asks for ``old_redis`` runs its server on it."""
    if "old_redis" in request.fixturenames:
        return {"redis_url": request.getfixturevalue("old_redis")}
    return {}


async def test_a_redis_older_than_6_2_is_named_and_publish_refused(
    server: Server, old_redis: str
) -> None:
    await server.app.services.start()
    await wait_for(lambda: server.app.services.broker.too_old, 10, "the version check")
    state = await health(server)
    assert state["state"] == "degraded"
    assert "is version 6.0.16; jupyter-sse needs 6.2 or later" in state["reason"]
    refused = await server.publish([EVENT])
    assert refused.status_code == 503
    assert "upgrade Redis" in refused.json()["error"]
