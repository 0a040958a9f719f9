"""The SSE encoding: every byte a stream sends is made by this module.

An event's frame is ``id: <cursor>\\nevent: <type>\\ndata: <envelope>\\n\\n`` with the
envelope ``{"channel","type","ts","data"}`` as one line of compact JSON. The embedded
broker builds frames with ``EventFrames``; the Redis ``PUBLISH`` script fills the two
values only Redis knows (the cursor and the time) into the pieces ``frame_pieces``
makes here. The rules that keep a stream well-formed are therefore in one place and
tested byte for byte.
"""

from __future__ import annotations

import json
import re
from typing import Final

from .events import AUTHORED_TYPES, is_author
from .json_text import dumps
from .names import CONTROL_TYPES, TYPE_RE

ID_FIELD: Final = "id: "
DATA_FIELD_OPEN: Final = ',"data":'  # between an envelope's ts and its data
FRAME_END: Final = "}\n\n"  # closes the envelope, then the blank line that ends an event

_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")


def _field_value(name: str, value: str) -> str:
    # A CR or LF inside `id` or `event` would end the field early and let the rest of the
    # value be read as a new field: the classic SSE injection. Names are validated upstream;
    # this is the last line of defence, so it refuses instead of repairing.
    if "\n" in value or "\r" in value:
        raise ValueError(f"SSE field {name!r} may not contain a line break")
    return value


def encode(*, data: str, event: str | None = None, id: str | None = None) -> bytes:
    """Encode one SSE event. Multi-line ``data`` becomes several ``data:`` lines.

    ``id`` also may not contain NUL: the spec tells clients to ignore such an id, which
    would silently break resume.
    """
    parts: list[str] = []
    if id is not None:
        if "\0" in id:
            raise ValueError("SSE id may not contain NUL")
        parts.append(ID_FIELD + _field_value("id", id) + "\n")
    if event is not None:
        parts.append("event: " + _field_value("event", event) + "\n")
    for line in _LINE_BREAK.split(data):
        parts.append("data: " + line + "\n")
    parts.append("\n")
    return "".join(parts).encode()


def encode_retry(retry_ms: int) -> bytes:
    """The ``retry:`` line sent once at connection start."""
    return b"retry: %d\n\n" % int(retry_ms)


def encode_comment(text: str) -> bytes:
    """A comment line: ignored by clients, used as a heartbeat to keep proxies from timing out."""
    return (": " + _field_value("comment", text) + "\n\n").encode()


PING: Final = encode_comment("ping")


def envelope_json(channel: str, type_: str, ts: float, data_json: str) -> str:
    """The envelope as JSON text, built around already-encoded ``data`` (no second encode)."""
    return (
        '{"channel":'
        + json.dumps(channel)
        + ',"type":'
        + json.dumps(type_)
        + ',"ts":'
        + repr(round(ts, 6))
        + DATA_FIELD_OPEN
        + data_json
        + "}"
    )


def frame_head(channel: str, type_: str) -> str:
    """The part of an event's frame between its cursor and its ``ts`` value.

    ``ID_FIELD + cursor + frame_head(c, t) + ts + DATA_FIELD_OPEN + data + FRAME_END``
    is the frame ``encode`` makes of that event (names are validated, so they hold no
    line break; json.dumps would escape one anyway).
    """
    return (
        "\nevent: "
        + _field_value("event", type_)
        + '\ndata: {"channel":'
        + json.dumps(channel)
        + ',"type":'
        + json.dumps(type_)
        + ',"ts":'
    )


class EventFrames:
    """The frames of events published together (one ``ts``), built cheaply.

    ``frame(...)`` is byte for byte ``encode(id=cursor, event=type_,
    data=envelope_json(channel, type_, ts, data_json))``; the part that a (channel,
    type) pair shares within the batch is built once, and the line-break split is
    skipped for data that has no line break (compact JSON never has one).
    """

    __slots__ = ("_heads", "_ts", "_ts_text")

    def __init__(self, ts: float) -> None:
        self._ts = ts
        self._ts_text = repr(round(ts, 6))
        self._heads: dict[str, dict[str, str]] = {}  # type -> channel -> head

    def frame(self, cursor: str, channel: str, type_: str, data_json: str) -> bytes:
        """The wire bytes of one event; raises ``ValueError`` where ``encode`` would."""
        heads = self._heads.get(type_)
        if heads is None:
            heads = self._heads[type_] = {}
        head = heads.get(channel)
        if head is None:
            head = heads[channel] = frame_head(channel, type_) + self._ts_text + DATA_FIELD_OPEN
        if "\n" in data_json or "\r" in data_json or not _plain_cursor(cursor):
            # The general encoder splits the data into lines, or refuses the id.
            return encode(
                id=cursor, event=type_, data=envelope_json(channel, type_, self._ts, data_json)
            )
        return (ID_FIELD + cursor + head + data_json + FRAME_END).encode()


