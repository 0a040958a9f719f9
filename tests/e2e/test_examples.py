"""Every example in examples/ runs against a real server and publishes what it says."""

from __future__ import annotations

import asyncio
import json
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
    "publish_over_a_socket.py": ("examples/socket", {"metric", "status"}),
    "publish_from_script.py": ("train/demo", {"progress", "metric", "status"}),
    "alerts.py": ("examples/alerts", {"status"}),
    "tqdm_drop_in.py": ("examples/tqdm", {"progress", "status"}),
    "logging_to_a_channel.py": ("examples/logging", {"log"}),
    "cli_tour.sh": ("examples/cli", {"status", "log"}),
    "lab_live_output.py": ("examples/lab", {"progress", "status"}),
}


async def run(server: Server, name: str) -> str:
    env = {
        **os.environ,
        "JUPYTER_SSE_URL": server.base,
        "JUPYTER_SSE_TOKEN": server.publish_token,
        "JUPYTER_TOKEN": server.token,
        # `jupyter sse` of this environment, as an activated virtualenv has it.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
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
    if name == "lab_live_output.py":
        assert 'view: {"channels": ["examples/lab"], "version": 1}' in out
    if name == "publish_over_a_socket.py":
        refused, done = (json.loads(line) for line in out.splitlines())
        assert refused["status"] == 400
        assert refused["error"].startswith("event 0: invalid channel 'not a name'")
        assert len(done["ids"]) == 1
        assert [p["step"] for p in snapshot["metric"]] == list(range(20))
    if name == "custom_events.py":
        assert "received {'service': 'api', 'version': '1.4.2'}" in out
    if name == "tqdm_drop_in.py":
        assert {"epoch", "batch", "bytes", "squares", "rows"} <= set(snapshot["progress"])
        assert snapshot["status"]["batch/phase"]["value"] == "train"
    if name == "logging_to_a_channel.py":
        texts = [line["text"] for line in snapshot["log"]]
        assert texts[:2] == [
            "examples.train: epoch 1 started",
            "examples.train: learning rate 1e-01 looks high",
        ]
        assert "KeyError: 'checkpoint'" in texts[2]
    if name == "cli_tour.sh":
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert [line["data"]["text"] for line in lines] == ["copied 120 files", "copied 240 files"]
        assert "examples/cli" in out  # the channels table
        assert "[ok  ] server:" in out  # doctor


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
