"""``ServerPublisher``: how the server publishes its own events, in-process.

The server's channels (system, activity, event bus) hand their events to the broker
directly, never over HTTP: no token, no request, and the ``jupyter/`` namespace that the
publish route refuses stays open to them alone. Publishing never blocks the caller (a
ZMQ callback, a logging handler, a timer): events wait in a bounded queue that one task
drains in order, in batches, and keeps for a while when the broker is away (Redis down).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any, Final

from ...wire.bounds import MAX_BATCH
from ...wire.events import EventIn, check_data
from ...wire.json_text import dumps, json_size
from ..broker.base import Broker, BrokerFull, BrokerUnavailable

MAX_QUEUE: Final = 10_000  # events waiting for the broker; the oldest go first past it
RETRY_FIRST: Final = 0.5  # seconds before publishing again after the broker refused
RETRY_MAX: Final = 5.0


class ServerPublisher:
    """The server's in-process publisher: ``publish`` queues, one task delivers."""

    def __init__(self, broker: Broker, log: logging.Logger, *, max_event_bytes: int) -> None:
        self._broker = broker
        self._log = log
        self._max_event_bytes = max_event_bytes
        self._queue: deque[EventIn] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.dropped = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())
            if self._queue:
                self._wake.set()

    async def stop(self) -> None:
        """Stop delivering; what is still queued is dropped with the server."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def publish(self, channel: str, type_: str, data: Any) -> None:
        """Queue one event for the broker; returns at once.

        The data of built-in types is checked like a kernel's (a mistake here is a bug of
        the server, and must not reach the viewers); an event larger than the server's
        ``max_event_bytes`` is dropped and logged, as the publish route would refuse it.
        """
        check_data(type_, data)
        data_json = dumps(data)
        if json_size(data_json) > self._max_event_bytes:
            self.dropped += 1
            self._log.warning(
                "jupyter_sse: a %s event of %s is larger than max_event_bytes; not published",
                type_,
                channel,
            )
            return
        if len(self._queue) >= MAX_QUEUE:
            self._queue.popleft()
            self.dropped += 1
        event: EventIn = {"channel": channel, "type": type_, "data": data, "data_json": data_json}
        self._queue.append(event)
        if self._task is not None:
            self._wake.set()

    async def _run(self) -> None:
        delay = RETRY_FIRST
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [self._queue[i] for i in range(min(len(self._queue), MAX_BATCH))]
            try:
                await self._broker.publish(batch)
            except (BrokerUnavailable, BrokerFull) as e:
                # Kept at the head of the queue, in order; the queue's bound decides
                # what a long outage loses.
                if delay == RETRY_FIRST:
                    self._log.warning("jupyter_sse: server channels wait for the broker: %s", e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = RETRY_FIRST
            # Removed only now: events queued meanwhile went to the end of the queue, and
            # overflow may have dropped some of this batch from the head already.
            for event in batch:
                if self._queue and self._queue[0] is event:
                    self._queue.popleft()
            self.published += len(batch)
