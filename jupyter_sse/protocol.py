"""The wire format: names, the event envelope and the one SSE encoder.

Every byte that goes out on ``sse/stream`` is produced here, so the rules that
keep a stream well-formed live in one place and are unit-tested byte for byte.
This module imports only the standard library: kernels import it to validate
before they queue, and the server imports it to validate before it publishes.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal, NotRequired, TypedDict

from .errors import SSEValueError

CHANNEL_RE: Final = re.compile(r"[A-Za-z0-9_.:/-]{1,128}")
TYPE_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")

# Types the server emits itself; a publisher may not forge them, or a client could be
# told to drop its state (`reset`) by anyone allowed to publish.
CONTROL_TYPES: Final = frozenset({"snapshot", "reset", "error"})
BUILTIN_TYPES: Final = frozenset({"progress", "metric", "status", "notify", "table", "log"})
STATUS_VARIANTS: Final = frozenset({"default", "success", "warning", "error", "info"})
LEVELS: Final = frozenset({"debug", "info", "success", "warning", "error"})

MAX_PATTERNS_PER_STREAM: Final = 64
FLOAT_MAX: Final = sys.float_info.max


class EventIn(TypedDict):
    """One event as a publisher sends it (``POST sse/publish`` body item)."""

    channel: str
    type: str
    data: Any
    id: NotRequired[str]
    # ``data`` as JSON, when whoever validated the event already encoded it (never on
    # the wire): brokers reuse it instead of encoding the same data a second time.
    data_json: NotRequired[str]


class Envelope(TypedDict):
    """The JSON object carried on the ``data:`` line of every SSE event."""

    channel: str
    type: str
    ts: float
    data: Any


def is_channel(name: object) -> bool:
    """True when ``name`` is a valid channel name (not a pattern)."""
    return isinstance(name, str) and CHANNEL_RE.fullmatch(name) is not None


def is_type(name: object) -> bool:
    """True when ``name`` is a valid event type name."""
    return isinstance(name, str) and TYPE_RE.fullmatch(name) is not None


def check_channel(name: object) -> str:
    """Return ``name`` if it is a valid channel, else raise ``SSEValueError``."""
    if not is_channel(name):
        raise SSEValueError(
            f"invalid channel {name!r}: use 1-128 characters of A-Z a-z 0-9 _ . : / -"
        )
    return name  # type: ignore[return-value]


def check_type(name: object) -> str:
    """Return ``name`` if it may be published as an event type, else raise."""
    if not is_type(name):
        raise SSEValueError(f"invalid type {name!r}: use 1-64 characters of A-Z a-z 0-9 _ . -")
    if name in CONTROL_TYPES:
        raise SSEValueError(f"type {name!r} is reserved for the server; pick another name")
    return name  # type: ignore[return-value]


def check_pattern(pattern: object) -> str:
    """Validate a subscription: a channel name, or a prefix followed by one final ``*``."""
    if isinstance(pattern, str) and pattern.endswith("*"):
        prefix = pattern[:-1]
        if prefix == "" or is_channel(prefix):
            return pattern
    elif is_channel(pattern):
        return pattern  # type: ignore[return-value]
    raise SSEValueError(
        f"invalid channel {pattern!r}: a channel name, or a prefix ending in '*' (e.g. 'train/*')"
    )


def pattern_matches(pattern: str, channel: str) -> bool:
    """True when subscription ``pattern`` covers ``channel``."""
    if pattern.endswith("*"):
        return channel.startswith(pattern[:-1])
    return pattern == channel


def covered(patterns: Sequence[str], channel: str) -> bool:
    """True when any of subscription ``patterns`` covers ``channel``."""
    return any(pattern_matches(p, channel) for p in patterns)


def scope_covers(scope: list[str], pattern: str) -> bool:
    """True when every channel ``pattern`` can match is inside one of ``scope``'s patterns."""
    for allowed in scope:
        if allowed.endswith("*"):
            if pattern.startswith(allowed[:-1]):
                return True
        elif allowed == pattern:
            return True
    return False


# --- data shapes of the built-in types --------------------------------------------------


def _number(value: object) -> bool:
    # Exact types first: this runs for every value of every metric event.
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is int:
        # A JSON integer beyond the float range is Infinity to a browser's JSON.parse.
        return -FLOAT_MAX <= value <= FLOAT_MAX
    # bool is an int in Python; a progress value of True is a bug, not a number.
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int subclass too large for a float
        return False


def _optional(data: dict[str, Any], key: str, ok: bool) -> None:
    if key in data and data[key] is not None and not ok:
        raise SSEValueError(f"field {key!r} has the wrong type ({type(data[key]).__name__})")


