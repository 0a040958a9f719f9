"""A real ``jupyter server`` process with the extension, as an admin starts one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
TOKEN = "secret-test"


@dataclass
class LiveServer:
    proc: subprocess.Popen[bytes]
    base: str  # http://127.0.0.1:PORT/
    runtime: Path  # its Jupyter runtime dir

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {TOKEN}"}

    def rss(self) -> int:
        """The server process's resident memory, in bytes (from /proc)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS in /proc status")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live_server(tmp_path: Path, *args: str, python: Path | None = None) -> Iterator[LiveServer]:
    """Start ``jupyter server`` with ``args`` (``--SSEApp.x=y``) and its own config, data
    and runtime folders; stop it (killed if it will not stop) on the way out.

    ``python``: the interpreter of another environment to run the server in (``python -m
    jupyter_server``, with the extension enabled on the command line).
    """
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    command = (
        [str(BIN / "jupyter"), "server"]
        if python is None
        else [
            str(python),
            "-m",
            "jupyter_server",
            "--ServerApp.jpserver_extensions=jupyter_sse=True",
        ]
    )
    proc = subprocess.Popen(
        [
            *command,
            f"--port={port}",
            f"--ServerApp.token={TOKEN}",
            "--no-browser",
            "--allow-root",
            f"--ServerApp.root_dir={tmp_path}",
            *args,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status = httpx.get(base + "api/status", params={"token": TOKEN}, timeout=1)
                if status.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        yield LiveServer(proc, base, tmp_path / "runtime")
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
