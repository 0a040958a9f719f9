"""``jupyter/system``: real numbers of this machine, and no sampling while nobody asks."""

from __future__ import annotations

import asyncio
import itertools
import os
from typing import Any

import psutil
import pytest

from tests.support.server import Server, wait_for
from tests.support.sse_client import Event, StreamReader

INTERVAL = 0.25  # seconds: the tests wait for several samples


@pytest.fixture
def sse_config() -> dict[str, Any]:
    return {"system_interval": INTERVAL}


def system(server: Server) -> Any:
    return server.app.server_channels.system


async def next_of(stream: StreamReader, type_: str, timeout: float = 10.0) -> Event:
    while True:
        event = await stream.next(timeout)
        if event.event == type_:
            return event


@pytest.mark.parametrize("sse_config", [{"system_interval": 1.0}])
async def test_metrics_arrive_about_every_second_within_what_psutil_reports(
    server: Server,
) -> None:
    root = server.app.serverapp.root_dir
    async with server.stream("jupyter/system") as s:
        info = (await next_of(s, "system.info")).envelope["data"]
        samples = [(await next_of(s, "metric")).envelope for _ in range(3)]
    assert info["cpu_count"] == psutil.cpu_count()
    assert info["memory_total"] == psutil.virtual_memory().total
    assert info["disk_total"] == psutil.disk_usage(root).total
    # No GPU here: the data says so, and why, and no GPU value is made up.
    assert info["gpu"]["available"] is False
    assert info["gpu"]["reason"].startswith("no GPU: ")
    for a, b in itertools.pairwise(samples):
        assert 0.5 <= b["ts"] - a["ts"] <= 10, "about one sample per system_interval"
    values = samples[-1]["data"]["values"]
    assert not [k for k in values if k.startswith("gpu")]
    memory = psutil.virtual_memory()
    assert 0 <= values["cpu_percent"] <= 100
    assert 0 < values["memory_used"] < memory.total
    assert 0 < values["memory_available"] <= memory.total
    assert 0 <= values["memory_percent"] <= 100
    # The server runs in this process: its numbers are this process's.
    rss = psutil.Process(os.getpid()).memory_info().rss
    assert rss / 2 < values["process_rss"] < rss * 2
    assert 0 <= values["process_cpu_percent"] <= 100 * (psutil.cpu_count() or 1)
    for key, now in zip(("load_1", "load_5", "load_15"), os.getloadavg(), strict=True):
        assert 0 <= values[key] <= now + psutil.cpu_count() * 2
    disk = psutil.disk_usage(root)
    assert values["disk_used"] + values["disk_free"] <= disk.total
    assert abs(values["disk_used"] - disk.used) < disk.total * 0.05
    assert 0 <= values["disk_percent"] <= 100


async def test_no_sample_is_taken_without_a_stream_that_asks(server: Server) -> None:
    # A stream of other channels, and a catch-all one, start nothing.
    async with server.stream("train/*"), server.stream("*"):
        await wait_for(lambda: len(server.app.services.connections) == 2, what="two streams")
        await asyncio.sleep(INTERVAL * 4)
    assert system(server).samples == 0
    assert not system(server).sampling


async def test_sampling_stops_when_the_last_stream_leaves(server: Server) -> None:
    async with server.stream("jupyter/*") as first:
        async with server.stream("jupyter/system") as second:
            await next_of(second, "metric")
        await wait_for(lambda: len(server.app.services.connections) == 1, what="one stream")
        before = system(server).samples
        await wait_for(lambda: system(server).samples > before, what="sampling for the first")
        await next_of(first, "metric")
    await wait_for(lambda: not system(server).sampling, what="sampling to stop")
    taken = system(server).samples
    await asyncio.sleep(INTERVAL * 4)
    assert system(server).samples == taken, "a sample was taken with nobody watching"
    # And it starts again for the next one.
    async with server.stream("jupyter/system") as again:
        await next_of(again, "metric")
    assert system(server).samples > taken


async def test_a_late_viewer_gets_the_latest_samples_in_its_snapshot(server: Server) -> None:
    async with server.stream("jupyter/system") as s:
        await next_of(s, "system.kernels")
        async with server.stream("jupyter/system") as late:
            snapshot = (await late.next()).envelope["data"]
    assert snapshot["metric"][-1]["values"]["memory_used"] > 0
    assert snapshot["other"]["system.info"]["cpu_count"] == psutil.cpu_count()
    assert snapshot["other"]["system.kernels"] == {"kernels": []}
