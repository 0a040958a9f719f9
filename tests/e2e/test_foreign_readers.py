"""Readers that are not ours consume the stream correctly, resume included."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse

from tests.support.server import Server, wait_for

JS_DIR = Path(__file__).resolve().parents[2] / "js"
READER = Path(__file__).parent / "readers" / "eventsource-reader.mjs"


def metric(step: int) -> dict[str, object]:
    return {"channel": "run", "type": "metric", "data": {"step": step, "values": {"x": step}}}


async def take(events: AsyncIterator[ServerSentEvent], n: int) -> list[ServerSentEvent]:
    """The next ``n`` events other than ``presence`` (who watches: sent when that changes,
    with no id), as a reader that listens for the event types it knows gets them."""
    taken = []
    while len(taken) < n:
        event = await anext(events)
        if event.event != "presence":
            taken.append(event)
    return taken


async def test_httpx_sse_reads_and_resumes(server: Server) -> None:
    url = server.base + "sse/stream"
    params = {"channel": "run"}
    async with httpx.AsyncClient(headers=server.auth, timeout=10) as client:
        async with aconnect_sse(client, "GET", url, params=params) as source:
            events = source.aiter_sse()
            # httpx-sse also yields the data-less `retry:` block, which browsers never
            # dispatch (the spec drops events with no data); it is the first block.
            first = await anext(events)
            assert (first.retry, first.data) == (2000, "")
            (snap,) = await take(events, 1)
            assert snap.event == "snapshot"
            await server.publish_ok(metric(1), metric(2))
            seen = await take(events, 2)
        assert [json.loads(e.data)["data"]["step"] for e in seen] == [1, 2]
        await server.publish_ok(metric(3), metric(4))
        headers = {"Last-Event-ID": seen[-1].id}
        async with aconnect_sse(client, "GET", url, params=params, headers=headers) as source:
            events = source.aiter_sse()
            assert (await anext(events)).retry == 2000
            resumed = await take(events, 2)
    assert [e.event for e in resumed] == ["metric", "metric"]
    assert [json.loads(e.data)["data"]["step"] for e in resumed] == [3, 4]


@pytest.mark.parametrize("sse_config", [{"retry_ms": 50}])
async def test_eventsource_package_reconnects_without_gap_or_duplicate(server: Server) -> None:
    """The server ends every stream twice mid-run; the reader resumes on its own by cursor."""
    node = shutil.which("node")
    assert node, "node is required for this test"
    total = 60
    proc = await asyncio.create_subprocess_exec(
        node,
        str(READER),
        server.base + "sse/stream?channel=run",
        server.token,
        str(total),
        env={"JS_DIR": str(JS_DIR), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    connections = server.app.services.connections
    try:
        for round_ in range(3):
            await wait_for(lambda: len(connections) == 1, what="the reader to connect")
            await server.publish_ok(*(metric(round_ * 20 + i) for i in range(10)))
            if round_ < 2:
                # Cut the stream, then publish while the reader is away: it must get these
                # from history when it comes back.
                connections.close_all("test cut")
                await wait_for(lambda: len(connections) == 0, what="the cut")
            await server.publish_ok(*(metric(round_ * 20 + 10 + i) for i in range(10)))
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert [x["type"] for x in lines].count("open") == 3
    assert [x["type"] for x in lines if x["type"] != "open"][:1] == ["snapshot"]
    assert not [x for x in lines if x["type"] == "reset"]
    steps = [x["data"]["data"]["step"] for x in lines if x["type"] == "metric"]
    assert steps == list(range(total))
