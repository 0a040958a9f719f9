"""``WebhookFeed``: the webhooks' subscription to the broker, like any stream's.

It receives every frame of the channels any webhook covers (from kernels, scripts, the
server's own channels, or, with Redis, any process), reads each one's type from its
``event:`` line, parses the envelope only when some webhook takes that type, and hands
the event to each webhook that wants it. Snapshots and resets are a stream's
bookkeeping, not events: they are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Final

from .config import ANY_TYPE
from .delivery import WebhookSender
from .formats import Delivery

SKIPPED: Final = frozenset({b"snapshot", b"reset", b"error"})


class WebhookFeed:
    """A broker ``Subscriber`` that feeds the webhooks' senders."""

    __slots__ = ("_any_type", "_senders", "_types", "patterns")

    def __init__(self, senders: Sequence[WebhookSender]) -> None:
        self._senders = tuple(senders)
        self.patterns = tuple(dict.fromkeys(p for s in senders for p in s.hook.channels))
        self._types = frozenset(t.encode() for s in senders for t in s.hook.types)
        self._any_type = ANY_TYPE.encode() in self._types

    def open(self, first: Iterable[bytes]) -> None:
        """A stream's first frames (snapshots, a replay) are not news: none is sent out."""

    def deliver(self, frame: bytes) -> None:
        self._read(frame)

    def deliver_now(self, frames: bytes, chunk: bytes) -> None:
        self._read(frames)

    def _read(self, frames: bytes) -> None:
        for block in frames.split(b"\n\n"):
            cursor = type_ = data = None
            for line in block.split(b"\n"):
                name, _, value = line.partition(b": ")
                if name == b"id":
                    cursor = value
                elif name == b"event":
                    type_ = value
                elif name == b"data":
                    data = value
            if cursor is None or type_ is None or data is None or type_ in SKIPPED:
                continue
            if not (self._any_type or type_ in self._types):
                continue
            self._dispatch(cursor.decode(), data)

    def _dispatch(self, cursor: str, data: bytes) -> None:
        try:
            envelope = json.loads(data)
            event = Delivery(
                cursor, envelope["channel"], envelope["type"], envelope["ts"], envelope["data"]
            )
        except (ValueError, KeyError, TypeError):
            return  # not an event frame of ours; the streams carry it as it is
        for sender in self._senders:
            if sender.hook.wants(event.channel, event.type, event.data):
                sender.put(event)
