"""The embedded broker: history, latest state and fan-out inside one server process.

Everything runs on the event loop thread and no method awaits between reading the
history and registering a subscriber, so a resume can never miss or repeat an event
published meanwhile: there is no "meanwhile". A new stream's first frames are taken
as they are at that moment (references to history frames, snapshot texts) and pulled
by the stream as its client reads.

Every part is bounded: at most ``max_channels`` channels (a new one takes the place of
the one idle longest that nobody watches; idle channels also expire with their history),
and per channel ``history_size`` frames and ``history_bytes`` bytes of history and
``snapshot_bytes`` of state.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import heapq
import itertools
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Final

from ...wire.bounds import DEFAULT_CHAT_SNAPSHOT_MESSAGES
from ...wire.events import EventIn
from ...wire.json_text import dumps
from ...wire.names import explicit_channels
from ...wire.sse import EventFrames, reset_frame, snapshot_frame
from ..metrics import COUNTS
from ..tick import Tick
from .base import (
    BrokerFull,
    ChannelInfo,
    Health,
    PresenceSource,
    SpaceView,
    Subscriber,
    no_presence,
)
from .routing import FanOut, Router
from .state import DEFAULT_SNAPSHOT_BYTES, ChannelState, with_presence

# A publisher's idempotency keys are remembered this many at a time: enough to cover
# the batches a publisher may retry after a lost response, small enough to ignore.
DEDUPE_KEYS: Final = 65536
EXPIRY_CHECK_MAX: Final = 60.0  # seconds between two looks for expired idle channels

# (seq, ts, frame). A plain tuple, not a NamedTuple: the garbage collector stops
# tracking a tuple of atoms, never an instance of a tuple subclass. A history of
# NamedTuples put every event into the oldest generation, where they set off full
# collections (50-100 ms each in a Jupyter server) every few tens of thousands.
_Stored = tuple[int, float, bytes]
SEQ: Final = 0
TS: Final = 1
FRAME: Final = 2


class _Channel:
    __slots__ = ("bytes", "events", "evicted", "history", "last_ts", "state")

    def __init__(self, snapshot_bytes: int, chat_messages: int) -> None:
        self.history: deque[_Stored] = deque()
        self.bytes = 0  # of the frames in history
        self.state = ChannelState(snapshot_bytes, chat_messages)
        self.events = 0  # published since start; history holds at most history_size of them
        self.evicted = 0  # highest seq that left the history: a cursor below it has a gap
        self.last_ts = 0.0


class MemoryBroker:
    """The default broker: no dependencies, one process.

    Cursors are ``"<epoch>-<seq>"``: ``seq`` counts every event of the broker, so one
    number orders all channels of a connection; ``epoch`` is drawn at start, so a cursor
    from before a server restart is recognised as foreign and answered with ``reset``.
    """

    kind = "memory"
    presence_spaces = 1

    def __init__(
        self,
        *,
        history_size: int = 1000,
        history_ttl: float = 3600.0,
        history_bytes: int = 1024 * 1024,
        snapshot_bytes: int = DEFAULT_SNAPSHOT_BYTES,
        max_channels: int = 10000,
        chat_messages: int = DEFAULT_CHAT_SNAPSHOT_MESSAGES,
        presence: PresenceSource = no_presence,
        tick: Tick | None = None,
    ) -> None:
        self.history_size = history_size
        self.history_ttl = history_ttl
        self.history_bytes = history_bytes
        self.snapshot_bytes = snapshot_bytes
        self.max_channels = max_channels
        self.chat_messages = chat_messages
        self._presence = presence
        self._created = 0  # channels created since start: presence notices new ones
        self.epoch = secrets.token_hex(4)
        self._seq = 0
        # By last activity, idle longest first: what eviction and expiry look at.
        self._channels: OrderedDict[str, _Channel] = OrderedDict()
        self._names: list[str] | None = []  # sorted, for scoped lookups; None: rebuild
        self._tick = tick or Tick()
        self._router = Router(self._tick)
        self._dedupe: OrderedDict[str, str] = OrderedDict()
        self._expiry: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the expiry of idle channels (with a history TTL)."""
        if self.history_ttl > 0 and self._expiry is None:
            self._expiry = asyncio.ensure_future(self._expire_idle())

    async def close(self) -> None:
        """Drop every subscriber; their connections are closed by the app."""
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
            self._expiry = None
        self._router.clear()

    def health(self) -> Health:
        return {"broker": self.kind, "state": "ok"}

    # --- publish ----------------------------------------------------------------------

    async def publish(self, events: Sequence[EventIn]) -> list[str]:
        self._make_room(events)
        ids: list[str] = []
        now = time.time()
        frames = EventFrames(now)
        dedupe = self._dedupe
        # A batch is nearly always one channel: its lookups are made when it changes.
        name: str | None = None
        ch: _Channel  # set whenever name is
        fanouts: tuple[FanOut, ...] = ()
        touched: dict[str, _Channel] = {}
        try:
            for event in events:
                channel = event["channel"]
                key = event.get("id")
                if key is not None:
                    # One string rather than a (channel, id) tuple: names and ids cannot
                    # contain a space, and a string is no work for the garbage collector.
                    key = channel + " " + key
                    seen = dedupe.get(key)
                    if seen is not None:
                        ids.append(seen)
                        continue
                if channel != name:
                    name = channel
                    found = self._channels.get(channel)
                    if found is None:
                        found = self._channels[channel] = _Channel(
                            self.snapshot_bytes, self.chat_messages
                        )
                        self._names = None
                        self._created += 1
                    ch = found
                    touched[channel] = ch
                    fanouts = self._router.fanouts(channel)
                data = event["data"]
                data_json = event.get("data_json")
                if data_json is None:
                    data_json = dumps(data)
                self._seq += 1
                cursor = f"{self.epoch}-{self._seq}"
                type_ = event["type"]
                frame = frames.frame(cursor, channel, type_, data_json)
                ch.history.append((self._seq, now, frame))
                ch.bytes += len(frame)
                ch.events += 1
                ch.state.apply(type_, data, now, data_json, event.get("state_json"))
                # One append per group of identical subscriptions; the frames of this tick
                # reach each viewer as one write at the end of it (see routing.FanOut).
                for fanout in fanouts:
                    fanout.send(frame)
                if key is not None:
                    dedupe[key] = cursor
                    if len(dedupe) > DEDUPE_KEYS:
                        dedupe.popitem(last=False)
                ids.append(cursor)
        finally:
            self._tick.arrived()
            # Trimmed once per batch (even one cut short): nothing can read the history
            # before this returns, so trimming after each event was work for nobody.
            for touched_name, touched_ch in touched.items():
                touched_ch.last_ts = now
                self._channels.move_to_end(touched_name)
                self._trim(touched_ch, now)
        return ids

    def _make_room(self, events: Sequence[EventIn]) -> None:
        """Make room for the batch's new channels, or refuse it before it changes anything."""
        channels = self._channels
        new = {e["channel"] for e in events} - channels.keys()
        over = len(channels) + len(new) - self.max_channels
        if over <= 0:
            return
        # The channels idle longest that nobody watches; found first, so that a batch that
        # cannot fit evicts nothing.
        idle = list(
            itertools.islice((name for name in channels if not self._router.count(name)), over)
        )
        if len(idle) < over:
            raise BrokerFull(
                f"this server holds its maximum of {self.max_channels} channels and every "
                "one is being watched (c.SSEApp.max_channels)"
            )
        self._drop(idle)

    def _drop(self, names: Sequence[str]) -> None:
        for name in names:
            del self._channels[name]
            self._router.forget(name)
        if names:
            self._names = None

    def _trim(self, ch: _Channel, now: float) -> None:
        history = ch.history
        while len(history) > self.history_size or (
            ch.bytes > self.history_bytes and len(history) > 1
        ):
            self._evict(ch)
        if self.history_ttl > 0:
            oldest = now - self.history_ttl
            while history and history[0][TS] < oldest:
                self._evict(ch)

    @staticmethod
    def _evict(ch: _Channel) -> None:
        seq, _, frame = ch.history.popleft()
        ch.evicted = seq
        ch.bytes -= len(frame)

    async def _expire_idle(self) -> None:
        """Drop channels nobody watches whose last event left the history TTL ago."""
        interval = min(EXPIRY_CHECK_MAX, max(1.0, self.history_ttl / 4))
        while True:
            await asyncio.sleep(interval)
            self.expire_idle(time.time())

    def expire_idle(self, now: float) -> int:
        """One look for expired idle channels; how many were dropped."""
        cutoff = now - self.history_ttl
        expired = []
        for name, ch in self._channels.items():
            if ch.last_ts >= cutoff:
                break  # ordered by last activity: every later channel is newer
            if self._router.count(name) == 0:
                expired.append(name)
        self._drop(expired)
        return len(expired)

    # --- subscribe --------------------------------------------------------------------

    async def subscribe(self, subscriber: Subscriber, cursor: str | None) -> None:
        # No await below: the first frames are taken and the subscriber registered in
        # one step of the loop; the stream pulls the frames as its client reads them.
        subscriber.open(self._first_frames(subscriber.patterns, cursor))
        self._router.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._router.remove(subscriber)

    def _first_frames(self, patterns: Sequence[str], cursor: str | None) -> Iterator[bytes]:
        now = time.time()
        names = self._matching(patterns)
        if cursor is not None:
            after, reason = self._parse_cursor(cursor)
            if reason is None:
                for name in names:
                    ch = self._channels[name]
                    self._trim(ch, now)
                    if ch.evicted > after:
                        reason = f"history of {name!r} no longer reaches back to the cursor"
                        break
            if reason is None:
                return self._replay(names, after)
            COUNTS.resets += 1
            return self._snapshots(patterns, names, now, reset_frame(now, reason))
        return self._snapshots(patterns, names, now, None)

    def _parse_cursor(self, cursor: str) -> tuple[int, str | None]:
        epoch, _, seq = cursor.rpartition("-")
        # isascii: str.isdigit also takes digits int() refuses, such as "²".
        if epoch != self.epoch or not (seq.isascii() and seq.isdigit()):
            return 0, "the cursor is from another stream (the server restarted)"
        after = int(seq)
        if after > self._seq:
            return 0, "the cursor is ahead of this stream"
        return after, None

    def _replay(self, names: list[str], after: int) -> Iterator[bytes]:
        # Each channel's history is sorted by seq; merging them yields the missed events
        # in the order they were published, across every channel of the connection. The
        # frames are taken now (references, no copies): trimming cannot pull them away.
        tails = [_after(self._channels[n].history, after) for n in names]
        return iter([stored[FRAME] for stored in heapq.merge(*tails, key=itemgetter(SEQ))])

    def _snapshots(
        self, patterns: Sequence[str], names: list[str], now: float, reset: bytes | None
    ) -> Iterator[bytes]:
        cursor = f"{self.epoch}-{self._seq}"
        # A named channel always gets a snapshot, even an empty one, so a viewer knows
        # it is loaded before the first event; a pattern gets one per known channel. The
        # states are taken now (texts shared with every viewer until the channel
        # changes), and who watches each channel; each frame is built only as the stream
        # pulls it (so is the state with its presence: a copy per viewer held at once
        # would cost every viewer the whole snapshot).
        wanted = dict.fromkeys([*names, *explicit_channels(patterns)])
        states = []
        # The same people often watch every channel of a pattern: their presence text
        # is then kept once for this viewer, not once per channel.
        texts: dict[str | None, str | None] = {}
        for name in wanted:
            ch = self._channels.get(name)
            state = ch.state.snapshot_json() if ch is not None else "{}"
            presence = self._presence(name)
            states.append((name, state, texts.setdefault(presence, presence)))
        frames = (
            snapshot_frame(cursor, name, now, with_presence(state, presence))
            for name, state, presence in states
        )
        return itertools.chain([reset] if reset is not None else [], frames)

    def _matching(self, patterns: Sequence[str] | None) -> list[str]:
        """The channels ``patterns`` cover (all of them for None), sorted by name."""
        names = self._names
        if names is None:
            names = self._names = sorted(self._channels)
        if patterns is None:
            return list(names)
        found: set[str] = set()
        for pattern in patterns:
            if pattern.endswith("*"):
                prefix = pattern[:-1]
                start = bisect.bisect_left(names, prefix)
                for name in names[start:]:
                    if not name.startswith(prefix):
                        break
                    found.add(name)
            elif pattern in self._channels:
                found.add(pattern)
        return sorted(found)

    async def claim(self, name: str, ttl: float) -> bool:
        """Always True: no other server sees this broker's events."""
        return True

    async def channel_names(self, patterns: Sequence[str]) -> list[str]:
        return self._matching(patterns)

    async def chat_message(self, channel: str, message_id: str) -> str | None:
        ch = self._channels.get(channel)
        return None if ch is None else ch.state.chat.items.get(message_id)

    def presence_space(self, channel: str) -> int:
        return 0

    async def exchange_presence(self, entries: Sequence[str | None], ttl: float) -> list[SpaceView]:
        """No other server: nobody else's watchers, and the count of channels created."""
        return [SpaceView({}, False, self._created)]

    # --- introspection ----------------------------------------------------------------

    async def channels(self, scope: Sequence[str] | None = None) -> list[ChannelInfo]:
        rows: list[ChannelInfo] = []
        for name in self._matching(scope):
            ch = self._channels[name]
            rows.append(
                {
                    "channel": name,
                    "subscribers": self._router.count(name),
                    "events": ch.events,
                    "last_event": ch.last_ts or None,
                }
            )
        return rows

    def channel_count(self) -> int:
        """Channels held now (the metrics read it)."""
        return len(self._channels)

    def subscriber_count(self) -> int:
        """Connections registered with this broker (tests and health read it)."""
        return len(self._router)


def _after(history: deque[_Stored], seq: int) -> list[_Stored]:
    # Walk from the newest end: a resume usually misses only the last few events.
    out: list[_Stored] = []
    for stored in reversed(history):
        if stored[SEQ] <= seq:
            break
        out.append(stored)
    out.reverse()
    return out
