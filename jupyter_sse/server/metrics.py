"""The ``jupyter_sse_*`` Prometheus metrics, on jupyter_server's own ``/metrics``.

jupyter_server already depends on ``prometheus_client`` and serves its default registry
at ``/metrics`` with its own auth rules, so the metrics are registered there and no
route of ours is needed.

- **Counted at the choke points, with one line each**: the stream set (opened, closed),
  the publish route, the fan-out, the stream's socket writes, the brokers. The hot ones
  (every socket write, every fan-out) add to plain ints of ``COUNTS``, which the
  collector reads only when ``/metrics`` is scraped: a ``prometheus_client`` counter
  takes a lock on every ``inc``, which at 10,000 viewers per tick is not free.
- **Low cardinality**: no label names a channel, a user or a link. Event types are
  labelled by name only for the built-in types; every other type counts as ``other``.
  Close reasons are folded into a few words (``close_label``).
- **Once per process**: the registry is global and refuses a name twice, while one
  process may run several servers (tests do). The collector is registered at import,
  and counts are process-wide totals; a test reads deltas.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from typing import Final, Protocol

from prometheus_client import REGISTRY, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from ..wire.events import BUILTIN_TYPES

PREFIX: Final = "jupyter_sse"
OTHER: Final = "other"
# The labels of event types: the built-in ones by name, everything else one label.
TYPE_LABELS: Final = frozenset(BUILTIN_TYPES) | {"snapshot", "reset", "error"}
_EVENT_FIELD: Final = b"event: "


def type_label(type_: str) -> str:
    """``type_`` if it is a built-in type, else ``other`` (one label, whatever comes)."""
    return type_ if type_ in TYPE_LABELS else OTHER


def frame_type(frame: bytes) -> str:
    """The type label of an encoded frame (its ``event:`` line)."""
    # Frames are "id: …\nevent: TYPE\ndata: …" (``wire.sse.encode``); the id is at most a
    # cursor's length, so the field is found within the first few hundred bytes.
    start = frame.find(_EVENT_FIELD, 0, 512)
    if start < 0:
        return OTHER
    start += len(_EVENT_FIELD)
    end = frame.find(b"\n", start, start + 80)
    return type_label(frame[start:end].decode("ascii", "replace")) if end > 0 else OTHER


# Why a stream ended, folded into a few words (the reasons are sentences for logs).
_CLOSE_WORDS: Final = (
    ("slow client", "slow_client"),
    ("went away", "client_left"),
    ("expired", "token_expired"),
    ("revoked", "link_revoked"),
    ("secret", "link_revoked"),
    ("stopping", "server_stopping"),
    ("subscription failed", "failed"),
)


def close_label(reason: str | None) -> str:
    """The ``reason`` label of a closed stream."""
    text = reason or ""
    for words, label in _CLOSE_WORDS:
        if words in text:
            return label
    return OTHER


class Counts:
    """Process-wide totals counted on hot paths: plain ints, read at scrape time."""

    __slots__ = (
        "_frame",
        "_frame_type",
        "bytes_sent",
        "closed",
        "delivered",
        "dropped_frames",
        "open",
        "opened",
        "published",
        "rate_limited",
        "redis_reconnects",
        "resets",
        "resumes",
        "sweep_seconds",
        "sweeps",
        "webhooks",
    )

    def __init__(self) -> None:
        self.bytes_sent = 0
        self.resumes = 0
        self.resets = 0
        self.redis_reconnects = 0
        self.dropped_frames = 0
        self.open: dict[str, int] = {"user": 0, "viewer": 0}
        self.opened: dict[str, int] = {"user": 0, "viewer": 0}
        self.closed: dict[str, int] = {}
        self.published: dict[str, int] = {}
        self.delivered: dict[str, int] = {}
        self.rate_limited: dict[str, int] = {}
        self.webhooks: dict[str, int] = {}
        self.sweeps: dict[str, int] = {"at_once": 0, "held": 0}
        self.sweep_seconds = 0.0
        self._frame = b""  # the frame last fanned out, and its type label
        self._frame_type = OTHER

    def stream_opened(self, viewer: bool) -> None:
        kind = "viewer" if viewer else "user"
        self.open[kind] += 1
        self.opened[kind] += 1

    def stream_closed(self, viewer: bool, reason: str | None) -> None:
        self.open["viewer" if viewer else "user"] -= 1
        _add(self.closed, close_label(reason))

    def published_types(self, types: Iterable[str]) -> None:
        for type_ in types:
            _add(self.published, type_label(type_))

    def fanned_out(self, frame: bytes, members: int) -> None:
        # The same frame goes to every fan-out group that covers its channel: its type
        # is read once, not once per group.
        if frame is not self._frame:
            self._frame, self._frame_type = frame, frame_type(frame)
        if members:
            _add(self.delivered, self._frame_type, members)

    def refused_rate(self, route: str) -> None:
        _add(self.rate_limited, route)

    def webhook(self, outcome: str) -> None:
        _add(self.webhooks, outcome)


def _add(table: dict[str, int], label: str, n: int = 1) -> None:
    table[label] = table.get(label, 0) + n


COUNTS: Final = Counts()

PUBLISH_SECONDS: Final = Histogram(
    f"{PREFIX}_publish_request_seconds",
    "Time to answer one POST sse/publish, or one message of a publish socket (via), from "
    "its body read to its ids written.",
    # Apart: a socket's message skips the request's routing and identity, a third of
    # a POST's time, so one histogram of both would hide how each path fares.
    labelnames=("via",),
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
PUBLISH_SECONDS_POST: Final = PUBLISH_SECONDS.labels(via="post")
PUBLISH_SECONDS_SOCKET: Final = PUBLISH_SECONDS.labels(via="socket")


class _BrokerLike(Protocol):
    kind: str

    def health(self) -> object: ...


class _Brokers:
    """The brokers of the servers running in this process (weakly held: a stopped
    server's broker goes with it), for the state and channel gauges."""

    def __init__(self) -> None:
        self._brokers: weakref.WeakSet[_BrokerLike] = weakref.WeakSet()

    def add(self, broker: _BrokerLike) -> None:
        self._brokers.add(broker)

    def discard(self, broker: _BrokerLike) -> None:
        self._brokers.discard(broker)

    def __iter__(self) -> Iterator[_BrokerLike]:
        return iter(list(self._brokers))


BROKERS: Final = _Brokers()


class SSECollector(Collector):
    """Turns ``COUNTS`` and the brokers' state into metric families at scrape time."""

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        c = COUNTS
        yield _labelled(
            GaugeMetricFamily, "streams_open", "Event streams open now.", "kind", c.open
        )
        yield _labelled(
            CounterMetricFamily, "streams_opened", "Event streams opened.", "kind", c.opened
        )
        yield _labelled(
            CounterMetricFamily,
            "streams_closed",
            "Event streams ended, by why: client_left, slow_client (cut: its send buffer "
            "was full), token_expired, link_revoked, server_stopping, failed, other.",
            "reason",
            c.closed,
        )
        yield _labelled(
            CounterMetricFamily,
            "events_published",
            "Events published through this server (publish route, chat), by type "
            "(built-in types by name, others as 'other').",
            "type",
            c.published,
        )
        yield _labelled(
            CounterMetricFamily,
            "events_delivered",
            "Live events handed to streams (one per stream), by type.",
            "type",
            c.delivered,
        )
        yield _single("sent_bytes", "Bytes of events written to streams.", c.bytes_sent)
        yield _single("resumes", "Streams opened with a cursor (Last-Event-ID).", c.resumes)
        yield _single(
            "resets", "reset events sent: a cursor the history no longer covered.", c.resets
        )
        yield _single(
            "frames_dropped", "Frames read back from Redis that failed the check.", c.dropped_frames
        )
        yield _single(
            "redis_reconnects", "Connections to Redis won back after a loss.", c.redis_reconnects
        )
        yield _labelled(
            CounterMetricFamily,
            "rate_limited",
            "Requests refused by a rate limit (429), by route.",
            "route",
            c.rate_limited,
        )
        yield _labelled(
            CounterMetricFamily,
            "webhook_deliveries",
            "Webhook outcomes: delivered, retried, failed, dropped, skipped.",
            "outcome",
            c.webhooks,
        )
        yield _labelled(
            CounterMetricFamily,
            "sweeps",
            "Sweeps: the writes of new events to every stream at the end of a loop tick, "
            "by when: at_once (the tick's end) or held (a busy server let requests in "
            "first, so that their events share the sweep).",
            "when",
            c.sweeps,
        )
        yield CounterMetricFamily(
            f"{PREFIX}_sweep_seconds",
            "Loop time spent in sweeps; its rate is the share of the loop they take.",
            value=c.sweep_seconds,
        )
        up = GaugeMetricFamily(
            f"{PREFIX}_broker_up", "1 when the broker is ok, 0 when degraded.", labels=["broker"]
        )
        channels = GaugeMetricFamily(
            f"{PREFIX}_channels", "Channels held by the embedded broker.", labels=["broker"]
        )
        # One sample per broker kind: a process normally runs one server, and a scrape
        # must never hold two samples of one series (tests run several servers).
        ups: dict[str, float] = {}
        held: dict[str, float] = {}
        for broker in BROKERS:
            health = broker.health()
            state = health.get("state") if isinstance(health, dict) else None
            ups[broker.kind] = min(ups.get(broker.kind, 1.0), 1.0 if state == "ok" else 0.0)
            count = getattr(broker, "channel_count", None)
            if callable(count):
                held[broker.kind] = held.get(broker.kind, 0.0) + float(count())
        for kind, value in sorted(ups.items()):
            up.add_metric([kind], value)
        for kind, value in sorted(held.items()):
            channels.add_metric([kind], value)
        yield up
        yield channels


def _labelled(
    family: type[CounterMetricFamily] | type[GaugeMetricFamily],
    name: str,
    documentation: str,
    label: str,
    values: dict[str, int],
) -> CounterMetricFamily | GaugeMetricFamily:
    metric = family(f"{PREFIX}_{name}", documentation, labels=[label])
    for value, count in sorted(values.items()):
        metric.add_metric([value], float(count))
    return metric


def _single(name: str, documentation: str, value: int) -> CounterMetricFamily:
    return CounterMetricFamily(f"{PREFIX}_{name}", documentation, value=float(value))


REGISTRY.register(SSECollector())
