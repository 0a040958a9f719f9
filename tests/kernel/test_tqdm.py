"""``from jupyter_sse import tqdm``: each part of tqdm's API still prints like tqdm and
publishes the bar to a real server's stream."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tqdm.contrib.concurrent import thread_map

from jupyter_sse import Channel, Publisher, tqdm, trange
from jupyter_sse.kernel.transport import discover
from tests.support.server import Server
from tests.support.sse_client import Event, StreamReader


@pytest.fixture
def broker_kind() -> str:
    """The kernel side does not depend on the broker: the embedded one is enough."""
    return "memory"


@asynccontextmanager
async def publishing(server: Server, name: str) -> AsyncIterator[tuple[Channel, StreamReader]]:
    """A channel of a publisher of the server's kernels, and a stream already reading it."""
    pub = Publisher(transport=discover(server.app.publish_env()))
    try:
        async with server.stream(name) as stream:
            assert (await stream.next()).event == "snapshot"
            yield Channel(name, publisher=pub), stream
    finally:
        await asyncio.to_thread(pub.close)


async def until(stream: StreamReader, done: Callable[[Event], bool]) -> list[Event]:
    """The events of ``stream`` up to the first one ``done`` accepts."""
    seen: list[Event] = []
    while not seen or not done(seen[-1]):
        seen.append(await stream.next(10))
    return seen


def finished(key: str) -> Callable[[Event], bool]:
    def check(event: Event) -> bool:
        data = event.envelope["data"]
        return event.event == "progress" and data["key"] == key and data.get("done") is True

    return check


def progress_of(events: list[Event], key: str) -> list[dict[str, Any]]:
    return [
        e.envelope["data"]
        for e in events
        if e.event == "progress" and e.envelope["data"]["key"] == key
    ]


async def test_a_wrapped_loop_prints_and_publishes(server: Server) -> None:
    async with publishing(server, "tq/loop") as (ch, stream):
        out = io.StringIO()
        total = 0
        for i in tqdm(range(50), desc="epoch 1", channel=ch, file=out, mininterval=0):
            total += i
        events = await until(stream, finished("epoch 1"))
    assert total == sum(range(50))
    assert "epoch 1: 100%" in out.getvalue()
    assert "50/50" in out.getvalue()
    bars = progress_of(events, "epoch 1")
    assert bars[-1]["value"] == 50
    assert bars[-1]["total"] == 50
    assert bars[-1]["label"] == "epoch 1"
    # Values only grow, whatever was coalesced on the way.
    assert [b["value"] for b in bars] == sorted(b["value"] for b in bars)


async def test_update_without_a_total_and_a_new_description(server: Server) -> None:
    async with publishing(server, "tq/update") as (ch, stream):
        out = io.StringIO()
        bar = tqdm(channel=ch, key="download", file=out, unit="B", mininterval=0)
        bar.update(10)
        bar.set_description("fetching")
        bar.update(5)
        bar.close()
        events = await until(stream, finished("download"))
    last = progress_of(events, "download")[-1]
    assert last["value"] == 15
    assert "total" not in last
    assert last["label"] == "fetching"
    assert "fetching: : 15B [" in out.getvalue()  # tqdm's own ": " after the description


async def test_postfix_values_become_statuses(server: Server) -> None:
    async with publishing(server, "tq/postfix") as (ch, stream):
        out = io.StringIO()
        bar = tqdm(range(3), desc="train", channel=ch, file=out, mininterval=0)
        for i in bar:
            bar.set_postfix(loss=0.5 / (i + 1), phase="warmup")
        events = await until(
            stream,
            lambda e: (
                e.event == "status"
                and e.envelope["data"]["key"] == "train/loss"
                and e.envelope["data"]["value"] == pytest.approx(0.5 / 3)
            ),
        )
    statuses = {
        e.envelope["data"]["key"]: e.envelope["data"]["value"]
        for e in events
        if e.event == "status"
    }
    assert statuses["train/phase"] == "warmup"
    assert "loss=0.167" in out.getvalue()


async def test_nested_bars_each_publish_their_own_key(server: Server) -> None:
    async with publishing(server, "tq/nested") as (ch, stream):
        out = io.StringIO()
        for _ in tqdm(range(2), desc="outer", position=0, channel=ch, file=out, mininterval=0):
            for _ in trange(3, desc="inner", position=1, leave=False, channel=ch, file=out):
                pass
        events = await until(stream, finished("outer"))
    inner = progress_of(events, "inner")
    # Both inner runs share the key "inner" (a rerun updates the same bar); the queue
    # keeps the latest state of a key, so the last one seen is the second run's end.
    assert (inner[-1]["value"], inner[-1].get("done")) == (3, True)
    assert progress_of(events, "outer")[-1]["value"] == 2
    assert "outer: 100%" in out.getvalue()


async def test_pandas_progress_apply_on_a_dataframe(server: Server) -> None:
    frame = pd.DataFrame({"a": range(40), "b": range(40, 80)})
    async with publishing(server, "tq/pandas") as (ch, stream):
        out = io.StringIO()
        tqdm.pandas(desc="rows", channel=ch, file=out, mininterval=0)
        sums = await asyncio.to_thread(frame.progress_apply, lambda row: row.a + row.b, axis=1)
        events = await until(stream, finished("rows"))
    assert list(sums) == [a + b for a, b in zip(range(40), range(40, 80), strict=True)]
    assert progress_of(events, "rows")[-1]["value"] == 40
    assert "rows: 100%" in out.getvalue()


async def test_thread_map_takes_it_as_tqdm_class(server: Server) -> None:
    async with publishing(server, "tq/threads") as (ch, stream):
        out = io.StringIO()
        squares = await asyncio.to_thread(
            thread_map,
            lambda x: x * x,
            range(20),
            tqdm_class=tqdm,
            channel=ch,
            desc="squares",
            file=out,
            max_workers=4,
        )
        events = await until(stream, finished("squares"))
    assert squares == [x * x for x in range(20)]
    last = progress_of(events, "squares")[-1]
    assert (last["value"], last["total"]) == (20, 20)


def test_with_nowhere_to_publish_it_warns_once_and_still_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("JUPYTER_SSE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))  # no server's runtime file
    ch = Channel("tq/offline", publisher=Publisher())
    out = io.StringIO()
    with pytest.warns(RuntimeWarning, match="not published: no jupyter-sse server"):
        for _ in tqdm(range(5), desc="offline", channel=ch, file=out):
            pass
    assert "offline: 100%" in out.getvalue()


def test_a_disabled_bar_publishes_nothing() -> None:
    # No publisher could work here: a bar that tried would warn (an error under pytest).
    for _ in tqdm(range(3), disable=True, channel=Channel("tq/off", publisher=Publisher())):
        pass


async def test_a_class_bound_to_a_channel_for_code_that_takes_only_a_class(
    server: Server,
) -> None:
    def library_code(tqdm_class: type[tqdm]) -> int:
        # A library that makes its own bar and knows nothing of channels.
        return sum(tqdm_class(range(7), desc="inside", file=io.StringIO()))

    async with publishing(server, "tq/bound") as (ch, stream):
        bound = tqdm.on(ch)
        assert await asyncio.to_thread(library_code, bound) == sum(range(7))
        events = await until(stream, finished("inside"))
    assert progress_of(events, "inside")[-1]["value"] == 7
    assert issubclass(bound, tqdm)
    assert tqdm.default_channel == "progress"  # the class itself is left as it was
