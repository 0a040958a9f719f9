"""``jupyter sse doctor``: passes on a good set-up, and names each fault of a bad one."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from jupyter_sse.cli import doctor as doctor_checks
from tests.support.live_server import LiveServer, free_port, live_server
from tests.support.old_redis import OldRedis
from tests.support.redis_server import RedisServer

CLI = [sys.executable, "-m", "jupyter_sse.cli", "doctor", "--json"]


def doctor(tmp_path: Path, server: LiveServer | None, *args: str) -> tuple[int, dict[str, Any]]:
    """Run doctor as the user of ``tmp_path``'s Jupyter folders; its findings by name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_SSE_")}
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(server.runtime if server else tmp_path / "no-runtime"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
    )
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)
    findings = {check["name"]: check for check in json.loads(done.stdout)}
    return done.returncode, findings


def failed(findings: dict[str, Any]) -> set[str]:
    return {name for name, check in findings.items() if check["status"] == "fail"}


def fake_labextension(tmp_path: Path) -> None:
    """A federated JupyterLab extension named jupyter-sse, laid out as an install does
    (its code is not needed: doctor reads what JupyterLab reads to list extensions)."""
    folder = tmp_path / "data" / "labextensions" / "jupyter-sse"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(
        json.dumps(
            {
                "name": "jupyter-sse",
                "version": "0.1.0",
                "jupyterlab": {"_build": {"load": "static/remoteEntry.js"}},
            }
        )
    )


def disable_labextension(tmp_path: Path) -> None:
    """What ``jupyter labextension disable jupyter-sse`` writes for this user."""
    config = tmp_path / "config" / "labconfig"
    config.mkdir(parents=True)
    (config / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"jupyter-sse": True}})
    )


def test_doctor_passes_a_good_set_up_and_names_each_fault(
    tmp_path: Path, redis_server_aof: RedisServer, redis_server: RedisServer
) -> None:
    good = redis_server_aof.url
    with live_server(tmp_path, f"--SSEApp.redis_url={good}") as server:
        code, findings = doctor(tmp_path, server, "--redis-url", good)
        assert code == 0, findings
        for name in ("extension", "front end", "server", "health", "clock", "redis",
                     "redis appendonly", "redis maxmemory-policy", "redis clock",
                     "secret file"):  # fmt: skip
            assert findings[name]["status"] == "ok", findings[name]
        assert findings["labextension"]["status"] == "warn"
        assert "not installed" in findings["labextension"]["detail"]

        # Redis down.
        code, findings = doctor(
            tmp_path, server, "--redis-url", f"redis://127.0.0.1:{free_port()}/0"
        )
        assert code == 3
        assert failed(findings) == {"redis"}
        assert "start Redis" in findings["redis"]["fix"]

        # A Redis without persistence.
        code, findings = doctor(tmp_path, server, "--redis-url", redis_server.url)
        assert code == 3
        assert failed(findings) == {"redis appendonly"}
        assert findings["redis appendonly"]["detail"] == "appendonly no"
        assert "appendonly yes" in findings["redis appendonly"]["fix"]

        # The secret file missing, then readable by others.
        code, findings = doctor(tmp_path, server, "--secret-file", str(tmp_path / "gone"))
        assert code == 3
        assert failed(findings) == {"secret file"}
        assert "is missing" in findings["secret file"]["detail"]
        public = tmp_path / "public-secret"
        public.write_text("x" * 64)
        public.chmod(0o644)
        code, findings = doctor(tmp_path, server, "--secret-file", str(public))
        assert failed(findings) == {"secret file"}
        assert "chmod 600" in findings["secret file"]["fix"]

        # The JupyterLab extension installed, then disabled.
        fake_labextension(tmp_path)
        code, findings = doctor(tmp_path, server)
        assert findings["labextension"]["status"] == "ok"
        disable_labextension(tmp_path)
        code, findings = doctor(tmp_path, server)
        assert code == 3
        assert failed(findings) == {"labextension"}
        assert findings["labextension"]["fix"] == "jupyter labextension enable jupyter-sse"

        # A wrong token.
        code, findings = doctor(tmp_path, server, "--url", server.base, "--token", "wrong")
        assert "server" in failed(findings)
        assert "--token" in findings["server"]["fix"]

    # No server running.
    code, findings = doctor(tmp_path, None)
    assert code == 3
    assert "no running Jupyter server" in findings["server"]["detail"]


async def test_doctor_names_a_redis_that_is_too_old() -> None:
    async with OldRedis() as url:
        checks = {c.name: c for c in await asyncio.to_thread(doctor_checks.redis, url)}
    assert checks["redis"].status == "fail"
    assert checks["redis"].detail.endswith("is Redis 6.0.16")
    assert checks["redis"].fix == "upgrade to Redis 6.2 or later"
