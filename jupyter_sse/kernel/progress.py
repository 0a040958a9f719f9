"""``Progress``: a tqdm-like bar that publishes its state, throttled (see ``Channel.progress``)."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Final, Generic, Protocol, TypeVar

from ..wire.errors import SSEError, SSEValueError, describe

T = TypeVar("T")

log = logging.getLogger("jupyter_sse")

SMOOTHING: Final = 0.3  # weight of the latest interval in the rate (tqdm's default)
CHECKS_PER_INTERVAL: Final = 4  # clock reads per min_interval, once the pace is known
MAX_ERROR_CHARS: Final = 1000

# Process-wide, so that two bars of one channel never share a key by accident.
_auto_keys = itertools.count(1)


class ProgressTarget(Protocol):
    """Where a bar publishes: a ``Channel`` (its name, and its ``publish``)."""

    @property
    def name(self) -> str: ...

    def publish(self, type: str, data: Any) -> None: ...


class Progress(Generic[T]):
    """A throttled progress bar (see ``Channel.progress``).

    ``clock`` (seconds, monotonic) exists for tests and simulations.
    """

    def __init__(
        self,
        channel: ProgressTarget,
        iterable: Iterable[T] | None = None,
        total: float | None = None,
        label: str | None = None,
        key: str | None = None,
        *,
        min_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if total is None and iterable is not None:
            try:
                total = len(iterable)  # type: ignore[arg-type]
            except (TypeError, AttributeError):
                total = None
        if label is not None and not isinstance(label, str):
            raise SSEValueError(f"progress label must be a string, got {label!r}")
        if key is not None and (not isinstance(key, str) or not key):
            raise SSEValueError(f"progress key must be a non-empty string, got {key!r}")
        if min_interval < 0:
            raise SSEValueError(
                f"min_interval is in seconds and may not be negative: {min_interval}"
            )
        self.channel = channel
        self.iterable = iterable
        self.total = total
        self.label = label
        self.key = key or label or f"progress-{next(_auto_keys)}"
        self.min_interval = min_interval
        self.n: float = 0
        self.rate: float | None = None  # items per second, smoothed
        self.closed = False
        self._clock = clock
        self.start_t = self._last_t = self._check_t = clock()
        self._last_n: float = 0  # n at the last event sent
        self._check_n: float = 0  # n at the last clock read
        # The clock is read only when n reaches _next_check: like tqdm's miniters, the
        # step adapts to the pace so that a fast loop pays a compare per item, not a
        # clock read, and a slow one still updates every min_interval.
        self._next_check: float = 1
        self._managed = False
        self._send()  # the bar appears at once, at 0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, when the total is known."""
        if self.total is None or not self.rate:
            return None
        return max(0.0, (self.total - self.n) / self.rate)

    def __iter__(self) -> Iterator[T]:
        if self.iterable is None:
            raise TypeError("this progress wraps no iterable: call update(n) instead")
        n, next_check = self.n, self._next_check
        try:
            for item in self.iterable:
                yield item
                n += 1
                if n >= next_check:
                    self.n = n
                    self._tick()
                    next_check = self._next_check
        except GeneratorExit:
            # The loop was left early (break, or an exception in its body, which a
            # generator cannot see). Inside `with`, __exit__ knows which and ends the bar.
            self.n = n
            if not self._managed:
                self.close()
            raise
        except BaseException as e:
            self.n = n  # the iterable itself raised
            self._close_quietly(e)
            raise
        self.n = n
        self.close()

    def update(self, n: float = 1) -> None:
        """Advance by ``n`` (items, bytes, …)."""
        self.n += n
        if self.n >= self._next_check:
            self._tick()

    def close(self, error: BaseException | str | None = None) -> None:
        """Send the final event (``done``, and ``error`` if given); later calls do nothing."""
        if self.closed:
            return
        self.closed = True
        elapsed = self._clock() - self.start_t
        if elapsed > 0 and self.n > 0:
            self.rate = self.n / elapsed  # the run's average: the number worth keeping
        self._send(done=True, error=_error_text(error) if error is not None else None)

    def __enter__(self) -> Progress[T]:
        self._managed = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            self._close_quietly(exc)

    def __len__(self) -> int:
        if self.total is None:
            raise TypeError("this progress has no total")
        return int(self.total)

    def __repr__(self) -> str:
        total = "?" if self.total is None else f"{self.total:g}"
        return f"<Progress {self.channel.name}:{self.key} {self.n:g}/{total}>"

    def _tick(self) -> None:
        now = self._clock()
        dn, dt = self.n - self._check_n, now - self._check_t
        if dt > 0 and dn > 0:
            step = dn * self.min_interval / dt / CHECKS_PER_INTERVAL
        else:  # a coarse clock did not move: read it less often
            step = 2 * max(dn, 1)
        self._check_n, self._check_t = self.n, now
        self._next_check = self.n + max(1, int(step))
        if now - self._last_t >= self.min_interval:
            dn, dt = self.n - self._last_n, now - self._last_t
            instant = dn / dt
            self.rate = (
                instant
                if self.rate is None
                else (SMOOTHING * instant + (1 - SMOOTHING) * self.rate)
            )
            self._last_n, self._last_t = self.n, now
            self._send()

    def _send(self, *, done: bool = False, error: str | None = None) -> None:
        data: dict[str, Any] = {"key": self.key, "value": self.n}
        if self.total is not None:
            data["total"] = self.total
        if self.label is not None:
            data["label"] = self.label
        if self.rate is not None:
            data["rate"] = self.rate
        eta = None if done else self.eta
        if eta is not None:
            data["eta"] = eta
        if done:
            data["done"] = True
        if error is not None:
            data["error"] = error
        self.channel.publish("progress", data)

    def _close_quietly(self, error: BaseException) -> None:
        # The user's exception is the one that matters: a failure to report it (e.g. a
        # closed publisher) is logged rather than raised over it.
        try:
            self.close(error)
        except SSEError as e:
            log.warning("jupyter_sse: could not report the end of %r: %s", self, e)


def _error_text(error: BaseException | str) -> str:
    return (error if isinstance(error, str) else describe(error))[:MAX_ERROR_CHARS]
