"""The latest state of one channel: what a ``snapshot`` event carries to a late viewer.

The snapshot ``data`` object has this shape (every part optional when empty)::

    {"progress": {key: data}, "status": {key: data},
     "metric": [{"ts", "step"?, "values"}...], "table": {name: [row, ...]},
     "log": [{"ts", "text", "level"?}...], "other": {type: data},
     "chat": [message, ...], "presence": {"watchers", "count"}}

``chat`` holds the last ``chat_messages`` messages in post order with their edits and
deletes applied (an edited message has ``edited``; a deleted one is gone), so a late
viewer needs no history to show the conversation. ``presence`` is not state: the
broker adds who watches the channel now to each snapshot it sends (``with_presence``).

Brokers that keep state elsewhere (Redis) must produce the same shape: the widgets
and the shared broker tests rely on it. The count bounds are ``wire.bounds.SNAPSHOT_*``;
on top of them the state holds at most ``limit`` bytes of JSON (``snapshot_bytes``):
past it, the oldest items of the largest part go first, so a late viewer sees the
newest of everything and the server's memory per channel has a ceiling in bytes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from ...wire.bounds import (
    DEFAULT_CHAT_SNAPSHOT_MESSAGES,
    SNAPSHOT_KEYS,
    SNAPSHOT_LOG_LINES,
    SNAPSHOT_METRIC_POINTS,
    SNAPSHOT_TABLE_ROWS,
)
from ...wire.json_text import dumps, json_size, loads

DEFAULT_SNAPSHOT_BYTES = 1024 * 1024


class _Keyed:
    """Latest JSON per key (progress bars, statuses, custom types), least recent first."""

    __slots__ = ("bytes", "items")

    def __init__(self) -> None:
        self.items: dict[str, str] = {}
        self.bytes = 0

    def put(self, key: str, text: str) -> None:
        # Re-inserting moves the key to the end, so eviction drops the key that was
        # updated least recently, not the one created first.
        old = self.items.pop(key, None)
        if old is not None:
            self.bytes -= _item_size(key, old)
        self.items[key] = text
        self.bytes += _item_size(key, text)
        if len(self.items) > SNAPSHOT_KEYS:
            self.drop_oldest()

    def drop_oldest(self) -> None:
        key = next(iter(self.items))
        self.bytes -= _item_size(key, self.items.pop(key))

    def json(self) -> str:
        return _object(self.items.items())


class _Chat:
    """The last messages by id, in post order: an edit keeps a message's place."""

    __slots__ = ("bytes", "items", "most")

    def __init__(self, most: int) -> None:
        self.items: dict[str, str] = {}
        self.most = most
        self.bytes = 0

    def post(self, key: str, text: str) -> None:
        self.replace(key, text)
        if len(self.items) > self.most:
            self.drop_oldest()

    def replace(self, key: str, text: str) -> None:
        old = self.items.get(key)
        if old is not None:
            self.bytes -= json_size(old) + 1
        self.items[key] = text
        self.bytes += json_size(text) + 1

    def edit(self, key: str, text: str) -> None:
        # A message no longer kept (deleted, or older than the last ``most``) stays gone.
        if key in self.items:
            self.replace(key, text)

    def delete(self, key: str) -> None:
        old = self.items.pop(key, None)
        if old is not None:
            self.bytes -= json_size(old) + 1

    def drop_oldest(self) -> None:
        self.delete(next(iter(self.items)))

    def json(self) -> str:
        return "[" + ",".join(self.items.values()) + "]"


class _Lines:
    """The newest JSON items of one list (metric points, log lines, a table's rows)."""

    __slots__ = ("bytes", "items", "most")

    def __init__(self, most: int) -> None:
        self.items: deque[str] = deque()
        self.most = most
        self.bytes = 0

    def append(self, text: str) -> None:
        self.items.append(text)
        self.bytes += json_size(text) + 1
        if len(self.items) > self.most:
            self.drop_oldest()

    def drop_oldest(self) -> None:
        self.bytes -= json_size(self.items.popleft()) + 1

    def json(self) -> str:
        return "[" + ",".join(self.items) + "]"


