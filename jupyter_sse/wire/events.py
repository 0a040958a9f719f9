"""Events: what a publisher sends, what a viewer receives, and the built-in data shapes.

Each set of allowed words is a ``Literal`` (for type checkers and signatures) with
its frozenset derived from it (for checks at run time), so the two cannot disagree.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal, NotRequired, TypedDict, get_args

from .errors import SSEValueError
from .json_text import finite_number

BuiltinType = Literal["progress", "metric", "status", "notify", "table", "log"]
Level = Literal["debug", "info", "success", "warning", "error"]
Variant = Literal["default", "success", "warning", "error", "info"]
AuthorKind = Literal["user", "viewer", "kernel"]

# ``"alert": true`` in a notify's data marks it as an alert: the webhooks' default filter
# takes alerts of any level, other notices only at warning and error.
ALERT_FIELD: Final = "alert"

BUILTIN_TYPES: Final = frozenset(get_args(BuiltinType))
LEVELS: Final = frozenset(get_args(Level))
STATUS_VARIANTS: Final = frozenset(get_args(Variant))


class EventIn(TypedDict):
    """One event as a publisher sends it (``POST sse/publish`` body item)."""

    channel: str
    type: str
    data: Any
    id: NotRequired[str]
    # ``data`` as JSON, when whoever validated the event already encoded it (never on
    # the wire): brokers reuse it instead of encoding the same data a second time.
    data_json: NotRequired[str]
    # What the snapshot keeps for this event when it is not ``data`` itself (never on the
    # wire): a ``chat_edit`` carries the message as edited, which the server that took
    # the edit made from the message it found.
    state_json: NotRequired[str]


class Author(TypedDict):
    """Who wrote an event, as the server that took it stamps it (never as a client says).

    Carried as ``data["author"]`` by events of the hub-wide namespace and by chat.
    """

    name: str
    display_name: str
    kind: AuthorKind
    avatar: NotRequired[str]
    color: NotRequired[str]


AUTHOR_KINDS: Final = frozenset(get_args(AuthorKind))


# Chat events carry the author the server stamped (``sse/chat``): a frame of one of
# these types without an author was not written by a server, whoever claims it was.
AUTHORED_TYPES: Final = frozenset({"chat", "chat_edit", "chat_delete"})
# A chat message's id, drawn by the server that took it.
CHAT_ID_RE: Final = re.compile(r"[0-9a-f]{16}")


class ChatMessage(TypedDict):
    """A ``chat`` event's data, and a message as a snapshot keeps it.

    ``ts`` is when the server took it (epoch seconds); ``edited``, in a snapshot only,
    when it was last edited. ``text`` is plain text, exactly as its author sent it.
    """

    id: str
    author: Author
    text: str
    ts: float
    reply_to: NotRequired[str]
    edited: NotRequired[float]


class ChatEdit(TypedDict):
    """A ``chat_edit`` event's data: message ``id`` now reads ``text`` (``author`` edited
    it at ``ts``)."""

    id: str
    text: str
    author: Author
    ts: float


class ChatDelete(TypedDict):
    """A ``chat_delete`` event's data: ``author`` (the message's own, or a moderator)
    removed message ``id`` at ``ts``."""

    id: str
    author: Author
    ts: float


class Watcher(TypedDict):
    """Someone watching a channel now: a Jupyter user, or a viewer link by its label.

    ``since``: when their first stream that covers the channel opened (epoch seconds).
    """

    name: str
    display_name: str
    kind: AuthorKind
    since: float
    avatar: NotRequired[str]
    color: NotRequired[str]


class Presence(TypedDict):
    """A ``presence`` event's data, and a snapshot's ``presence``: who watches the
    channel, longest first, at most ``c.SSEApp.presence_max_watchers`` of them, and
    how many they are in all (``count``)."""

    watchers: list[Watcher]
    count: int


def is_author(value: object) -> bool:
    """True for an ``Author`` object (as read back from anywhere)."""
    return (
        type(value) is dict
        and type(value.get("name")) is str
        and type(value.get("display_name")) is str
        and value.get("kind") in AUTHOR_KINDS
    )


class Envelope(TypedDict):
    """The JSON object carried on the ``data:`` line of every SSE event."""

    channel: str
    type: str
    ts: float
    data: Any


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
        if not finite_number(data.get("value")):
            raise SSEValueError("progress needs a finite number 'value'")
        for field in ("total", "rate", "eta"):
            _optional(data, field, finite_number(data.get(field)))
        _optional(data, "label", isinstance(data.get("label"), str))
        _optional(data, "done", isinstance(data.get("done"), bool))
        _optional(data, "error", isinstance(data.get("error"), str))
    elif type_ == "metric":
        values = data.get("values")
        if not isinstance(values, dict) or not values:
            raise SSEValueError("metric needs a non-empty object 'values' of name -> number")
        for name, value in values.items():
            if value is not None and not finite_number(value):
                raise SSEValueError(f"metric value {name!r} must be a finite number or null")
        _optional(data, "step", finite_number(data.get("step")))
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
        # An alert (``ch.alert``) is a notify meant for the webhooks too (see ALERT_FIELD).
        _optional(data, ALERT_FIELD, isinstance(data.get(ALERT_FIELD), bool))
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
