"""What the Redis broker reads from and writes to Redis, with the replies parsed.

``RedisStore`` runs the scripts of ``wire.redis_scripts`` over one redis-py asyncio client
and turns their replies into frames and positions; ``RedisBroker`` decides who gets
them and when. Every method raises ``redis.exceptions.RedisError`` when Redis fails.
"""

from __future__ import annotations

import heapq
import secrets
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final, NamedTuple, Protocol, cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ResponseError

from ...wire.bounds import DEFAULT_CHAT_SNAPSHOT_MESSAGES
from ...wire.events import EventIn
from ...wire.redis_keys import KeyLayout, parse_version
from ...wire.redis_scripts import (
    PRESENCE,
    PUBLISH,
    REPLAY,
    SNAPSHOT,
    SYNC,
    presence_keys,
    publish_args,
    publish_keys,
    replay_keys,
    snapshot_keys,
)
from ...wire.sse import check_frame, reset_frame, snapshot_frame
from ..metrics import COUNTS
from .base import ChannelInfo, PresenceSource, SpaceView, no_presence
from .state import DEFAULT_SNAPSHOT_BYTES, ChannelState, with_presence

CONNECT_TIMEOUT: Final = 2.0  # seconds to open a connection
COMMAND_TIMEOUT: Final = 10.0  # seconds to wait for the answer to one command


class Entry(NamedTuple):
    """One event read back from history."""

    position: int
    channel: str
    frame: bytes


class History(NamedTuple):
    """What ``REPLAY`` found after a position, for every channel a subscription covers."""

    epoch: str
    seq: int  # the newest position when it was read
    status: str  # "ok", or "foreign" (another epoch) / "ahead" (a position not reached)
    lost: list[str]  # channels whose history no longer reaches back to the position
    entries: list[Entry]  # the events after it, in publish order across channels


class _Closable(Protocol):
    async def aclose(self) -> None: ...


