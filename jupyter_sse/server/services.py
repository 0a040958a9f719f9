"""The long-lived services one server runs, handed to every handler through ``initialize``."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from tornado.ioloop import PeriodicCallback

from . import metrics, tokens
from .broker.base import Broker
from .limits import Limits, TokenBuckets
from .secret import InvalidSecret, ServerSecret
from .streams import EventStreams
from .tick import Tick
from .token_users import TokenUsers
from .tokens import PublishToken

SECRET_CHECK_MS: Final = 250  # how often a rotated secret file is noticed (one stat call)


class Part(Protocol):
    """A long-lived service that starts after the broker and stops before it closes
    (the server channels, the webhooks)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class PublishSocket(Protocol):
    """An open publish socket (``publish_socket``), counted against the connection limits
    and closed when the server stops."""

    key: str  # its principal's

    def close(self, code: int | None = None, reason: str | None = None) -> None: ...


class Services:
    """Broker, open streams, tokens and limits of one server.

    ``tick`` is the end-of-tick writer that the broker's fan-out groups and the streams
    share (give the broker the same one). ``audience`` names who this server's viewer
    links are for (see ``tokens.verify``); ``on_rotate`` runs when the secret changed
    (the app rewrites its runtime file with the new publish token). ``tenant`` is whose
    server this is (hub channels are stamped with it), ``public_url`` where people reach
    it, ``behind_hub`` whether it runs under JupyterHub; ``watchers`` how many people
    watch a channel now (presence). ``faults``: what keeps it from publishing (a bad
    setting, Redis support missing), said by health and by a 503 on publish;
    ``notices``: what only health reports (the front end is not built).
    """

    def __init__(
        self,
        broker: Broker,
        limits: Limits,
        publish_token: PublishToken,
        secret: ServerSecret,
        log: logging.Logger,
        tick: Tick,
        *,
        audience: str = "",
        on_rotate: Callable[[], None] = lambda: None,
        tenant: str = "",
        public_url: str = "",
        behind_hub: bool = False,
        watchers: Callable[[str], int] = lambda channel: 0,
        faults: Sequence[str] = (),
        notices: Sequence[str] = (),
    ) -> None:
        self.broker = broker
        metrics.BROKERS.add(broker)  # its state and channels on /metrics
        self.limits = limits
        self.publish_token = publish_token
        self.viewer_secret = secret
        self.log = log
        self.audience = audience
        self.viewer_cookie = tokens.cookie_name(audience)
        self.tenant = tenant
        self.public_url = public_url
        self.behind_hub = behind_hub
        self.watchers = watchers
        # What keeps this server from publishing (health: degraded; publish: 503), and
        # what only health reports (the front end is not built).
        self.faults = list(faults)
        self.notices = list(notices)
        # A stream that ends leaves the broker at once, whoever ends it.
        self.connections = EventStreams(tick, release=broker.unsubscribe)
        self.rate = TokenBuckets(limits.publish_rate_limit)
        self.publishing = 0  # publish requests reading or parsing their body now
        self.publish_sockets: set[PublishSocket] = set()  # open publish sockets
        self.token_users = TokenUsers()  # who each keep-alive token connection is
        self._on_rotate = on_rotate
        self._secret_version = secret.version()
        self._timers: list[PeriodicCallback] = []
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
            # In a context of its own: started by a request, its tasks (the heartbeat,
            # the broker's) would keep that request's context, handler and all, for the
            # life of the server.
            self._started = asyncio.create_task(self._start(), context=contextvars.Context())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        await self.broker.start()
        if self.limits.heartbeat_interval > 0:
            # One timer for all streams: a timer per stream would cost 10,000 timers at
            # 10,000 viewers for the same effect.
            self._timers.append(
                PeriodicCallback(self.connections.ping, self.limits.heartbeat_interval * 1000)
            )
        if not self.viewer_secret.configured:
            self._timers.append(PeriodicCallback(self.check_secret, SECRET_CHECK_MS))
        for timer in self._timers:
            timer.start()
        for part in self._parts:
            await part.start()

    def check_secret(self) -> None:
        """Notice a rotated secret file: links signed before stop at once.

        Viewer streams whose link no longer verifies are closed (their pages then show
        the link is no longer valid); ``on_rotate`` hands kernels the new publish token.
        """
        version = self.viewer_secret.version()
        if version == self._secret_version:
            return
        self._secret_version = version
        try:
            secret = self.viewer_secret.current()
        except InvalidSecret as e:
            self.log.error("jupyter_sse: %s", e)
            self.connections.close_viewers(lambda token: False, "the server secret is unusable")
            return

        def still_valid(token: str) -> bool:
            try:
                tokens.verify(secret, token, audience=self.audience)
            except tokens.InvalidToken:
                return False
            return True

        closed = self.connections.close_viewers(still_valid, "viewer link revoked")
        self.log.info("jupyter_sse: the server secret changed; %d viewer stream(s) closed", closed)
        self._on_rotate()

    async def stop(self, timeout: float) -> None:
        """End every stream, stop the parts, then close the broker, each within ``timeout``
        seconds."""
        for timer in self._timers:
            timer.stop()
        metrics.BROKERS.discard(self.broker)
        self.connections.close_all("server stopping")
        for publisher in list(self.publish_sockets):
            publisher.close(1001, "server stopping")
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
