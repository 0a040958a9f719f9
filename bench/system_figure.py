"""(h) What ``jupyter/system`` costs the server: CPU of sampling at 1 Hz with N kernels.

The server starts N real kernels (through its REST API, as JupyterLab does), then its
process's own CPU time (not its children's: the kernels are its children) is measured
over two windows of the same length: one with no stream on ``jupyter/system`` (the
server samples nothing), one with a stream on it. The difference per second is the
sampling's cost, as a share of one core; the samples received are counted, so a
window in which sampling did not run cannot pass for a cheap one.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from typing import Any

import psutil
import servers

SETTLE = 5.0  # seconds for freshly started kernels to go quiet before measuring


def _api(server: servers.Server, method: str, path: str, body: object = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", server.target.port, timeout=120)
    try:
        headers = dict(server.target.headers)
        payload = None if body is None else json.dumps(body)
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        text = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {text[:200]!r}")
        return json.loads(text) if text else None
    finally:
        conn.close()


def _own_cpu(pid: int) -> float:
    """CPU seconds of the server process itself, its kernels not counted."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def _count_samples(server: servers.Server, seconds: float) -> int:
    """Hold a stream on jupyter/system for ``seconds``; the metric events it got."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.target.port)
    auth = server.target.headers["Authorization"]
    writer.write(
        (
            "GET /sse/stream?channel=jupyter/system HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {auth}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    samples = 0
    end = time.monotonic() + seconds
    try:
        while (left := end - time.monotonic()) > 0:
            try:
                line = await asyncio.wait_for(reader.readline(), left)
            except asyncio.TimeoutError:
                break
            if not line:
                break
            samples += line.startswith(b"event: metric")
    finally:
        writer.close()
    return samples


async def system_cost(server: servers.Server, kernels: int, seconds: float) -> dict[str, Any]:
    started = [
        _api(server, "POST", "/api/kernels", {"name": "python3"})["id"] for _ in range(kernels)
    ]
    try:
        await asyncio.sleep(SETTLE)
        before = _own_cpu(server.pid)
        await asyncio.sleep(seconds)
        idle = _own_cpu(server.pid) - before
        before = _own_cpu(server.pid)
        samples = await _count_samples(server, seconds)
        sampled = _own_cpu(server.pid) - before
    finally:
        for kernel_id in started:
            _api(server, "DELETE", f"/api/kernels/{kernel_id}")
    cost = max(0.0, sampled - idle)
    return {
        "kernels": kernels,
        "seconds": seconds,
        "samples": samples,
        "cpu_idle_s": idle,
        "cpu_sampled_s": sampled,
        "core_share": cost / seconds,
        "ms_per_sample": 1000 * cost / samples if samples else None,
    }
