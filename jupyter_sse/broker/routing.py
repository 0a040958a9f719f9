"""Which local connections receive an event of a given channel.

Shared by every broker: fan-out to the connections of this process is always local,
whatever carried the event here.
"""

from __future__ import annotations

from .base import Subscriber


class Router:
    """Subscribers by exact channel and by ``prefix*`` pattern, with a per-channel cache.

    The cache turns the per-event cost into one dict lookup; it is dropped whenever
    a connection comes or goes, which is rare next to events.
    """

    def __init__(self) -> None:
        self._exact: dict[str, set[Subscriber]] = {}
        self._prefixes: dict[str, set[Subscriber]] = {}
        self._all: set[Subscriber] = set()
        self._cache: dict[str, tuple[Subscriber, ...]] = {}

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(tuple(self._all))

    def add(self, subscriber: Subscriber) -> None:
        for pattern in subscriber.patterns:
            if pattern.endswith("*"):
                self._prefixes.setdefault(pattern[:-1], set()).add(subscriber)
            else:
                self._exact.setdefault(pattern, set()).add(subscriber)
        self._all.add(subscriber)
        self._cache.clear()

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
        self._cache.clear()

    def clear(self) -> None:
        self._exact.clear()
        self._prefixes.clear()
        self._all.clear()
        self._cache.clear()

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

    def count(self, channel: str) -> int:
        """How many local connections receive ``channel``."""
        return len(self.targets(channel))