class RedisStore:
    """The scripts and reads of one broker, under one key prefix."""

    def __init__(
        self,
        url: str,
        keys: KeyLayout,
        *,
        snapshot_bytes: int = DEFAULT_SNAPSHOT_BYTES,
        chat_messages: int = DEFAULT_CHAT_SNAPSHOT_MESSAGES,
    ) -> None:
        self.keys = keys
        self.snapshot_bytes = snapshot_bytes
        self.chat_messages = chat_messages
        # This process, among the servers that share presence entries in Redis.
        self.server_id = secrets.token_hex(8)
        self._revisions = [""] * len(keys.spaces)  # presence revision last read, per space
        self._url = url
        # No retries inside redis-py: a publish script retried after a lost answer could
        # run twice, and a silently re-subscribed pub/sub connection would hide a gap.
        # Every retry is a decision of the broker.
        self._options: dict[str, Any] = {
            "socket_connect_timeout": CONNECT_TIMEOUT,
            "socket_timeout": COMMAND_TIMEOUT,
        }
        self._redis = Redis.from_url(url, retry=Retry(NoBackoff(), 0), **self._options)
        self._listening: list[object] = []  # the client of the open subscription, if any
        self.dropped = 0  # frames read back from history that failed the check
        self._publish = self._redis.register_script(PUBLISH)
        self._snapshot = self._redis.register_script(SNAPSHOT)
        self._replay = self._redis.register_script(REPLAY)
        self._sync = self._redis.register_script(SYNC)
        self._presence = self._redis.register_script(PRESENCE)

    @asynccontextmanager
    async def subscription(self, patterns: Sequence[str]) -> AsyncIterator[PubSub]:
        """A PSUBSCRIBE of ``patterns`` on a connection of its own, closed on the way out.

        Its own client, not one from the command pool: after a failure nothing of the old
        connection (parser state, resubscribe callbacks) can leak into the next one.
        """
        client = Redis.from_url(self._url, retry=Retry(NoBackoff(), 0), **self._options)
        pubsub = client.pubsub()
        self._listening.append(client)
        try:
            await pubsub.psubscribe(*patterns)
            yield pubsub
        finally:
            self._listening.remove(client)
            await aclose(pubsub)
            await aclose(client)

    async def aclose(self) -> None:
        """Close every connection, the subscription's too (which ends a read in progress)."""
        for client in [self._redis, *self._listening]:
            await aclose(client)

    async def publish(
        self, events: Sequence[EventIn], *, history_size: int, history_ttl: float
    ) -> list[str]:
        """Run ``PUBLISH`` (atomic: the whole batch or nothing); the cursors, in order."""
        args = publish_args(
            self.keys,
            secrets.token_hex(4),
            events,
            history_size=history_size,
            history_ttl=history_ttl,
            chat_messages=self.chat_messages,
        )
        ids = await self._publish(keys=publish_keys(self.keys), args=args)
        return [i.decode() for i in ids]

    async def snapshots(
        self,
        patterns: Sequence[str],
        reason: str | None,
        presence: PresenceSource = no_presence,
    ) -> tuple[list[bytes], int]:
        """``reset`` (if ``reason``) and one ``snapshot`` frame per channel (with who
        watches it now, from ``presence``), and their position."""
        reply = await self._snapshot(
            keys=snapshot_keys(self.keys),
            args=[
                self.keys.prefix,
                self.keys.hub or "",
                secrets.token_hex(4),
                self.keys.seq,
                self.keys.epoch,
                *patterns,
            ],
        )
        now = time.time()
        seq = int(reply[1])
        cursor = f"{reply[0].decode()}-{seq}"
        frames = [reset_frame(now, reason)] if reason is not None else []
        COUNTS.resets += reason is not None
        for parts in reply[2:]:
            name = parts[0].decode()
            state = snapshot_json(parts, self.snapshot_bytes, self.chat_messages)
            frames.append(snapshot_frame(cursor, name, now, with_presence(state, presence(name))))
        return frames, seq

    async def history(self, patterns: Sequence[str], epoch: str, after: int) -> History:
        """Every event after position ``after`` of the channels ``patterns`` cover.

        Entries whose frame is not exactly what ``PUBLISH`` writes for that channel and
        position (``wire.sse.check_frame``) are left out and counted in ``dropped``.
        """
        keys = self.keys
        reply: Any = await self._replay(
            keys=replay_keys(keys),
            args=[
                keys.prefix,
                keys.hub or "",
                secrets.token_hex(4),
                epoch,
                str(after),
                keys.seq,
                keys.epoch,
                *patterns,
            ],
        )
        found, seq, status = reply[0].decode(), int(reply[1]), reply[2].decode()
        lost = [name.decode() for name, gone, _ in reply[3:] if gone]
        # Each channel's entries are sorted already; merging them keeps publish order.
        tails = [self._entries(name.decode(), entries, found) for name, _, entries in reply[3:]]
        return History(found, seq, status, lost, list(heapq.merge(*tails)))

    def _entries(self, channel: str, entries: Sequence[Any], epoch: str) -> list[Entry]:
        out = []
        for entry_id, fields in entries:
            position = int(entry_id.split(b"-")[0])
            frame = fields[1] if len(fields) > 1 and fields[0] == b"f" else b""
            authored = self.keys.is_hub(channel)
            if check_frame(frame, channel, authored=authored) != (epoch, position):
                self.dropped += 1
                COUNTS.dropped_frames += 1
                continue
            out.append(Entry(position, channel, frame))
        return out

    async def version(self) -> tuple[int, ...]:
        """Redis's version (``INFO server``); ``()`` when this user may not ask (an ACL
        user of a hub tenant is allowed only what the broker needs)."""
        try:
            info = await self._redis.info("server")
        except ResponseError:
            return ()
        return parse_version(str(info.get("redis_version", "")))

    async def current_position(self) -> int:
        """The newest position any publisher has taken (the counter itself)."""
        value = await self._redis.get(self.keys.seq)
        return int(value or 0)

    async def sync(self, *, rotate: bool, history_size: int, history_ttl: float) -> tuple[str, int]:
        """The epoch (drawn now if Redis has none, or if ``rotate``) and the newest position.

        Also writes this server's history settings for publishers that trim in Redis.
        """
        reply = await self._sync(
            keys=[self.keys.config],
            args=[
                secrets.token_hex(4),
                "1" if rotate else "0",
                str(history_size),
                repr(float(history_ttl)),
                self.keys.seq,
                self.keys.epoch,
            ],
        )
        return reply[0].decode(), int(reply[1])

    async def claim(self, name: str, ttl: float) -> bool:
        """True if this call set the claim ``name`` (for ``ttl`` seconds) first."""
        done = await self._redis.set(self.keys.claim(name), b"1", nx=True, px=int(ttl * 1000))
        return bool(done)

    async def chat_message(self, channel: str, message_id: str) -> str | None:
        """A kept chat message's JSON (see ``Broker.chat_message``)."""
        found = await self._redis.hget(self.keys.base(channel) + "sc", message_id)
        return None if found is None else cast(bytes, found).decode()

    async def exchange_presence(self, entries: Sequence[str | None], ttl: float) -> list[SpaceView]:
        """Run ``PRESENCE``: this server's entry per space written (None: renewed as it
        is), the others' read when they changed."""
        args = [self.server_id, repr(float(ttl))]
        for entry, known in zip(entries, self._revisions, strict=True):
            args += ["-" if entry is None else entry, known]
        reply = await self._presence(keys=presence_keys(self.keys), args=args)
        views = []
        for index, (revision, missing, flat, read, channels) in enumerate(reply):
            found: dict[str, str] | None = None
            if read:
                self._revisions[index] = revision.decode()
                found = {
                    flat[i].decode(): flat[i + 1].decode("utf-8", "replace")
                    for i in range(0, len(flat), 2)
                    if flat[i].decode() != self.server_id
                }
            views.append(SpaceView(found, bool(missing), int(channels)))
        return views

    async def names(self, scope: Sequence[str] | None = None) -> list[str]:
        """The registered channels (all, or those ``scope``'s patterns cover), sorted."""
        registries = [self.keys.registry]
        if self.keys.hub_registry is not None:
            registries.append(self.keys.hub_registry)
        # decode_responses is off: members come back as bytes (redis-py types them loosely).
        async with self._redis.pipeline(transaction=False) as pipe:
            for registry in registries:
                if scope is None:
                    pipe.zrange(registry, 0, -1)
                    continue
                for pattern in scope:
                    stem = pattern.removesuffix("*").encode()
                    if not stem:
                        pipe.zrange(registry, 0, -1)
                    elif pattern.endswith("*"):
                        pipe.zrangebylex(registry, b"[" + stem, b"[" + stem + b"\xff")
                    else:
                        pipe.zrangebylex(registry, b"[" + stem, b"[" + stem)
            found = cast("list[list[bytes]]", await pipe.execute())
        members = sorted({m for names in found for m in names})
        return [n.decode() for n in members]

    async def channels(self, scope: Sequence[str] | None = None) -> list[ChannelInfo]:
        """The registered channels (all, or those ``scope``'s patterns cover), sorted,
        with their event counts and last event times."""
        names = await self.names(scope)
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hmget(self.keys.base(name) + "m", "n", "t")
            rows = await pipe.execute()
        return [
            {
                "channel": name,
                "subscribers": 0,
                "events": int(events or 0),
                "last_event": float(last) if last else None,
            }
            for name, (events, last) in zip(names, rows, strict=True)
        ]


