"""The extension as an admin meets it: installed, enabled, configured, started, stopped."""

from __future__ import annotations

import importlib.metadata
import json
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from traitlets import TraitError

import jupyter_sse
from jupyter_sse.server.app import SSEApp
from tests.support.live_server import BIN, LiveServer, live_server


def test_extension_is_enabled_after_install() -> None:
    out = subprocess.run(
        [str(BIN / "jupyter"), "server", "extension", "list"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    text = out.stdout + out.stderr
    assert "jupyter_sse \x1b[32menabled" in text or "jupyter_sse enabled" in text
    version = jupyter_sse.__version__
    assert f"jupyter_sse {version} \x1b[32mOK" in text or f"jupyter_sse {version} OK" in text


def test_version_is_defined_once() -> None:
    """The installed distribution's version is the package's ``__version__``."""
    assert importlib.metadata.version("jupyter-sse") == jupyter_sse.__version__


@pytest.mark.parametrize(
    "setting", ["history_size", "retry_ms", "max_event_bytes", "client_buffer_bytes"]
)
def test_settings_refuse_nonsense(setting: str) -> None:
    with pytest.raises(TraitError, match=f"SSEApp.{setting} must be at least 1"):
        SSEApp(**{setting: 0})


def test_every_setting_documents_its_unit_and_default() -> None:
    names = [
        "redis_url",
        "heartbeat_interval",
        "retry_ms",
        "history_size",
        "history_ttl",
        "max_event_bytes",
        "max_connections",
        "max_connections_per_user",
        "client_buffer_bytes",
        "publish_rate_limit",
        "viewer_token_ttl_max",
        "freeze_gc",
        "redis_prefix",
        "max_request_bytes",
        "max_concurrent_publishes",
        "max_publish_sockets",
        "max_streams_per_link",
        "max_channels",
        "history_bytes",
        "snapshot_bytes",
        "system_interval",
        "notify_cells_after",
        "webhooks",
        "webhook_queue_size",
        "webhook_timeout",
        "webhook_retries",
    ]
    traits = SSEApp.class_traits(config=True)
    for name in names:
        help_text = traits[name].help
        assert "default" in help_text.lower() or name == "redis_url", name


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(tmp_path, "--SSEApp.heartbeat_interval=0.2") as server:
        yield server


def test_runtime_file_and_bounded_stop(live: LiveServer) -> None:
    proc, base, runtime = live.proc, live.base, live.runtime
    path = runtime / f"jupyter_sse-{proc.pid}.json"
    deadline = time.monotonic() + 10
    while not path.exists():
        assert time.monotonic() < deadline, "runtime file was not written"
        time.sleep(0.05)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    info = json.loads(path.read_text())
    assert info["url"] == base
    publish = httpx.post(
        base + "sse/publish",
        json={"channel": "c", "type": "log", "data": {"text": "hi"}},
        headers={"Authorization": f"token {info['token']}"},
    )
    assert publish.status_code == 200

    auth = {"Authorization": "token secret-test"}
    with httpx.stream("GET", base + "sse/stream", params={"channel": "c"}, headers=auth) as s:
        lines = s.iter_lines()
        assert next(lines) == "retry: 2000"
        while next(lines) != ": ping":  # the heartbeat flows on a real server
            pass
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        for _ in lines:  # the server ends the stream as it stops
            pass
        assert time.monotonic() - start < 10
    assert proc.wait(timeout=20) == 0
    assert not path.exists(), "runtime file left behind"
    log = proc.stderr.read().decode() if proc.stderr else ""
    assert "objects held at start frozen for the garbage collector" in log, log