class _Tables:
    """Newest rows per table name, least recently updated table first."""

    __slots__ = ("bytes", "tables")

    def __init__(self) -> None:
        self.tables: dict[str, _Lines] = {}
        self.bytes = 0

    def append(self, name: str, row_text: str) -> None:
        rows = self.tables.pop(name, None)
        if rows is None:
            rows = _Lines(SNAPSHOT_TABLE_ROWS)
            self.bytes += json_size(name) + 4
        self.tables[name] = rows
        before = rows.bytes
        rows.append(row_text)
        self.bytes += rows.bytes - before
        if len(self.tables) > SNAPSHOT_KEYS:
            self._drop_table(next(iter(self.tables)))

    def drop_oldest(self) -> None:
        name = next(iter(self.tables))
        rows = self.tables[name]
        before = rows.bytes
        rows.drop_oldest()
        self.bytes -= before - rows.bytes
        if not rows.items:
            self._drop_table(name)

    def _drop_table(self, name: str) -> None:
        rows = self.tables.pop(name)
        self.bytes -= rows.bytes + json_size(name) + 4

    def json(self) -> str:
        return _object((name, rows.json()) for name, rows in self.tables.items())


class ChannelState:
    """Reduces a channel's events to the state a snapshot shows, within ``limit`` bytes.

    Everything is kept as JSON text: the types published by the thousand then cost the
    garbage collector nothing to scan (as dicts, each one lived long enough to reach the
    oldest generation, and the full collections that followed cost more than the rest of
    publishing), and a snapshot is joined from the texts without encoding anything.
    """

    __slots__ = (
        "_bytes",
        "_json",
        "_ts",
        "_ts_text",
        "chat",
        "limit",
        "log",
        "metric",
        "other",
        "progress",
        "status",
        "table",
    )

    def __init__(
        self,
        limit: int = DEFAULT_SNAPSHOT_BYTES,
        chat_messages: int = DEFAULT_CHAT_SNAPSHOT_MESSAGES,
    ) -> None:
        self.limit = limit
        self.progress = _Keyed()
        self.status = _Keyed()
        self.other = _Keyed()
        self.metric = _Lines(SNAPSHOT_METRIC_POINTS)
        self.log = _Lines(SNAPSHOT_LOG_LINES)
        self.table = _Tables()
        self.chat = _Chat(chat_messages)
        # The events of a batch share their ts, and the repr of a float with 17 digits
        # costs more than the rest of an item: it is formatted once per ts.
        self._ts = 0.0
        self._ts_text = "0.0"
        self._json: str | None = "{}"  # the snapshot's JSON, until the next change
        self._bytes = 0

    @property
    def bytes(self) -> int:
        """JSON bytes held (a little more than the snapshot's own length)."""
        return self._bytes

    def apply(
        self,
        type_: str,
        data: Any,
        ts: float,
        data_json: str | None = None,
        state_json: str | None = None,
    ) -> None:
        """Fold one published event into the state; ``data_json`` is ``data`` encoded,
        ``state_json`` what to keep of it when that is not ``data`` (``EventIn``)."""
        part: _Keyed | _Lines | _Tables | _Chat
        if type_ == "metric":
            part = self.metric
            before = part.bytes
            part.append(self._with_ts(ts, data, data_json))
        elif type_ == "progress" or type_ == "status":
            part = self.progress if type_ == "progress" else self.status
            before = part.bytes
            part.put(data["key"], data_json or dumps(data))
        elif type_ == "log":
            part = self.log
            before = part.bytes
            part.append(self._with_ts(ts, data, data_json))
        elif type_ == "table":
            part = self.table
            before = part.bytes
            part.append(data["table"], dumps(data["row"]))
        elif type_ == "chat" or type_ == "chat_edit" or type_ == "chat_delete":
            part = self.chat
            before = part.bytes
            if type_ == "chat":
                part.post(data["id"], data_json or dumps(data))
            elif type_ == "chat_edit":
                if state_json is None:
                    return
                part.edit(data["id"], state_json)
            else:
                part.delete(data["id"])
        elif type_ == "notify" or type_ == "presence":
            # A toast is an event, not a state: a late viewer gets none. Presence is
            # added to each snapshot as it is when the snapshot is sent.
            return
        else:
            part = self.other
            before = part.bytes
            part.put(type_, data_json or dumps(data))
        self._json = None
        self._bytes += part.bytes - before
        if self._bytes > self.limit:
            self._fit()

    def _fit(self) -> None:
        # The oldest item of the part that holds the most goes first: a flood of one
        # kind (log lines, say) cannot push the other kinds out of the snapshot.
        parts: tuple[_Keyed | _Lines | _Tables | _Chat, ...] = (
            self.metric,
            self.log,
            self.table,
            self.progress,
            self.status,
            self.other,
            self.chat,
        )
        while self._bytes > self.limit:
            part = max(parts, key=lambda p: p.bytes)
            before = part.bytes
            part.drop_oldest()
            self._bytes += part.bytes - before

    @classmethod
    def from_texts(
        cls,
        limit: int,
        *,
        progress: Iterable[tuple[str, str]] = (),
        status: Iterable[tuple[str, str]] = (),
        other: Iterable[tuple[str, str]] = (),
        metric: Iterable[str] = (),
        log: Iterable[str] = (),
        tables: Iterable[tuple[str, Iterable[str]]] = (),
        chat: Iterable[tuple[str, str]] = (),
        chat_messages: int = DEFAULT_CHAT_SNAPSHOT_MESSAGES,
    ) -> ChannelState:
        """A state from parts kept elsewhere as JSON text (the Redis broker's), oldest
        first, held to ``limit`` bytes as ``apply`` would."""
        state = cls(limit, chat_messages)
        for keyed, pairs in ((state.progress, progress), (state.status, status)):
            for key, text in pairs:
                keyed.put(key, text)
        for key, text in other:
            state.other.put(key, text)
        for lines, items in ((state.metric, metric), (state.log, log)):
            for text in items:
                lines.append(text)
        for name, rows in tables:
            for text in rows:
                state.table.append(name, text)
        for key, text in chat:
            state.chat.post(key, text)
        state._bytes = sum(
            p.bytes
            for p in (
                state.progress,
                state.status,
                state.other,
                state.metric,
                state.log,
                state.chat,
            )
        )
        state._bytes += state.table.bytes
        state._json = None
        state._fit()
        return state

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
        """``snapshot()`` as compact JSON; kept until the state changes, so that every
        viewer that connects meanwhile shares one string."""
        if self._json is None:
            parts: list[str] = []
            if self.progress.items:
                parts.append('"progress":' + self.progress.json())
            if self.status.items:
                parts.append('"status":' + self.status.json())
            if self.metric.items:
                parts.append('"metric":' + self.metric.json())
            if self.table.tables:
                parts.append('"table":' + self.table.json())
            if self.log.items:
                parts.append('"log":' + self.log.json())
            if self.other.items:
                parts.append('"other":' + self.other.json())
            if self.chat.items:
                parts.append('"chat":' + self.chat.json())
            self._json = "{" + ",".join(parts) + "}"
        return self._json


def with_presence(state_json: str, presence_json: str | None) -> str:
    """A snapshot's JSON (``snapshot_json``) with ``"presence"`` added, if there is one."""
    if presence_json is None:
        return state_json
    separator = "" if state_json == "{}" else ","
    return state_json[:-1] + separator + '"presence":' + presence_json + "}"


def _item_size(key: str, text: str) -> int:
    return json_size(key) + json_size(text) + 4


def _object(pairs: Iterable[tuple[str, str]]) -> str:
    return "{" + ",".join(dumps(key) + ":" + text for key, text in pairs) + "}"
