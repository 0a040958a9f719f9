"""The long-lived services one server runs, handed to every handler through ``initialize``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from tornado.ioloop import PeriodicCallback

from .auth import PublishToken
from .broker.base import Broker
from .limits import TokenBuckets
from .stream import Connections
from .viewer import ViewerSecret


@dataclass(frozen=True, slots=True)
class Limits:
    """The settings handlers enforce, copied from ``SSEApp`` traitlets at start."""

    heartbeat_interval: float
    retry_ms: int
    max_event_bytes: int
    max_connections: int
    max_connections_per_user: int
    client_buffer_bytes: int
    publish_rate_limit: float
    viewer_token_ttl_max: float


class Services:
    """Broker, open connections, tokens and limits of one server."""

    def __init__(
        self,
        broker: Broker,
        limits: Limits,
        publish_token: PublishToken,
        viewer_secret: ViewerSecret,
        log: logging.Logger,
    ) -> None:
        self.broker = broker
        self.limits = limits
        self.publish_token = publish_token
        self.viewer_secret = viewer_secret
        self.log = log
        self.connections = Connections()
        self.rate = TokenBuckets(limits.publish_rate_limit)
        self._heartbeat: PeriodicCallback | None = None
        self._started: asyncio.Task[None] | None = None

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
            # One timer for all connections: a timer per connection would cost 10,000
            # timers at 10,000 viewers for the same effect.
            self._heartbeat = PeriodicCallback(
                self.connections.ping, self.limits.heartbeat_interval * 1000
            )
            self._heartbeat.start()

    async def stop(self, timeout: float) -> None:
        """End every stream, then close the broker, within ``timeout`` seconds."""
        if self._heartbeat is not None:
            self._heartbeat.stop()
        self.connections.close_all("server stopping")
        try:
            await asyncio.wait_for(self.broker.close(), timeout)
        except asyncio.TimeoutError:
            self.log.warning("jupyter_sse: broker did not close within %.1f s", timeout)
