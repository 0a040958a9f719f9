"""The end of the loop tick: where frames queued during it are written, in one callback.

Publishing and fan-out queue frames (a fan-out group's frames, a stream's backlog) and
ask the ``Tick`` to flush them once the current callback is done. One loop callback per
tick for all of them, rather than one per group and one per stream: at 10,000 viewers
that is 10,000 fewer loop handles for every tick that has events, and every frame of a
tick reaches a viewer in one write.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Protocol


class Flushable(Protocol):
    """Something with frames to write at the end of the tick."""

    def flush(self) -> None: ...


class Tick:
    """Runs ``flush`` of everything ``defer``-ed during this tick, in order, once."""

    __slots__ = ("_due", "_scheduled")

    def __init__(self) -> None:
        self._due: list[Flushable] = []
        self._scheduled = False

    def defer(self, item: Flushable) -> None:
        """Flush ``item`` at the end of this tick. The caller defers an item at most once
        per tick (it keeps its own "scheduled" flag, reset by its ``flush``)."""
        self._due.append(item)
        if not self._scheduled:
            self._scheduled = True
            # A fresh context: the callback must not keep the publishing request alive.
            asyncio.get_running_loop().call_soon(self._run, context=contextvars.Context())

    def _run(self) -> None:
        # A group's flush may leave frames queued on a busy stream, which defers that
        # stream in turn: it is flushed in this same callback, after the groups.
        try:
            while self._due:
                due, self._due = self._due, []
                for item in due:
                    item.flush()
        finally:
            self._scheduled = False
