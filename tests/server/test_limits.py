"""Rate limits as a unit: per credential, and a table that does not grow for ever."""

from __future__ import annotations

import time

from jupyter_sse.server.limits import TokenBuckets


def test_a_full_bucket_is_forgotten() -> None:
    """`_buckets` never shrank: one entry per caller, kept for ever."""
    buckets = TokenBuckets(rate=1000.0)
    for i in range(5000):
        assert buckets.admit(f"caller-{i}", 1) == 0.0
    # Each caller took one token out of 1000, refilled within a millisecond: only the
    # callers of the last instant are remembered.
    time.sleep(0.01)
    buckets.admit("last", 1)
    assert len(buckets) <= 2


def test_a_debt_is_remembered_until_it_is_paid() -> None:
    buckets = TokenBuckets(rate=10.0)
    assert buckets.admit("a", 30) == 0.0  # a large batch passes and leaves a debt
    wait = buckets.admit("a", 1)
    assert wait > 0
    assert len(buckets) == 1
    buckets.admit("b", 1)
    assert len(buckets) == 2  # "a" still owes: it stays
