"""``tqdm`` and ``trange`` that also publish their bars to a channel.

``from jupyter_sse import tqdm`` is a drop-in for ``from tqdm.auto import tqdm``: the bar
still draws where tqdm draws it (terminal, or the notebook widget), and every viewer of
the channel sees it live as a ``progress`` event, with its postfix as statuses.

- **Subclass, not wrapper**: libraries that take a ``tqdm_class`` (``thread_map``,
  ``process_map``), ``tqdm.pandas()`` and anything that calls ``set_description``,
  ``set_postfix``, ``update`` or ``close`` get the whole tqdm API, unchanged.
- **Published from ``display``**: tqdm calls it at most every ``mininterval`` from its
  loop, so iterating costs exactly what plain tqdm costs; only the calls that redraw at
  once (``set_postfix``, ``set_description``) are throttled again here.
- **Printing wins**: when there is nowhere to publish (a script with no server), the
  bar warns once and keeps drawing; it never raises out of tqdm's calls.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from numbers import Number
from typing import Any, Final

from tqdm.auto import tqdm as _auto_tqdm

from ..wire.errors import SSEError
from .channel import Channel

DEFAULT_CHANNEL: Final = "progress"


class _Feed:
    """What one bar publishes: its key, its channel, and when it last sent."""

    __slots__ = ("channel", "key", "last", "postfix", "sent_postfix")

    def __init__(self, channel: Channel, key: str) -> None:
        self.channel = channel
        self.key = key
        self.last = float("-inf")
        self.postfix: dict[str, Any] = {}
        self.sent_postfix: dict[str, Any] = {}


class tqdm(_auto_tqdm):  # type: ignore[misc]  # tqdm is untyped; named as tqdm names it
    """``tqdm.auto.tqdm`` that also publishes the bar to ``channel`` (default
    ``"progress"``).

    ``key`` names the bar on the channel (default: ``desc``, else ``tqdm-<position>``),
    so a rerun of the same loop updates the same bar; ``set_description`` changes only
    its label. A channel given by name publishes through the process's default
    publisher; a ``Channel`` through its own. Every other argument is tqdm's.
    """

    _sse: _Feed | None = None
    default_channel: str | Channel = DEFAULT_CHANNEL  # bars without channel= (see `on`)

    def __init__(
        self,
        *args: Any,
        channel: str | Channel | None = None,
        key: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._sse = None  # display() runs inside tqdm's __init__: not ready yet
        super().__init__(*args, **kwargs)
        if getattr(self, "disable", True):
            return  # disable=True (or a non-tty with disable=None): nothing is shown
        chosen = channel or self.default_channel
        target = chosen if isinstance(chosen, Channel) else Channel(chosen)
        name = key or self.desc.rstrip(": ") or f"tqdm-{abs(getattr(self, 'pos', 0))}"
        self._sse = _Feed(target, name)
        self._publish(force=True)

    @classmethod
    def on(cls, channel: str | Channel) -> type[tqdm]:
        """This class with bars going to ``channel`` by default: for code that makes
        its bars itself and takes only a class (``tqdm_class=tqdm.on("train/run-1")``)."""
        target = channel if isinstance(channel, Channel) else Channel(channel)  # checked now
        return type(f"tqdm_on_{target.name}", (cls,), {"default_channel": target})

    # --- tqdm's calls, extended ---------------------------------------------------------

    def display(self, *args: Any, **kwargs: Any) -> Any:
        shown = super().display(*args, **kwargs)
        if self._sse is not None:
            self._publish()
        return shown

    def set_postfix(
        self, ordered_dict: Mapping[str, Any] | None = None, refresh: bool = True, **kwargs: Any
    ) -> None:
        if self._sse is not None:
            values = dict(ordered_dict or {})
            values.update(kwargs)
            self._sse.postfix = {str(k): _status_value(v) for k, v in values.items()}
        super().set_postfix(ordered_dict, refresh, **kwargs)

    def close(self) -> None:
        closing = not getattr(self, "disable", True)
        super().close()
        if closing and self._sse is not None:
            self._publish(force=True, done=True)

    # --- publishing ---------------------------------------------------------------------

    def _publish(self, *, force: bool = False, done: bool = False) -> None:
        feed = self._sse
        assert feed is not None
        now = time.monotonic()
        if not force and now - feed.last < self.mininterval:
            return
        feed.last = now
        data: dict[str, Any] = {"key": feed.key, "value": self.n}
        if self.total is not None:
            data["total"] = self.total
        if self.desc:
            data["label"] = self.desc.rstrip(": ")
        rate = self.format_dict.get("rate")
        if rate:
            data["rate"] = rate
            if self.total is not None and not done:
                data["eta"] = max(0.0, (self.total - self.n) / rate)
        if done:
            data["done"] = True
        try:
            feed.channel.publish("progress", data)
            for name, value in feed.postfix.items():
                if feed.sent_postfix.get(name) != value:
                    feed.channel.status(f"{feed.key}/{name}", value)
            feed.sent_postfix = dict(feed.postfix)
        except (SSEError, RuntimeError) as e:
            # The bar keeps drawing: printing progress is what tqdm is for. (RuntimeError:
            # a bar closed by the garbage collector at interpreter exit, when no thread
            # can start any more.)
            self._sse = None
            warnings.warn(
                f"jupyter_sse.tqdm: bar {feed.key!r} is not published: {e}",
                RuntimeWarning,
                stacklevel=2,
            )


def _status_value(value: Any) -> Any:
    # A status value is JSON: numbers stay numbers (a badge can show 0.25), the rest is
    # text (a NaN loss too: JSON has no NaN).
    if isinstance(value, str | int) and not isinstance(value, bool):
        return value
    if isinstance(value, Number) and not isinstance(value, bool):
        number = float(value)  # type: ignore[arg-type]
        return number if math.isfinite(number) else str(value)
    return str(value)


def trange(*args: int, **kwargs: Any) -> tqdm:
    """``tqdm(range(*args), **kwargs)``."""
    return tqdm(range(*args), **kwargs)
