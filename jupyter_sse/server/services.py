"""The long-lived services one server runs, handed to every handler through ``initialize``."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from tornado.ioloop import PeriodicCallback

from .broker.base import Broker
from .limits import Limits, TokenBuckets
from .secret import ServerSecret
from .streams import EventStreams
from .tick import Tick
from .tokens import PublishToken


class Part(Protocol):
    """A long-lived service that starts after the broker and stops before it closes
    (the server channels, the webhooks)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Services:
    """Broker, open streams, tokens and limits of one server.

    ``tick`` is the end-of-tick writer that the broker's fan-out groups and the streams
    share (give the broker the same one).
    """

    def __init__(
        self,
        broker: Broker,
        limits: Limits,
        publish_token: PublishToken,
        secret: ServerSecret,
        log: logging.Logger,
        tick: Tick,
    ) -> None:
        self.broker = broker
        self.limits = limits
        self.publish_token = publish_token
        self.viewer_secret = secret
        self.log = log
        self.connections = EventStreams(tick)
        self.rate = TokenBuckets(limits.publish_rate_limit)
        self._heartbeat: PeriodicCallback | None = None
        self._started: asyncio.Task[None] | None = None
        self._parts: list[Part] = []

    def attach(self, part: Part) -> None:
        """Start ``part`` with the services (after the broker) and stop it with them."""
        self._parts.append(part)

    async def start(self) -> None:
        """Start the broker and the heartbeat once; every later call returns at once.

        Called from the server's start hook and again before each request, because
        some hosts (test servers, embedding apps) never run the start hook.
        """
        if self._started is None:
            self._started = asyncio.ensure_future(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        await self.broker.start()
        if self.limits.heartbeat_interval > 0:
            # One timer for all streams: a timer per stream would cost 10,000 timers at
            # 10,000 viewers for the same effect.
            self._heartbeat = PeriodicCallback(
                self.connections.ping, self.limits.heartbeat_interval * 1000
            )
            self._heartbeat.start()
        for part in self._parts:
            await part.start()

    async def stop(self, timeout: float) -> None:
        """End every stream, stop the parts, then close the broker, each within ``timeout``
        seconds."""
        if self._heartbeat is not None:
            self._heartbeat.stop()
        self.connections.close_all("server stopping")
        # Parts use the broker: they stop first (a part that never started stops at once).
        for part in reversed(self._parts):
            try:
                await asyncio.wait_for(part.stop(), timeout)
            except asyncio.TimeoutError:
                self.log.warning("jupyter_sse: %r did not stop within %.1f s", part, timeout)
        try:
            await asyncio.wait_for(self.broker.close(), timeout)
        except asyncio.TimeoutError:
            self.log.warning("jupyter_sse: broker did not close within %.1f s", timeout)
