"""Chat requests and the events they become, as plain data: no HTTP, no broker.

Text is plain and goes out exactly as it came: nothing is trimmed, escaped or turned
into markup here or anywhere on the server. It is JSON-encoded inside the envelope, so
no character of it can end an SSE line; browsers show it as a text node.
"""

from __future__ import annotations

import secrets
from typing import Any, Final, cast

from ...wire.errors import SSEValueError
from ...wire.events import CHAT_ID_RE, Author, ChatDelete, ChatEdit, ChatMessage, is_author
from ...wire.json_text import dumps, escape_line_ends, json_size, loads
from ...wire.names import check_channel
from ..validate import RejectedInput

# The body each method takes: its fields, and which of them it needs.
POST_FIELDS: Final = (frozenset({"channel", "text", "reply_to"}), ("channel", "text"))
EDIT_FIELDS: Final = (frozenset({"channel", "id", "text"}), ("channel", "id", "text"))
DELETE_FIELDS: Final = (frozenset({"channel", "id"}), ("channel", "id"))
# What the server says itself: taken, and ignored, when a client sends it.
STAMPED: Final = frozenset({"author", "kind", "ts"})


def parse_body(body: bytes, fields: tuple[frozenset[str], tuple[str, ...]]) -> dict[str, Any]:
    """The request's JSON object, with the allowed ``fields`` only (and without any of
    ``STAMPED``, which a client may send but never decides); a valid channel."""
    allowed, required = fields
    try:
        parsed = loads(body or b"{}")
    except SSEValueError as e:
        raise RejectedInput(400, f"body is not valid JSON: {e}") from None
    if type(parsed) is not dict:
        raise RejectedInput(400, f"send a JSON object with {sorted(allowed)}")
    unknown = sorted(set(parsed) - allowed - STAMPED)
    if unknown:
        raise RejectedInput(400, f"unknown field(s) {unknown}: send only {sorted(allowed)}")
    for name in STAMPED:
        parsed.pop(name, None)
    missing = [name for name in required if name not in parsed]
    if missing:
        raise RejectedInput(400, f"missing field(s) {missing}")
    try:
        check_channel(parsed["channel"])
    except SSEValueError as e:
        raise RejectedInput(400, str(e)) from None
    for name in ("id", "reply_to"):
        if name in parsed and not (
            type(parsed[name]) is str and CHAT_ID_RE.fullmatch(parsed[name])
        ):
            raise RejectedInput(400, f"{name} must be a message id (16 hex digits)")
    return parsed


def check_text(text: object, max_chars: int) -> str:
    """``text`` if it is a message that may be sent, unchanged."""
    if type(text) is not str:
        raise RejectedInput(400, "text must be a string")
    if not text.strip():
        raise RejectedInput(400, "text is empty: write something")
    if len(text) > max_chars:
        raise RejectedInput(
            400, f"text is {len(text)} characters; at most {max_chars} (c.SSEApp.chat_max_chars)"
        )
    try:
        json_size(text)
    except SSEValueError as e:
        raise RejectedInput(400, str(e)) from None
    return text


def new_message(author: Author, text: str, reply_to: str | None, now: float) -> ChatMessage:
    """A ``chat`` event's data, with an id drawn now."""
    message: ChatMessage = {
        "id": secrets.token_hex(8),
        "author": author,
        "text": text,
        "ts": round(now, 3),
    }
    if reply_to is not None:
        message["reply_to"] = reply_to
    return message


def kept_message(text: str | None) -> ChatMessage | None:
    """A message as the broker keeps it (read back, maybe from Redis), if it is one."""
    if text is None:
        return None
    try:
        message = loads(text)
    except SSEValueError:
        return None
    if (
        type(message) is not dict
        or type(message.get("id")) is not str
        or type(message.get("text")) is not str
        or not is_author(message.get("author"))
    ):
        return None
    return cast(ChatMessage, message)


def edit_event(message: ChatMessage, editor: Author, text: str, now: float) -> tuple[ChatEdit, str]:
    """The data of a ``chat_edit`` of ``message``, and ``message`` as edited, as JSON (what
    the snapshot keeps from then on)."""
    ts = round(now, 3)
    edit: ChatEdit = {"id": message["id"], "text": text, "author": editor, "ts": ts}
    edited: ChatMessage = {**message, "text": text, "edited": ts}
    return edit, escape_line_ends(dumps(edited))


def delete_event(message: ChatMessage, by: Author, now: float) -> ChatDelete:
    """The data of a ``chat_delete`` of ``message``."""
    return {"id": message["id"], "author": by, "ts": round(now, 3)}


def same_person(a: Author, b: Author) -> bool:
    """True when ``a`` and ``b`` are one identity (whatever they are called for people)."""
    return a["kind"] == b["kind"] and a["name"] == b["name"]
