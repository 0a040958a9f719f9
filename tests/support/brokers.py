"""Brokers seen from inside: a subscriber that records what it is given, and a running broker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from jupyter_sse.server.broker.redis import RedisBroker
from jupyter_sse.wire.events import EventIn
from tests.support.server import wait_for


class Sink:
    """An in-process subscriber that records the frames it is given."""

    def __init__(self, *patterns: str) -> None:
        self.patterns = patterns
        self.frames: list[bytes] = []

    def deliver(self, frame: bytes) -> None:
        self.frames.append(frame)

    def open(self, first: Iterable[bytes]) -> None:
        self.frames.extend(first)

    def deliver_now(self, frames: bytes, chunk: bytes) -> None:
        # A fan-out group hands over a tick's frames joined: kept one event per entry
        # (a tick of one event is that event's own bytes, the frame kept in history).
        events = [event + b"\n\n" for event in frames.split(b"\n\n") if event]
        self.frames += [frames] if len(events) == 1 else events

    @property
    def events(self) -> list[dict[str, Any]]:
        return [parse(f) for f in self.frames]

    async def wait(self, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        await wait_for(lambda: len(self.frames) >= n, timeout, f"{n} frames")
        return self.events


def parse(frame: bytes) -> dict[str, Any]:
    fields: dict[str, Any] = {"id": None}
    for line in frame.decode().splitlines():
        name, _, value = line.partition(": ")
        fields[name] = value
    fields["data"] = json.loads(fields["data"])
    return fields


def metric(channel: str, step: int) -> EventIn:
    return {"channel": channel, "type": "metric", "data": {"step": step, "values": {"x": step}}}


@asynccontextmanager
async def running(url: str, **kwargs: Any) -> AsyncIterator[RedisBroker]:
    broker = RedisBroker(url, **kwargs)
    await broker.start()
    try:
        yield broker
    finally:
        await broker.close()
