"""The latest state of one channel: what a ``snapshot`` event carries to a late viewer.

The snapshot ``data`` object has this shape (every part optional when empty)::

    {"progress": {key: data}, "status": {key: data},
     "metric": [{"ts", "step"?, "values"}...], "table": {name: [row, ...]},
     "log": [{"ts", "text", "level"?}...], "other": {type: data}}

Brokers that keep state elsewhere (Redis) must produce the same shape: the widgets
and the shared broker tests rely on it.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

# Bounds keep a snapshot small enough to send on every connect; each is a choice
# between what a late viewer can see and how much every connect costs.
MAX_KEYS: Final = 1000  # progress bars / statuses / tables / custom types per channel
METRIC_POINTS: Final = 1000  # enough for a chart to show the trend so far
TABLE_ROWS: Final = 100  # "newest rows, bounded", as the live table shows them
LOG_LINES: Final = 200


class ChannelState:
    """Reduces a channel's events to the state a snapshot shows."""

    __slots__ = ("log", "metric", "other", "progress", "status", "table")

    def __init__(self) -> None:
        self.progress: dict[str, Any] = {}
        self.status: dict[str, Any] = {}
        self.metric: deque[dict[str, Any]] = deque(maxlen=METRIC_POINTS)
        self.table: dict[str, deque[Any]] = {}
        self.log: deque[dict[str, Any]] = deque(maxlen=LOG_LINES)
        self.other: dict[str, Any] = {}

    def apply(self, type_: str, data: Any, ts: float) -> None:
        """Fold one published event into the state."""
        if type_ == "progress":
            _put(self.progress, data["key"], data)
        elif type_ == "status":
            _put(self.status, data["key"], data)
        elif type_ == "metric":
            self.metric.append({"ts": ts, **data})
        elif type_ == "table":
            rows = self.table.get(data["table"])
            if rows is None:
                rows = deque(maxlen=TABLE_ROWS)
                _put(self.table, data["table"], rows)
            rows.append(data["row"])
        elif type_ == "log":
            self.log.append({"ts": ts, **data})
        elif type_ != "notify":
            # Kept latest-only: a toast is an event, not a state, so a late viewer gets none.
            _put(self.other, type_, data)

    def snapshot(self) -> dict[str, Any]:
        """The snapshot ``data`` object (see module docstring)."""
        out: dict[str, Any] = {}
        if self.progress:
            out["progress"] = self.progress
        if self.status:
            out["status"] = self.status
        if self.metric:
            out["metric"] = list(self.metric)
        if self.table:
            out["table"] = {name: list(rows) for name, rows in self.table.items()}
        if self.log:
            out["log"] = list(self.log)
        if self.other:
            out["other"] = self.other
        return out


def _put(store: dict[str, Any], key: str, value: Any) -> None:
    # Re-inserting moves the key to the end, so the eviction below drops the key that
    # was updated least recently, not the one created first.
    store.pop(key, None)
    store[key] = value
    if len(store) > MAX_KEYS:
        del store[next(iter(store))]
