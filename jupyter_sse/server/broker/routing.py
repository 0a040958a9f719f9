"""Which local connections receive an event of a given channel.

Shared by every broker: fan-out to the connections of this process is always local,
whatever carried the event here.
"""

from __future__ import annotations

from typing import Final

from ..metrics import COUNTS
from ..streams import http_chunk
from ..tick import Tick
from .base import Subscriber

# Frames one sweep writes to a stream, at most (one frame always goes, whatever its
# size). Sweeps held after long ones gather events; this keeps a burst from becoming
# one write of unbounded size per viewer, each held in full for a slow one. What is
# left goes in the next sweep, in order.
SWEEP_BYTES: Final = 256 * 1024


class FanOut:
    """The subscribers with one same set of patterns: they receive the same frames.

    Frames sent to a fan-out within one loop tick are joined once, at the end of the
    tick (and framed as one HTTP chunk once), and that one ``bytes`` goes to every
    member. A publish then costs one list append however many viewers there are, and a
    tick costs one ``deliver_now`` per viewer however many events it carried (up to
    ``SWEEP_BYTES`` of them).
    """

    __slots__ = ("_members", "_pending", "_scheduled", "_targets", "_tick", "key")

    def __init__(self, key: frozenset[str], tick: Tick) -> None:
        self.key = key
        self._tick = tick
        self._members: dict[Subscriber, None] = {}
        self._targets: tuple[Subscriber, ...] = ()
        self._pending: list[bytes] = []
        self._scheduled = False

    def __len__(self) -> int:
        return len(self._members)

    def join(self, subscriber: Subscriber) -> None:
        # A newcomer got its first frames (replay or snapshot) already, and they cover
        # the frames still pending here: those go out to the others first (all of them,
        # past the bound of a sweep), so that the newcomer never sees an event twice.
        if self._pending:
            pending, self._pending = self._pending, []
            self._hand_out(pending)
        self._members[subscriber] = None
        self._targets = tuple(self._members)

    def leave(self, subscriber: Subscriber) -> None:
        if self._members.pop(subscriber, 0) is None:
            self._targets = tuple(self._members)

    def send(self, frame: bytes) -> None:
        """Queue ``frame`` for every member; delivered at the end of this loop tick."""
        self._pending.append(frame)
        COUNTS.fanned_out(frame, len(self._members))
        if not self._scheduled:
            self._scheduled = True
            self._tick.defer(self)

    def flush(self) -> None:
        """Hand the frames sent since the last flush to every member (the tick calls it)."""
        self._scheduled = False
        pending = self._pending
        if not pending:
            return
        count, size = 0, 0
        while count < len(pending) and size < SWEEP_BYTES:
            size += len(pending[count])
            count += 1
        if count < len(pending):
            pending, self._pending = pending[:count], pending[count:]
            self._scheduled = True
            self._tick.later(self)
        else:
            self._pending = []
        self._hand_out(pending)

    def _hand_out(self, pending: list[bytes]) -> None:
        frames = pending[0] if len(pending) == 1 else b"".join(pending)
        chunk = http_chunk(pending, len(frames))
        # A tuple taken before the loop: a delivery that cuts a slow client may remove
        # it from this fan-out while the loop runs.
        for subscriber in self._targets:
            subscriber.deliver_now(frames, chunk)


class Router:
    """Subscribers by exact channel and by ``prefix*`` pattern, with a per-channel cache.

    The cache turns the per-event cost into one dict lookup; it is dropped whenever
    a connection comes or goes, which is rare next to events. ``targets`` gives each
    subscriber of a channel; ``fanouts`` gives the grouped ones (all but those added
    with ``grouped=False`` and not grouped since) by identical patterns, for brokers
    that deliver the same frames to all of them.
    """

    def __init__(self, tick: Tick) -> None:
        self._tick = tick
        self._exact: dict[str, set[Subscriber]] = {}
        self._prefixes: dict[str, set[Subscriber]] = {}
        self._all: set[Subscriber] = set()
        self._cache: dict[str, tuple[Subscriber, ...]] = {}
        self._fanouts: dict[frozenset[str], FanOut] = {}
        self._fanout_cache: dict[str, tuple[FanOut, ...]] = {}

    def __len__(self) -> int:
        return len(self._all)

    def add(self, subscriber: Subscriber, *, grouped: bool = True) -> None:
        """Route to ``subscriber``; ``grouped=False`` keeps it out of the fan-outs until
        ``group`` (a broker that must still filter what it sends to it)."""
        for pattern in subscriber.patterns:
            if pattern.endswith("*"):
                self._prefixes.setdefault(pattern[:-1], set()).add(subscriber)
            else:
                self._exact.setdefault(pattern, set()).add(subscriber)
        self._all.add(subscriber)
        self._cache.clear()
        if grouped:
            self.group(subscriber)

    def group(self, subscriber: Subscriber) -> None:
        """Make ``subscriber`` a member of the fan-out of its patterns."""
        key = frozenset(subscriber.patterns)
        fanout = self._fanouts.get(key)
        if fanout is None:
            fanout = self._fanouts[key] = FanOut(key, self._tick)
        fanout.join(subscriber)
        self._fanout_cache.clear()

    def ungroup(self, subscriber: Subscriber) -> None:
        """Take ``subscriber`` out of its fan-out (it stays routed: see ``targets``)."""
        fanout = self._fanouts.get(frozenset(subscriber.patterns))
        if fanout is not None:
            fanout.leave(subscriber)
            if not fanout:
                del self._fanouts[fanout.key]
                self._fanout_cache.clear()

    def remove(self, subscriber: Subscriber) -> None:
        if subscriber not in self._all:
            return
        self._all.discard(subscriber)
        for pattern in subscriber.patterns:
            table = self._prefixes if pattern.endswith("*") else self._exact
            key = pattern[:-1] if pattern.endswith("*") else pattern
            subs = table.get(key)
            if subs is not None:
                subs.discard(subscriber)
                if not subs:
                    del table[key]
        self.ungroup(subscriber)
        self._cache.clear()
        self._fanout_cache.clear()

    def forget(self, channel: str) -> None:
        """Drop what is cached for ``channel`` (it no longer exists)."""
        self._cache.pop(channel, None)
        self._fanout_cache.pop(channel, None)

    def clear(self) -> None:
        self._exact.clear()
        self._prefixes.clear()
        self._all.clear()
        self._cache.clear()
        self._fanouts.clear()
        self._fanout_cache.clear()

    def targets(self, channel: str) -> tuple[Subscriber, ...]:
        """Every subscriber that covers ``channel``, each once."""
        cached = self._cache.get(channel)
        if cached is None:
            found: set[Subscriber] = set(self._exact.get(channel, ()))
            for prefix, subs in self._prefixes.items():
                if channel.startswith(prefix):
                    found |= subs
            cached = self._cache[channel] = tuple(found)
        return cached

    def fanouts(self, channel: str) -> tuple[FanOut, ...]:
        """The fan-outs whose members cover ``channel``: each grouped subscriber in one."""
        cached = self._fanout_cache.get(channel)
        if cached is None:
            keys = dict.fromkeys(frozenset(s.patterns) for s in self.targets(channel))
            cached = tuple(self._fanouts[k] for k in keys if k in self._fanouts)
            self._fanout_cache[channel] = cached
        return cached

    def count(self, channel: str) -> int:
        """How many local connections receive ``channel``."""
        return len(self.targets(channel))
