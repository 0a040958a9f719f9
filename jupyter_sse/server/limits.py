"""The limits a server enforces: its settings as handlers see them, and the publish
rate limit per caller."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..wire.bounds import MAX_BATCH


@dataclass(frozen=True, slots=True)
class Limits:
    """The settings handlers enforce, copied from ``SSEApp`` traitlets at start."""

    heartbeat_interval: float
    retry_ms: int
    max_event_bytes: int
    max_request_bytes: int
    max_concurrent_publishes: int
    max_publish_sockets: int
    max_connections: int
    max_connections_per_user: int
    max_streams_per_link: int
    client_buffer_bytes: int
    publish_rate_limit: float
    viewer_token_ttl_max: float

    @property
    def body_bytes(self) -> int:
        """The longest request body read: the setting, or a batch of the largest events
        if that is less (no longer body can be a valid batch)."""
        return min(self.max_request_bytes, self.max_event_bytes * MAX_BATCH)


class TokenBuckets:
    """A token bucket per caller: ``rate`` events per second, in bursts of up to ``burst``
    events (default: one second's worth).

    A batch is admitted whole or refused whole, so a refused batch publishes nothing.
    ``key`` is the caller's credential (``Principal.key``). A bucket that has filled up
    again is the same as no bucket, so such buckets are dropped as calls come: the
    table holds only the callers of the last few seconds.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = rate if burst is None else max(burst, 1.0)
        # key -> (tokens, last refill), oldest refill first
        self._buckets: dict[str, tuple[float, float]] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def admit(self, key: str, count: int) -> float:
        """Take ``count`` tokens; return 0.0, or the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        buckets = self._buckets
        tokens, last = buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        # A batch larger than the bucket passes when the bucket is full and leaves a debt,
        # so it is slowed down like any other, instead of being refused forever.
        need = min(count, self.burst)
        wait = 0.0
        if tokens < need:
            wait = (need - tokens) / self.rate
        else:
            tokens -= count
        buckets[key] = (tokens, now)  # re-inserted: the dict stays in refill order
        self._drop_full(now)
        return wait

    def _drop_full(self, now: float) -> None:
        buckets = self._buckets
        while buckets:
            key = next(iter(buckets))
            tokens, last = buckets[key]
            if tokens + (now - last) * self.rate < self.burst:
                return
            del buckets[key]
