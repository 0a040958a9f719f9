"""The limits a server enforces: its settings as handlers see them, and the publish
rate limit per caller."""

from __future__ import annotations

import time
from dataclasses import dataclass


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


class TokenBuckets:
    """A token bucket per caller: ``rate`` events per second, bursts of up to one second's worth.

    A batch is admitted whole or refused whole, so a refused batch publishes nothing.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, last refill)

    def admit(self, name: str, count: int) -> float:
        """Take ``count`` tokens; return 0.0, or the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        tokens, last = self._buckets.get(name, (self.rate, now))
        tokens = min(self.rate, tokens + (now - last) * self.rate)
        # A batch larger than the bucket passes when the bucket is full and leaves a debt,
        # so it is slowed down like any other, instead of being refused forever.
        need = min(count, self.rate)
        if tokens < need:
            self._buckets[name] = (tokens, now)
            return (need - tokens) / self.rate
        self._buckets[name] = (tokens - count, now)
        return 0.0
