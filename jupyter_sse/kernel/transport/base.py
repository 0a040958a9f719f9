"""What a transport is: the ``Transport`` protocol and the errors that steer the publisher.

A transport sends one batch and says how it went by what it raises; the publisher's
sender owns every decision that follows (retry, split, drop).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class TransportError(Exception):
    """A batch was not published; the subclass tells the publisher what to do next."""


class RetryLater(TransportError):
    """Nothing was published but trying again may work (server down, 5xx, 429)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BatchRefused(TransportError):
    """The batch as a whole was refused (400, 413): nothing of it was published.

    Some of its events may be fine on their own, so the publisher splits it to find
    the ones that are not.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Rejected(TransportError):
    """No event can get through as things stand (token refused, no such endpoint)."""


class Transport(Protocol):
    """What the publisher needs from a way of publishing.

    ``send`` is only ever called from the publisher's one background thread. It gets
    encoded event objects (``{"channel", "type", "data", "id"}`` as JSON bytes) and
    returns the ids the stream assigned, in order. It publishes all of a batch or
    none of it, and raises a ``TransportError`` subclass when it did not; an event
    whose ``(channel, id)`` was already published must not be published again, so
    that a retry after a lost answer is harmless.

    Constructing a transport does no I/O (it happens at the first ``publish``, which
    must not block). ``send`` may run in a forked child: it must not reuse a
    connection opened by the parent.
    """

    @property
    def description(self) -> str:
        """Where events go, for ``stats()`` and error messages; never contains a secret."""

    def send(self, batch: Sequence[bytes]) -> list[str]:
        """Publish ``batch``; the ids assigned, or a ``TransportError``."""

    def close(self) -> None:
        """Release connections. ``send`` may reconnect afterwards."""
