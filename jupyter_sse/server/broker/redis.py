"""The Redis broker: history, latest state and the channel registry live in Redis.

Every server process holds one pub/sub connection (a PSUBSCRIBE on the key prefix),
whatever its number of streams, and fans frames out to its own connections through
a ``Router``. A publish is one Lua script (``wire.redis_scripts.PUBLISH``): it numbers the
event with a global sequence, appends the encoded frame to the channel's history,
updates the latest state and publishes the same frame, atomically. So each live
frame carries its position, and replay and live meet without gap or duplicate:

* a new stream is registered (its live frames held back) *before* its history or
  snapshot is read in one atomic script at position S; then the held frames above S
  follow, and every later frame above the stream's ``floor`` goes straight out;
* once the reader has passed a stream's floor, the stream joins the fan-out group of
  its patterns: from then on a frame costs one append per group, not a check per
  stream, and a frame at or below the last position read (a catch-up's overlap with
  pub/sub) goes to no group;
* after the pub/sub connection drops, the reader re-subscribes, reads everything above
  the last position it saw from history (``catch-up``), and only then reads on.

Cursors are ``"<epoch>-<seq>"``. The epoch is drawn once per Redis dataset; when Redis
comes back without its data (or with older data), the epoch changes and every stream
gets ``reset`` and fresh snapshots: a loss is always announced, never skipped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from typing import Final

from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ...wire.bounds import DEFAULT_CHAT_SNAPSHOT_MESSAGES
from ...wire.errors import describe
from ...wire.events import EventIn
from ...wire.names import covered, matching
from ...wire.redis_keys import DEFAULT_PREFIX, MIN_REDIS_VERSION, KeyLayout, redacted, too_old
from ...wire.sse import check_frame
from ..metrics import COUNTS
from ..tick import Tick
from .base import (
    BrokerUnavailable,
    ChannelInfo,
    Health,
    PresenceSource,
    SpaceView,
    Subscriber,
    no_presence,
)
from .redis_store import CONNECT_TIMEOUT, RedisStore, live_frames
from .routing import Router
from .state import DEFAULT_SNAPSHOT_BYTES

log = logging.getLogger(__name__)

BACKOFF_FIRST: Final = 0.05  # seconds before the first reconnect; doubled up to BACKOFF_MAX
BACKOFF_MAX: Final = 2.0
CLOSE_WAIT: Final = 1.0  # seconds close() waits for background tasks, twice at most
KEEPALIVE: Final = 5.0  # seconds of pub/sub silence before a PING checks the connection
# Live frames held for one stream while its first frames load. Past it they are dropped
# and the load starts again: everything dropped is then older than the new read.
MAX_HELD: Final = 10_000

FOREIGN: Final = "the cursor is from another stream (Redis lost its data, or it is not ours)"
AHEAD: Final = "the cursor is ahead of this stream (Redis lost recent events)"


class RedisTooOld(RedisError):
    """Redis is older than ``MIN_REDIS_VERSION``: the broker does not use it."""


class _Client:
    """What the broker tracks for one subscriber."""

    __slots__ = ("cursor", "floor", "generation", "held", "loader", "patterns", "reason", "sub")

    def __init__(self, sub: Subscriber, cursor: str | None) -> None:
        self.sub = sub
        self.patterns = tuple(sub.patterns)
        self.cursor = cursor
        self.reason: str | None = None  # set: the next first frames start with `reset`
        self.floor = 0  # every position up to here was delivered or is in the snapshot
        self.held: list[tuple[int, bytes]] | None = []  # None once the first frames are out
        self.generation = 0  # bumped when a load in flight must be redone
        self.loader: asyncio.Task[None] | None = None


class RedisBroker:
    """Shares one stream between every server and publisher that uses the same Redis.

    ``prefix`` starts every key (default ``jupyter_sse:``); ``tenant`` keeps this
    server's channels apart from other tenants' on the same Redis (see
    ``wire.redis_keys``). ``history_size`` and ``history_ttl`` are written to Redis for
    publishers that trim history there; give every server of a tenant the same values.
    """

    kind = "redis"

    def __init__(
        self,
        url: str,
        *,
        history_size: int = 1000,
        history_ttl: float = 3600.0,
        prefix: str = DEFAULT_PREFIX,
        tenant: str = "",
        snapshot_bytes: int = DEFAULT_SNAPSHOT_BYTES,
        chat_messages: int = DEFAULT_CHAT_SNAPSHOT_MESSAGES,
        presence: PresenceSource = no_presence,
        tick: Tick | None = None,
    ) -> None:
        self.history_size = history_size
        self.history_ttl = history_ttl
        self.keys = KeyLayout(prefix, tenant)
        self.presence_spaces = len(self.keys.spaces)
        self.where = redacted(url)
        self._store = RedisStore(
            url, self.keys, snapshot_bytes=snapshot_bytes, chat_messages=chat_messages
        )
        self._presence = presence
        self._tick = tick or Tick()
        self._router = Router(self._tick)
        self._clients: dict[Subscriber, _Client] = {}
        # The clients not (yet) in a fan-out group: loading their first frames, or live
        # with a floor the reader has not reached. Each frame is checked against each.
        self._pending: dict[Subscriber, _Client] = {}
        self._epoch: str | None = None
        self._seen: int | None = None  # highest position the reader has dispatched
        self._counter = 0  # the counter's value when last read: positions up to it exist
        self.dropped = 0  # live frames that failed the check (see `frames_dropped`)
        self.too_old = False  # Redis answered with a version the scripts do not run on
        self._ready = asyncio.Event()  # subscribed and caught up
        self._tried = asyncio.Event()  # the first connection attempt is over
        self._reason = f"connecting to Redis at {self.where}"
        self._reader: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Start the reader; wait for a first answer from Redis a short while, never fail."""
        if self._reader is None:
            self._reader = asyncio.ensure_future(self._read())
        # On timeout the reader keeps trying in the background, and health() says so.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._tried.wait(), CONNECT_TIMEOUT)

    async def close(self) -> None:
        self._closed = True
        tasks = [t for t in (self._reader, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        pending: set[asyncio.Task[None]] = set()
        if tasks:
            # A cancellation can be lost inside redis-py's read timeout (it races with
            # asyncio.timeout on Python 3.11); closing the connections ends such a read,
            # and the loops stop on `_closed`.
            _, pending = await asyncio.wait(tasks, timeout=CLOSE_WAIT)
        self._router.clear()
        self._clients.clear()
        self._pending.clear()
        await self._store.aclose()
        if pending:
            await asyncio.wait(pending, timeout=CLOSE_WAIT)

    def health(self) -> Health:
        if self._ready.is_set():
            return {"broker": self.kind, "state": "ok"}
        return {"broker": self.kind, "state": "degraded", "reason": self._reason}

    # --- publish ----------------------------------------------------------------------

    async def publish(self, events: Sequence[EventIn]) -> list[str]:
        if self.too_old:
            raise BrokerUnavailable(self._reason)
        try:
            return await self._store.publish(
                events, history_size=self.history_size, history_ttl=self.history_ttl
            )
        except RedisError as e:
            # The script runs whole or not at all: nothing of the batch is half-written.
            raise BrokerUnavailable(f"Redis at {self.where}: {describe(e)}") from None

    # --- subscribe --------------------------------------------------------------------

    async def subscribe(self, subscriber: Subscriber, cursor: str | None) -> None:
        client = _Client(subscriber, cursor)
        # Registered before anything is read: live frames from now on are held for it.
        self._clients[subscriber] = self._pending[subscriber] = client
        self._router.add(subscriber, grouped=False)
        if self._ready.is_set():
            try:
                if await self._load(client):
                    return
            except RedisError as e:
                _log_retry(e)
        # Redis is away (or the load raced a reconnect): the stream stays open and gets
        # its first frames as soon as Redis is back.
        self._spawn_loader(client)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        client = self._clients.pop(subscriber, None)
        self._pending.pop(subscriber, None)
        if client is not None:
            self._router.remove(subscriber)
            if client.loader is not None:
                client.loader.cancel()

    def _spawn_loader(self, client: _Client) -> None:
        if self._clients.get(client.sub) is not client:
            return
        if client.loader is None or client.loader.done():
            client.loader = task = asyncio.ensure_future(self._keep_loading(client))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _keep_loading(self, client: _Client) -> None:
        delay = BACKOFF_FIRST
        while self._clients.get(client.sub) is client:
            await self._ready.wait()
            try:
                if await self._load(client):
                    return
                continue  # superseded while in flight: load again at once
            except RedisError as e:
                _log_retry(e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    async def _load(self, client: _Client) -> bool:
        """Deliver the first frames and the held live ones; False if it must be redone."""
        generation = client.generation
        frames, floor = await self._first_frames(client)
        if self._clients.get(client.sub) is not client or client.generation != generation:
            return False
        held, client.held = client.held or [], None
        client.cursor = client.reason = None
        # No await from here on: the stream switches from held to live in one step.
        client.sub.open(frames)
        deliver = client.sub.deliver
        for seq, frame in held:
            if seq > floor:
                deliver(frame)
                floor = seq
        client.floor = floor
        self._settle(client)
        return True

    def _settle(self, client: _Client) -> None:
        """Group a live client once every frame at or below its floor was dispatched:
        each frame that reaches a group from then on is one it does not have."""
        if client.held is None and self._seen is not None and client.floor <= self._seen:
            del self._pending[client.sub]
            self._router.group(client.sub)

    async def _first_frames(self, client: _Client) -> tuple[list[bytes], int]:
        reason = client.reason
        if reason is None and client.cursor is not None:
            epoch, _, after = client.cursor.rpartition("-")
            if not epoch or not (after.isascii() and after.isdigit()) or len(after) > 18:
                reason = FOREIGN
            else:
                found = await self._store.history(client.patterns, epoch, int(after))
                if found.status != "ok":
                    reason = FOREIGN if found.status == "foreign" else AHEAD
                elif found.lost:
                    reason = f"history of {found.lost[0]!r} no longer reaches back to the cursor"
                else:
                    return [e.frame for e in found.entries], found.seq
        return await self._store.snapshots(client.patterns, reason, self._presence)

    def _restart(self, client: _Client, reason: str) -> None:
        """Give a stream ``reset`` and fresh snapshots: its history is gone."""
        client.reason = reason
        client.held = []
        client.floor = 0
        client.generation += 1
        if client.sub not in self._pending:
            self._router.ungroup(client.sub)
            self._pending[client.sub] = client
        self._spawn_loader(client)

    # --- the reader -------------------------------------------------------------------

    async def _read(self) -> None:
        delay = BACKOFF_FIRST
        while not self._closed:
            try:
                patterns = self.keys.live_patterns
                async with self._store.subscription(patterns) as pubsub:
                    # Frames published after the confirmation reach this connection; the
                    # catch-up below reads what came before it.
                    for _ in patterns:
                        confirm = await pubsub.get_message(timeout=CONNECT_TIMEOUT)
                        if confirm is None or confirm["type"] != "psubscribe":
                            raise RedisConnectionError("Redis did not confirm the subscription")
                    await self._check_version()
                    await self._resync()
                    self._up()
                    delay = BACKOFF_FIRST
                    await self._listen(pubsub)
            except (RedisError, OSError) as e:
                self._down(e)
            if self._closed:
                return
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, BACKOFF_MAX)

    async def _listen(self, pubsub: PubSub) -> None:
        silent = 0
        while not self._closed:
            message = await pubsub.get_message(timeout=KEEPALIVE)
            if message is None:
                # A dead peer does not always close the socket; a PING unanswered
                # twice in a row says the connection is gone.
                silent += 1
                if silent > 2:
                    raise RedisConnectionError("no answer on the pub/sub connection")
                await pubsub.ping()
                continue
            silent = 0
            if message["type"] != "pmessage":
                continue
            channel = self.keys.channel_of(message["channel"])
            if channel is None:
                continue
            self._tick.arrived()  # one publisher's batch
            for frame in live_frames(message["data"]):
                # Nothing read back from Redis reaches a viewer unchecked: anything that
                # may PUBLISH here could have written this.
                position = check_frame(frame, channel, authored=self.keys.is_hub(channel))
                if position is None or not await self._reachable(position[1]):
                    self._drop(channel, frame)
                    continue
                epoch, seq = position
                if epoch != self._epoch:
                    # Redis was flushed, or another server found data missing and drew a
                    # new epoch: find out which, as after a reconnect. The catch-up reads
                    # the rest of this message from history.
                    self._ready.clear()
                    await self._resync()
                    self._up()
                    break
                self._dispatch(channel, seq, frame)

    async def _check_version(self) -> None:
        version = await self._store.version()
        self.too_old = too_old(version)
        if self.too_old:
            need = ".".join(map(str, MIN_REDIS_VERSION))
            raise RedisTooOld(
                f"Redis at {self.where} is version {'.'.join(map(str, version))}; jupyter-sse "
                f"needs {need} or later: upgrade Redis (docs/scaling.md)"
            )

    async def _reachable(self, seq: int) -> bool:
        """True when some publisher has taken position ``seq``: a frame beyond the counter
        was not written by the script, and would hold back every later frame."""
        if seq <= self._counter:
            return True
        self._counter = await self._store.current_position()
        return seq <= self._counter

    def _drop(self, channel: str, frame: bytes) -> None:
        self.dropped += 1
        COUNTS.dropped_frames += 1
        # Logged once in a while: whoever writes bad frames must not fill the log too.
        if self.dropped == 1 or self.dropped % 1000 == 0:
            log.warning(
                "jupyter_sse: dropped %d frame(s) from Redis that no publisher of this "
                "server wrote (the latest on %r: %r)",
                self.dropped,
                channel,
                frame[:120],
            )

    def _dispatch(self, channel: str, seq: int, frame: bytes) -> None:
        if self._seen is None or seq > self._seen:
            self._seen = seq
            for fanout in self._router.fanouts(channel):
                fanout.send(frame)
        if not self._pending:
            return
        for client in list(self._pending.values()):
            if seq > client.floor and covered(client.patterns, channel):
                if client.held is None:
                    client.floor = seq
                    client.sub.deliver(frame)
                elif len(client.held) < MAX_HELD:
                    client.held.append((seq, frame))
                else:
                    client.held.clear()
                    client.generation += 1
            self._settle(client)

    async def _resync(self) -> None:
        """After (re)subscribing: check the epoch, then catch up from history."""
        epoch, seq = await self._sync(rotate=False)
        self._counter = max(self._counter, seq)
        if self._epoch is not None and epoch != self._epoch:
            self._start_over(epoch, seq, "Redis lost its data")
        elif self._seen is not None and seq < self._seen:
            # Older data came back (e.g. a save from before the last events): old cursors
            # point at positions that will be reused, so a new epoch must void them.
            epoch, seq = await self._sync(rotate=True)
            self._start_over(epoch, seq, "Redis lost recent events")
        elif self._seen is None or not self._clients:
            self._epoch, self._seen = epoch, seq
        else:
            self._epoch = epoch
            patterns = sorted({p for client in self._clients.values() for p in client.patterns})
            found = await self._store.history(patterns, epoch, self._seen)
            if found.status != "ok":  # the data went away between the two reads
                self._start_over(found.epoch, found.seq, "Redis lost its data")
                return
            if found.lost:
                reason = f"history of {found.lost[0]!r} no longer reaches back to the cursor"
                for client in list(self._clients.values()):
                    if matching(client.patterns, found.lost):
                        self._restart(client, reason)
            for entry in found.entries:
                self._dispatch(entry.channel, entry.position, entry.frame)
            self._seen = max(self._seen, found.seq)

    async def _sync(self, *, rotate: bool) -> tuple[str, int]:
        return await self._store.sync(
            rotate=rotate, history_size=self.history_size, history_ttl=self.history_ttl
        )

    def _start_over(self, epoch: str, seq: int, what: str) -> None:
        log.warning("jupyter_sse: %s at %s; every stream gets a reset", what, self.where)
        self._epoch, self._seen = epoch, seq
        for client in list(self._clients.values()):
            self._restart(client, f"{what} (restarted without persistence, or flushed)")

    def _up(self) -> None:
        if not self._ready.is_set() and self._tried.is_set():
            log.info("jupyter_sse: connected to Redis at %s", self.where)
            COUNTS.redis_reconnects += 1
        self._ready.set()
        self._tried.set()

    def _down(self, error: BaseException) -> None:
        reason = (
            str(error)
            if isinstance(error, RedisTooOld)
            else f"Redis at {self.where} is unreachable: {describe(error)}"
        )
        if self._ready.is_set() or not self._tried.is_set():
            log.warning("jupyter_sse: %s; retrying in the background", reason)
        self._ready.clear()
        self._tried.set()
        self._reason = reason

    async def claim(self, name: str, ttl: float) -> bool:
        """Whether this server takes the job ``name``: the first server to claim it in
        Redis does. When Redis cannot answer, this server takes it too: a job done twice
        (an alert sent twice) is better than a job nobody does."""
        try:
            return await self._store.claim(name, ttl)
        except RedisError as e:
            log.debug("jupyter_sse: claim %s not checked in Redis: %s", name, describe(e))
            return True

    async def chat_message(self, channel: str, message_id: str) -> str | None:
        try:
            return await self._store.chat_message(channel, message_id)
        except RedisError as e:
            raise BrokerUnavailable(f"Redis at {self.where}: {describe(e)}") from None

    def presence_space(self, channel: str) -> int:
        """0 for this tenant's channels, 1 for the hub's (where every tenant's servers
        share their watchers)."""
        return 1 if self.keys.is_hub(channel) else 0

    async def exchange_presence(self, entries: Sequence[str | None], ttl: float) -> list[SpaceView]:
        """Through Redis (``wire.redis_scripts.PRESENCE``); raises ``BrokerUnavailable``."""
        try:
            return await self._store.exchange_presence(entries, ttl)
        except RedisError as e:
            raise BrokerUnavailable(f"Redis at {self.where}: {describe(e)}") from None

    # --- introspection ----------------------------------------------------------------

    async def channel_names(self, patterns: Sequence[str]) -> list[str]:
        try:
            return await self._store.names(patterns)
        except RedisError as e:
            raise BrokerUnavailable(f"Redis at {self.where}: {describe(e)}") from None

    async def channels(self, scope: Sequence[str] | None = None) -> list[ChannelInfo]:
        """The channels in Redis (all, or those ``scope`` covers). ``subscribers`` counts
        this server's streams only: each server knows its own connections, and no other
        server's."""
        try:
            rows = await self._store.channels(scope)
        except RedisError as e:
            raise BrokerUnavailable(f"Redis at {self.where}: {describe(e)}") from None
        for row in rows:
            row["subscribers"] = self._router.count(row["channel"])
        return rows

    def subscriber_count(self) -> int:
        """Streams registered with this broker (tests and health read it)."""
        return len(self._router)

    @property
    def frames_dropped(self) -> int:
        """Frames read back from Redis (live or history) that failed the check."""
        return self.dropped + self._store.dropped


def _log_retry(error: RedisError) -> None:
    # An outage is reported once by the reader; anything else (a script error) would
    # otherwise repeat unseen.
    level = (
        logging.DEBUG
        if isinstance(error, RedisConnectionError | RedisTimeoutError)
        else logging.WARNING
    )
    log.log(
        level, "jupyter_sse: loading a stream's first frames failed, retrying: %s", describe(error)
    )
