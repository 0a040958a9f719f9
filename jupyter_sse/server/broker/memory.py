"""The embedded broker: history, latest state and fan-out inside one server process.

Everything runs on the event loop thread and no method awaits between reading the
history and registering a subscriber, so a resume can never miss or repeat an event
published meanwhile: there is no "meanwhile".
"""

from __future__ import annotations

import heapq
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Final

from ...wire.events import EventIn
from ...wire.json_text import dumps
from ...wire.names import explicit_channels, matching
from ...wire.sse import EventFrames, reset_frame, snapshot_frame
from ..tick import Tick
from .base import ChannelInfo, Health, Subscriber
from .routing import FanOut, Router
from .state import ChannelState

# A publisher's idempotency keys are remembered this many at a time: enough to cover
# the batches a publisher may retry after a lost response, small enough to ignore.
DEDUPE_KEYS = 65536


# (seq, ts, frame). A plain tuple, not a NamedTuple: the garbage collector stops
# tracking a tuple of atoms, never an instance of a tuple subclass. A history of
# NamedTuples put every event into the oldest generation, where they set off full
# collections (50-100 ms each in a Jupyter server) every few tens of thousands.
_Stored = tuple[int, float, bytes]
SEQ: Final = 0
TS: Final = 1
FRAME: Final = 2


class _Channel:
    __slots__ = ("events", "evicted", "history", "last_ts", "state")

    def __init__(self, history_size: int) -> None:
        self.history: deque[_Stored] = deque()
        self.state = ChannelState()
        self.events = 0  # published since start; history holds at most history_size of them
        self.evicted = 0  # highest seq that left the history: a cursor below it has a gap
        self.last_ts: float | None = None


class MemoryBroker:
    """The default broker: no dependencies, one process.

    Cursors are ``"<epoch>-<seq>"``: ``seq`` counts every event of the broker, so one
    number orders all channels of a connection; ``epoch`` is drawn at start, so a cursor
    from before a server restart is recognised as foreign and answered with ``reset``.
    """

    kind = "memory"

    def __init__(
        self, *, history_size: int = 1000, history_ttl: float = 3600.0, tick: Tick | None = None
    ) -> None:
        self.history_size = history_size
        self.history_ttl = history_ttl
        self.epoch = secrets.token_hex(4)
        self._seq = 0
        self._channels: dict[str, _Channel] = {}
        self._router = Router(tick or Tick())
        self._dedupe: OrderedDict[str, str] = OrderedDict()

    async def start(self) -> None:
        """Nothing to open: the broker lives in this process."""

    async def close(self) -> None:
        """Drop every subscriber; their connections are closed by the app."""
        self._router.clear()

    def health(self) -> Health:
        return {"broker": self.kind, "state": "ok"}

    # --- publish ----------------------------------------------------------------------

    async def publish(self, events: Sequence[EventIn]) -> list[str]:
        ids: list[str] = []
        now = time.time()
        frames = EventFrames(now)
        dedupe = self._dedupe
        # A batch is nearly always one channel: its lookups are made when it changes.
        name: str | None = None
        ch: _Channel  # set whenever name is
        fanouts: tuple[FanOut, ...] = ()
        touched: dict[_Channel, None] = {}
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
                        found = self._channels[channel] = _Channel(self.history_size)
                    ch = found
                    touched[ch] = None
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
                ch.events += 1
                ch.state.apply(type_, data, now, data_json)
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
            # Trimmed once per batch (even one cut short): nothing can read the history
            # before this returns, so trimming after each event was work for nobody.
            for touched_ch in touched:
                touched_ch.last_ts = now
                self._trim(touched_ch, now)
        return ids

    def _trim(self, ch: _Channel, now: float) -> None:
        history = ch.history
        while len(history) > self.history_size:
            ch.evicted = history.popleft()[SEQ]
        if self.history_ttl > 0:
            oldest = now - self.history_ttl
            while history and history[0][TS] < oldest:
                ch.evicted = history.popleft()[SEQ]

    # --- subscribe --------------------------------------------------------------------

    async def subscribe(self, subscriber: Subscriber, cursor: str | None) -> None:
        # No await below: replay and registration happen in one step of the loop.
        for frame in self._first_frames(subscriber.patterns, cursor):
            subscriber.deliver(frame)
        self._router.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._router.remove(subscriber)

    def _first_frames(self, patterns: Sequence[str], cursor: str | None) -> Iterator[bytes]:
        now = time.time()
        names = matching(patterns, list(self._channels))
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
                yield from self._replay(names, after)
                return
            yield reset_frame(now, reason)
        yield from self._snapshots(patterns, names, now)

    def _parse_cursor(self, cursor: str) -> tuple[int, str | None]:
        epoch, _, seq = cursor.rpartition("-")
        if epoch != self.epoch or not seq.isdigit():
            return 0, "the cursor is from another stream (the server restarted)"
        after = int(seq)
        if after > self._seq:
            return 0, "the cursor is ahead of this stream"
        return after, None

    def _replay(self, names: list[str], after: int) -> Iterator[bytes]:
        # Each channel's history is sorted by seq; merging them yields the missed events
        # in the order they were published, across every channel of the connection.
        tails = [_after(self._channels[n].history, after) for n in names]
        for stored in heapq.merge(*tails, key=itemgetter(SEQ)):
            yield stored[FRAME]

    def _snapshots(self, patterns: Sequence[str], names: list[str], now: float) -> Iterator[bytes]:
        cursor = f"{self.epoch}-{self._seq}"
        # A named channel always gets a snapshot, even an empty one, so a viewer knows
        # it is loaded before the first event; a pattern gets one per known channel.
        wanted = dict.fromkeys([*names, *explicit_channels(patterns)])
        for name in wanted:
            ch = self._channels.get(name)
            state = ch.state.snapshot_json() if ch is not None else "{}"
            yield snapshot_frame(cursor, name, now, state)

    async def claim(self, name: str, ttl: float) -> bool:
        """Always True: no other server sees this broker's events."""
        return True

    # --- introspection ----------------------------------------------------------------

    async def channels(self) -> list[ChannelInfo]:
        return [
            {
                "channel": name,
                "subscribers": self._router.count(name),
                "events": ch.events,
                "last_event": ch.last_ts,
            }
            for name, ch in sorted(self._channels.items())
        ]

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