def _plain_cursor(cursor: str) -> bool:
    return "\n" not in cursor and "\r" not in cursor and "\0" not in cursor


def snapshot_frame(cursor: str, channel: str, ts: float, state_json: str) -> bytes:
    """A ``snapshot`` event: the latest state of ``channel`` as of ``cursor``.

    ``state_json`` is the state already as JSON: both brokers keep it as text.
    """
    return encode(
        id=cursor, event="snapshot", data=envelope_json(channel, "snapshot", ts, state_json)
    )


def reset_frame(ts: float, reason: str) -> bytes:
    """A ``reset`` event. It carries no id: the snapshots that follow carry the new cursor."""
    return encode(event="reset", data=envelope_json("*", "reset", ts, dumps({"reason": reason})))


def presence_frame(channel: str, ts: float, presence_json: str) -> bytes:
    """A ``presence`` event: who watches ``channel`` now (``events.Presence`` as JSON).

    It carries no id: presence is not history (a resume is not replayed the comings and
    goings it missed, it is told who watches now), so it must not move the cursor.
    """
    return encode(event="presence", data=envelope_json(channel, "presence", ts, presence_json))


# Never in history nor on Redis: each server tells its own streams (see presence_frame).
_TRANSIENT_TYPES: Final = frozenset({"presence"})

# The largest position a frame may carry: Redis's INCR counts in a signed 64-bit integer.
MAX_POSITION: Final = 2**63 - 1
_ENVELOPE_KEYS: Final = frozenset({"channel", "type", "ts", "data"})


def check_frame(frame: bytes, channel: str, *, authored: bool = False) -> tuple[str, int] | None:
    """The epoch and position of ``frame`` if it is exactly what this module makes of one
    event of ``channel`` (as the ``PUBLISH`` script fills it in); None for anything else.

    For frames read back from Redis, where anything that may ``PUBLISH`` or ``XADD`` could
    have written them: a ``retry:`` line, a ``reset``, a second event hidden after a line
    break, a position no counter could reach or another channel's envelope never get
    past this to a viewer. ``authored``: the event's data must carry the ``author`` a
    server stamps on events of the hub-wide namespace (chat events always must).
    """
    if not frame.endswith(b"}\n\n") or b"\r" in frame or frame.count(b"\n") != 4:
        return None
    lines = frame[:-2].split(b"\n")
    if len(lines) != 3:
        return None
    id_line, event_line, data_line = lines
    if not (
        id_line.startswith(b"id: ")
        and event_line.startswith(b"event: ")
        and data_line.startswith(b"data: {")
    ):
        return None
    epoch, _, seq = id_line[4:].rpartition(b"-")
    if not epoch or not (seq.isascii() and seq.isdigit()) or len(seq) > 19 or b"\0" in epoch:
        return None
    position = int(seq)
    type_ = event_line[7:].decode("ascii", "replace")
    if (
        position > MAX_POSITION
        or not TYPE_RE.fullmatch(type_)
        or type_ in CONTROL_TYPES
        or type_ in _TRANSIENT_TYPES
    ):
        return None
    try:
        envelope = json.loads(data_line[6:])
    except ValueError:
        return None
    if (
        type(envelope) is not dict
        or envelope.keys() != _ENVELOPE_KEYS
        or envelope["channel"] != channel
        or envelope["type"] != type_
        or type(envelope["ts"]) not in (int, float)
    ):
        return None
    if (authored or type_ in AUTHORED_TYPES) and not is_author(
        envelope["data"].get("author") if type(envelope["data"]) is dict else None
    ):
        return None
    return epoch.decode("ascii", "replace"), position
