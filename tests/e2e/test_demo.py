"""The README's demo command works: a server comes up and the fake run streams into it."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_demo_streams_a_training_run() -> None:
    proc = subprocess.Popen(
        [sys.executable, str(DEMO), "--port", str(free_port()), "--duration", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        printed = ""
        for line in proc.stdout:
            printed += line
            if line.startswith("Publishing"):
                break
        match = re.search(r"curl -N -H 'Authorization: token (\w+)' '([^']+)'", printed)
        assert match, printed
        token, url = match.groups()
        assert "Dashboard (viewer):" in printed
        assert "token=sv1." in printed
        types: set[str] = set()
        with httpx.stream("GET", url, headers={"Authorization": f"token {token}"}, timeout=20) as s:
            for line in s.iter_lines():
                if line.startswith("event: "):
                    types.add(line[7:])
                if {"metric", "progress"} <= types:
                    break
        assert {"metric", "progress"} <= types
        # The server's real metrics, not numbers the demo makes up.
        assert "channel=jupyter/system" in printed
        system_url = url.replace("channel=demo/*", "channel=jupyter/system")
        with httpx.stream(
            "GET", system_url, headers={"Authorization": f"token {token}"}, timeout=20
        ) as s:
            values = next(
                json.loads(line[6:])["data"]["values"]
                for line in s.iter_lines()
                if line.startswith("data: ") and '"type":"metric"' in line
            )
        assert 0 <= values["cpu_percent"] <= 100
        assert values["process_rss"] > 0
        servers = _children_of(proc.pid)
        assert servers, "the demo runs its Jupyter server as a child process"
    finally:
        proc.terminate()  # what a supervisor or `kill` sends
        proc.wait(timeout=30)
    # A terminated demo once left its server running, orphaned: it must stop it.
    assert proc.returncode == 0
    assert [pid for pid in servers if Path(f"/proc/{pid}").exists()] == []


def _children_of(pid: int) -> list[str]:
    """Processes whose parent is ``pid`` (Linux /proc), i.e. servers left orphaned or not."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            found.append(stat.parent.name)
    return found
