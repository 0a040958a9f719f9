"""Every example in examples/ runs against a real server and publishes what it says."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from tests.support.server import Server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# example file -> (channel it publishes to, event types the channel must have seen)
CASES = {
    "progress_bars.py": ("examples/progress", {"progress"}),
    "metrics_chart.py": ("examples/metrics", {"metric"}),
    "compare_runs.py": ("examples/runs/lr-0.01", {"metric", "status"}),
    "statuses_and_toasts.py": ("examples/status", {"status", "log"}),
    "live_table.py": ("examples/sweep", {"table"}),
    "custom_events.py": ("examples/custom", {"other"}),
    "publish_with_curl.sh": ("examples/shell", {"status", "log"}),
    "publish_from_script.py": ("train/demo", {"progress", "metric", "status"}),
    "alerts.py": ("examples/alerts", {"status"}),
}


async def run(server: Server, name: str) -> str:
    env = {
        **os.environ,
        "JUPYTER_SSE_URL": server.base,
        "JUPYTER_SSE_TOKEN": server.publish_token,
        "JUPYTER_TOKEN": server.token,
    }
    command = ["bash"] if name.endswith(".sh") else [sys.executable]
    proc = await asyncio.create_subprocess_exec(
        *command,
        str(EXAMPLES / name),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


@pytest.mark.parametrize("name", list(CASES))
async def test_example_publishes(server: Server, name: str) -> None:
    channel, kinds = CASES[name]
    out = await run(server, name)
    async with server.stream(channel) as s:
        snapshot = (await s.next()).envelope["data"]
    assert kinds <= set(snapshot), snapshot
    if name == "custom_events.py":
        assert "received {'service': 'api', 'version': '1.4.2'}" in out


async def test_server_channels_example_prints_a_real_sample(server: Server) -> None:
    out = await run(server, "server_channels.py")
    assert "0 kernel(s): {}" in out
    assert "GPU: no GPU: " in out
    assert re.search(r"cpu [\d.]+%, memory [\d.]+%, server RSS \d+ MB, disk [\d.]+%", out), out


async def test_share_example_prints_a_viewer_link(server: Server) -> None:
    out = await run(server, "share_dashboard.py")
    assert "/sse/dashboard?token=sv1." in out


async def test_chat_example_posts_as_the_links_label(server: Server) -> None:
    out = await run(server, "chat_with_viewers.py")
    assert "a link that may comment: " in out
    async with server.stream("examples/chat") as s:
        (message,) = (await s.next()).envelope["data"]["chat"]
    assert message["author"] == {
        "name": message["author"]["name"],
        "display_name": "Reviewer",
        "kind": "viewer",
    }
    assert message["text"] == "loss spiked at step 4k <b>?</b>"
    assert f"posted message {message['id']} as Reviewer" in out
