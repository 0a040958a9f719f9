"""``Channel``: one named stream and the built-in events a notebook publishes to it.

``sse.channel("train/run-1")`` is cheap and holds no state of its own: every call
goes to a publisher (the process's default one unless another was given), so
channels can be created wherever they are needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, SupportsFloat, SupportsIndex, TypeVar, overload

from ..wire.errors import SSEValueError
from ..wire.events import ALERT_FIELD, Level, Variant
from ..wire.names import check_channel
from .default import default_publisher
from .progress import Progress
from .publisher import Publisher
from .values import metric_json, plain
from .view import MimeBundle, add_view

T = TypeVar("T")


class Channel:
    """A named stream: ``metric``, ``status``, ``progress``, ``notify`` (and ``alert``),
    ``table``, ``log``.

    Shown as the last value of a notebook cell, a channel displays its live view.
    """

    __slots__ = ("_name", "_publisher")

    def __init__(self, name: str, *, publisher: Publisher | None = None) -> None:
        self._name = check_channel(name)
        self._publisher = publisher

    @property
    def name(self) -> str:
        """The channel's name, checked once, when the channel was made."""
        # Read-only: metric() puts it on the wire without checking it again.
        return self._name

    @property
    def publisher(self) -> Publisher:
        """The publisher this channel sends through."""
        return self._publisher if self._publisher is not None else default_publisher()

    def publish(self, type: str, data: Any) -> None:
        """Queue an event of any ``type``; never blocks (see ``Publisher.publish``)."""
        self.publisher.publish(self.name, type, data)

    def metric(self, step: SupportsFloat | SupportsIndex | None = None, **values: Any) -> None:
        """One point per value on the channel's chart: ``ch.metric(step=3, loss=0.2)``.

        NaN and infinite values are sent as null (a gap in the line); numpy and torch
        scalars are converted with ``float()``.
        """
        # One pass converts, checks and encodes the values; the name was checked when
        # the channel was made. This is the call a training loop makes per step.
        publisher = self._publisher or default_publisher()
        publisher.enqueue(self._name, "metric", metric_json(step, values), stacklevel=3)

    def status(self, key: str, value: Any, variant: Variant | None = None) -> None:
        """Set the badge ``key`` to ``value``; ``variant`` colours it."""
        data: dict[str, Any] = {"key": key, "value": value}
        if variant is not None:
            data["variant"] = variant
        self.publisher.publish(self.name, "status", data)

    @overload
    def progress(
        self,
        iterable: Iterable[T],
        total: float | None = None,
        label: str | None = None,
        key: str | None = None,
        *,
        min_interval: float = 0.1,
    ) -> Progress[T]: ...

    @overload
    def progress(
        self,
        iterable: None = None,
        total: float | None = None,
        label: str | None = None,
        key: str | None = None,
        *,
        min_interval: float = 0.1,
    ) -> Progress[Any]: ...

    def progress(
        self,
        iterable: Iterable[T] | None = None,
        total: float | None = None,
        label: str | None = None,
        key: str | None = None,
        *,
        min_interval: float = 0.1,
    ) -> Progress[T] | Progress[Any]:
        """A progress bar, tqdm-style: wrap an iterable, or use ``with`` and ``update()``.

        ``total`` defaults to ``len(iterable)``; ``key`` (which bar) to ``label``, else
        a new key. Updates are sent at most every ``min_interval`` seconds, and a final
        one with ``done`` when the loop or ``with`` block ends. Only the ``with`` form
        can tell that the block raised, and then sends the error too::

            with ch.progress(loader, label="epoch 1") as bar:
                for batch in bar:
                    ...
        """
        return Progress(self, iterable, total, label, key, min_interval=min_interval)

    def notify(self, message: str, title: str | None = None, level: Level | None = None) -> None:
        """A toast for everyone watching the channel."""
        data: dict[str, Any] = {"message": message}
        if title is not None:
            data["title"] = title
        if level is not None:
            data["level"] = level
        self.publisher.publish(self.name, "notify", data)

    def alert(self, message: str, level: Level = "warning", title: str | None = None) -> None:
        """A toast that the server also sends to its webhooks (``c.SSEApp.webhooks``),
        whatever its level: ``ch.alert("loss diverged", level="error")``.

        It is a ``notify`` whose data carries ``"alert": true``; viewers show it as any
        other notice.
        """
        data: dict[str, Any] = {"message": message, "level": level, ALERT_FIELD: True}
        if title is not None:
            data["title"] = title
        self.publisher.publish(self.name, "notify", data)

    def table(self, name: str) -> Table:
        """The live table ``name`` of this channel: ``ch.table("results").append(row)``."""
        return Table(self, name)

    def log(self, text: str, level: Level | None = None) -> None:
        """One log line."""
        data: dict[str, Any] = {"text": text}
        if level is not None:
            data["level"] = level
        self.publisher.publish(self.name, "log", data)

    def __repr__(self) -> str:
        return f"Channel({self.name!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> MimeBundle | None:
        """The live view of this channel when shown in a notebook; text elsewhere.

        Two views: the JupyterLab extension's (drawn from the server's stream, no kernel
        needed) and the anywidget that other front ends show.
        """
        try:
            # Imported on display only: widgets need anywidget, which kernels that merely
            # publish should not pay for (or even have installed).
            from .widget import LiveView
        except ImportError:
            return add_view({"text/plain": repr(self)}, [self.name])
        return LiveView([self.name])._repr_mimebundle_(**kwargs)


class Table:
    """A live table of a channel; each ``append`` adds a row for every viewer."""

    __slots__ = ("channel", "name")

    def __init__(self, channel: Channel, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise SSEValueError(f"a table name must be a non-empty string, got {name!r}")
        self.channel = channel
        self.name = name

    def append(self, row: Mapping[str, Any]) -> None:
        """Add ``row`` (column name -> value); NaN becomes null, numpy scalars plain."""
        if not isinstance(row, Mapping):
            raise SSEValueError(f"a table row must be a mapping of column -> value, got {row!r}")
        # Rows come from results (often a DataFrame row): a NaN score or a numpy int
        # must not make the whole row unsendable.
        plain_row = {str(k): plain(v) for k, v in row.items()}
        self.channel.publish("table", {"table": self.name, "row": plain_row})

    def extend(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """``append`` each of ``rows``, in order."""
        for row in rows:
            self.append(row)