def check_data(type_: str, data: object) -> None:
    """Check ``data`` against the shape the widgets expect for built-in ``type_``.

    Custom types may carry any JSON value; built-in ones are checked so that a
    malformed event is refused at the door instead of breaking every viewer.
    """
    if type_ not in BUILTIN_TYPES:
        return
    if not isinstance(data, dict):
        raise SSEValueError(f"{type_} data must be a JSON object, got {type(data).__name__}")
    if type_ == "progress":
        _require_str(data, "key")
        if not _number(data.get("value")):
            raise SSEValueError("progress needs a finite number 'value'")
        for field in ("total", "rate", "eta"):
            _optional(data, field, _number(data.get(field)))
        _optional(data, "label", isinstance(data.get("label"), str))
        _optional(data, "done", isinstance(data.get("done"), bool))
        _optional(data, "error", isinstance(data.get("error"), str))
    elif type_ == "metric":
        values = data.get("values")
        if not isinstance(values, dict) or not values:
            raise SSEValueError("metric needs a non-empty object 'values' of name -> number")
        for name, value in values.items():
            if value is not None and not _number(value):
                raise SSEValueError(f"metric value {name!r} must be a finite number or null")
        _optional(data, "step", _number(data.get("step")))
    elif type_ == "status":
        _require_str(data, "key")
        if "value" not in data:
            raise SSEValueError("status needs a 'value'")
        variant = data.get("variant")
        if variant is not None and variant not in STATUS_VARIANTS:
            raise SSEValueError(f"status variant must be one of {sorted(STATUS_VARIANTS)}")
    elif type_ == "notify":
        _require_str(data, "message")
        _optional(data, "title", isinstance(data.get("title"), str))
        _check_level(data)
    elif type_ == "table":
        _require_str(data, "table")
        if not isinstance(data.get("row"), dict):
            raise SSEValueError("table needs an object 'row'")
    elif type_ == "log":
        if not isinstance(data.get("text"), str):
            raise SSEValueError("log needs a string 'text'")
        _check_level(data)


def _require_str(data: dict[str, Any], key: str) -> None:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise SSEValueError(f"field {key!r} must be a non-empty string")


def _check_level(data: dict[str, Any]) -> None:
    level = data.get("level")
    if level is not None and level not in LEVELS:
        raise SSEValueError(f"level must be one of {sorted(LEVELS)}")


# --- JSON --------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise SSEValueError(f"{name} is not valid JSON; send null instead")


def loads(text: str | bytes) -> Any:
    """Parse JSON strictly: NaN and Infinity are refused (browsers' JSON.parse rejects them)."""
    return json.loads(text, parse_constant=_reject_constant)


# One encoder for every call: json.dumps with non-default options builds a new
# JSONEncoder each time, which showed in the profile of the publish path.
_ENCODER: Final = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)


# JSONEncoder.encode also builds its C encoder on every call, which costs as much as
# encoding a small event; this one is built once. Without check_circular it keeps no
# state between calls (threads may share it), and a cycle ends in RecursionError.
def _c_encoder() -> Callable[[Any, int], Sequence[str]] | None:
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None  # an interpreter without json's C accelerator
    try:
        # The arguments JSONEncoder.iterencode passes it, for _ENCODER's options.
        encoder: Callable[[Any, int], Sequence[str]] = make(
            None,
            _ENCODER.default,
            json.encoder.encode_basestring,
            None,
            ":",
            ",",
            False,
            False,
            False,
        )
    except TypeError:
        return None  # its signature changed: JSONEncoder.encode still works
    return encoder


_C_ENCODE: Final = _c_encoder()


def dumps(value: Any) -> str:
    """Compact JSON that every browser can parse; raises ``SSEValueError`` otherwise."""
    try:
        if _C_ENCODE is not None and type(value) in (dict, list):
            return "".join(_C_ENCODE(value, 0))
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as e:
        raise SSEValueError(f"data is not JSON-serializable: {e}") from None
    except RecursionError:
        raise SSEValueError(
            "data is not JSON-serializable: it contains itself, or is nested too deeply"
        ) from None


def json_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8; compact ASCII JSON (the usual case) needs no encode."""
    return len(text) if text.isascii() else len(text.encode())


def envelope_json(channel: str, type_: str, ts: float, data_json: str) -> str:
    """The envelope as JSON text, built around already-encoded ``data`` (no second encode)."""
    return (
        '{"channel":'
        + json.dumps(channel)
        + ',"type":'
        + json.dumps(type_)
        + ',"ts":'
        + repr(round(ts, 6))
        + ',"data":'
        + data_json
        + "}"
    )


class EventFrames:
    """The frames of events published together (one ``ts``), built cheaply.

    ``frame(...)`` is byte for byte ``encode(id=cursor, event=type_,
    data=envelope_json(channel, type_, ts, data_json))``; the part that a (channel,
    type) pair shares within the batch is built once, and the line-break split is
    skipped for data that has no line break (compact JSON never has one).
    """

    __slots__ = ("_heads", "_ts")

    def __init__(self, ts: float) -> None:
        self._ts = ts
        self._heads: dict[str, dict[str, str]] = {}  # type -> channel -> head

    def frame(self, cursor: str, channel: str, type_: str, data_json: str) -> bytes:
        """The wire bytes of one event; raises ``ValueError`` where ``encode`` would."""
        heads = self._heads.get(type_)
        if heads is None:
            heads = self._heads[type_] = {}
        head = heads.get(channel)
        if head is None:
            # The envelope up to its data; json.dumps escapes any line break in the names.
            envelope = envelope_json(channel, type_, self._ts, "")[:-1]
            head = heads[channel] = (
                "\nevent: " + _field_value("event", type_) + "\ndata: " + envelope
            )
        if "\n" in data_json or "\r" in data_json or not _plain_cursor(cursor):
            # The general encoder splits the data into lines, or refuses the id.
            return encode(
                id=cursor, event=type_, data=envelope_json(channel, type_, self._ts, data_json)
            )
        return ("id: " + cursor + head + data_json + "}\n\n").encode()


def _plain_cursor(cursor: str) -> bool:
    return "\n" not in cursor and "\r" not in cursor and "\0" not in cursor


# --- the SSE encoder ---------------------------------------------------------------------

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


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
        parts.append("id: " + _field_value("id", id) + "\n")
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

Variant = Literal["default", "success", "warning", "error", "info"]