async def aclose(resource: object) -> None:
    """``resource.aclose()``: the types-redis stubs (redis-py 4) predate it, and
    redis-py 5+ deprecates ``close()``."""
    await cast(_Closable, resource).aclose()


def live_frames(message: bytes) -> list[bytes]:
    """The frames of one pub/sub message: the script sends a run of frames as one.

    A frame ends with its only blank line: its ``data:`` line is one line of JSON.
    """
    if message.count(b"\n\n") == 1:
        return [message]
    return [part + b"\n\n" for part in message.split(b"\n\n") if part]


def snapshot_json(
    parts: Sequence[Any], limit: int, chat_messages: int = DEFAULT_CHAT_SNAPSHOT_MESSAGES
) -> str:
    """The snapshot ``data`` JSON (``ChannelState``'s shape) of one channel's entry of
    the ``SNAPSHOT`` reply, within ``limit`` bytes.

    Stored values are JSON text already, so the object is assembled around them instead
    of decoded and encoded again on every connect.
    """
    _, progress, status, other, metric, log, tables, chat = parts
    state = ChannelState.from_texts(
        limit,
        progress=_pairs(progress),
        status=_pairs(status),
        other=_pairs(other),
        metric=(item.decode() for item in metric),
        log=(item.decode() for item in log),
        tables=(
            (name.decode(), [row.decode() for row in rows])
            for name, rows in zip(tables[::2], tables[1::2], strict=True)
        ),
        chat=_pairs(chat),
        chat_messages=chat_messages,
    )
    return state.snapshot_json()


def _pairs(flat: Sequence[bytes]) -> Iterator[tuple[str, str]]:
    return ((flat[i].decode(), flat[i + 1].decode()) for i in range(0, len(flat), 2))
