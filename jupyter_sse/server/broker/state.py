"""The latest state of one channel: what a ``snapshot`` event carries to a late viewer.

The snapshot ``data`` object has this shape (every part optional when empty)::

    {"progress": {key: data}, "status": {key: data},
     "metric": [{"ts", "step"?, "values"}...], "table": {name: [row, ...]},
     "log": [{"ts", "text", "level"?}...], "other": {type: data}}

Brokers that keep state elsewhere (Redis) must produce the same shape: the widgets
and the shared broker tests rely on it. The bounds are ``wire.bounds.SNAPSHOT_*``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ...wire.bounds import (
    SNAPSHOT_KEYS,
    SNAPSHOT_LOG_LINES,
    SNAPSHOT_METRIC_POINTS,
    SNAPSHOT_TABLE_ROWS,
)
from ...wire.json_text import dumps, loads


class ChannelState:
    """Reduces a channel's events to the state a snapshot shows."""

    __slots__ = ("_ts", "_ts_text", "log", "metric", "other", "progress", "status", "table")

    def __init__(self) -> None:
        self.progress: dict[str, Any] = {}
        self.status: dict[str, Any] = {}
        # Metric points and log lines are kept as the JSON text of their snapshot item:
        # they are the types published by the thousand, and text is not a container the
        # garbage collector must scan. As dicts, each one lived long enough to reach the
        # oldest generation, and the full collections that followed cost more than the
        # rest of publishing.
        self.metric: deque[str] = deque(maxlen=SNAPSHOT_METRIC_POINTS)
        self.table: dict[str, deque[Any]] = {}
        self.log: deque[str] = deque(maxlen=SNAPSHOT_LOG_LINES)
        self.other: dict[str, Any] = {}
        # The events of a batch share their ts, and the repr of a float with 17 digits
        # costs more than the rest of an item: it is formatted once per ts.
        self._ts = 0.0
        self._ts_text = "0.0"

    def apply(self, type_: str, data: Any, ts: float, data_json: str | None = None) -> None:
        """Fold one published event into the state; ``data_json`` is ``data`` encoded."""
        if type_ == "progress":
            _put(self.progress, data["key"], data)
        elif type_ == "status":
            _put(self.status, data["key"], data)
        elif type_ == "metric":
            self.metric.append(self._with_ts(ts, data, data_json))
        elif type_ == "table":
            rows = self.table.get(data["table"])
            if rows is None:
                rows = deque(maxlen=SNAPSHOT_TABLE_ROWS)
                _put(self.table, data["table"], rows)
            rows.append(data["row"])
        elif type_ == "log":
            self.log.append(self._with_ts(ts, data, data_json))
        elif type_ != "notify":
            # Kept latest-only: a toast is an event, not a state, so a late viewer gets none.
            _put(self.other, type_, data)

    def _with_ts(self, ts: float, data: dict[str, Any], data_json: str | None) -> str:
        # The JSON of {"ts": ts, **data}. Data is a non-empty object (metric needs values,
        # log needs text), so its text after the opening brace is the rest of the item.
        if data_json is None or "ts" in data:
            return dumps({"ts": ts, **data})
        if ts != self._ts:
            self._ts, self._ts_text = ts, float.__repr__(ts)
        return '{"ts":' + self._ts_text + "," + data_json[1:]

    def snapshot(self) -> dict[str, Any]:
        """The snapshot ``data`` object (see module docstring)."""
        snapshot: dict[str, Any] = loads(self.snapshot_json())
        return snapshot

    def snapshot_json(self) -> str:
        """``snapshot()`` as compact JSON, built around the points kept as text."""
        parts: list[str] = []
        if self.progress:
            parts.append('"progress":' + dumps(self.progress))
        if self.status:
            parts.append('"status":' + dumps(self.status))
        if self.metric:
            parts.append('"metric":[' + ",".join(self.metric) + "]")
        if self.table:
            tables = {name: list(rows) for name, rows in self.table.items()}
            parts.append('"table":' + dumps(tables))
        if self.log:
            parts.append('"log":[' + ",".join(self.log) + "]")
        if self.other:
            parts.append('"other":' + dumps(self.other))
        return "{" + ",".join(parts) + "}"


def _put(store: dict[str, Any], key: str, value: Any) -> None:
    # Re-inserting moves the key to the end, so the eviction below drops the key that
    # was updated least recently, not the one created first.
    store.pop(key, None)
    store[key] = value
    if len(store) > SNAPSHOT_KEYS:
        del store[next(iter(store))]
