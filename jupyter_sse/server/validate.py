"""Parsing and validating a ``POST sse/publish`` body, all-or-nothing.

Every event of a batch is checked before any is published, so a refused batch
changes nothing: the publisher can fix it and resend the whole batch.
"""

from __future__ import annotations

from typing import Any, Final

from ..wire.bounds import MAX_BATCH
from ..wire.errors import SSEValueError
from ..wire.events import EventIn, check_data
from ..wire.json_text import dumps, json_size, loads
from ..wire.names import EVENT_ID_RE, check_channel, check_publishable_type

_KEYS: Final = frozenset({"channel", "type", "data", "id"})


class RejectedInput(Exception):
    """The body cannot be published; ``status`` is 400 or 413."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_publish_body(
    body: bytes, *, max_event_bytes: int, max_request_bytes: int
) -> list[EventIn]:
    """The events of ``body`` (an object or a non-empty array); else ``RejectedInput``."""
    # The handler refuses a longer body while reading it; this keeps the bound for any
    # other caller, before a byte of JSON work.
    if len(body) > max_request_bytes:
        raise RejectedInput(413, body_too_large(max_request_bytes))
    try:
        parsed = loads(body)
    except SSEValueError as e:
        raise RejectedInput(400, f"body is not valid JSON: {e}") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        raise RejectedInput(400, "empty batch: send one event object or a non-empty array")
    if len(items) > MAX_BATCH:
        raise RejectedInput(413, f"batch of {len(items)} events; at most {MAX_BATCH} per request")
    # A batch is nearly always many events of a few channels and types: each name is
    # checked once per batch, not once per event.
    channels: set[str] = set()
    types: set[str] = set()
    return [_event(i, item, max_event_bytes, channels, types) for i, item in enumerate(items)]


def _event(
    index: int, item: Any, max_event_bytes: int, channels: set[str], types: set[str]
) -> EventIn:
    if type(item) is not dict:
        raise RejectedInput(400, f"event {index}: must be an object with channel, type and data")
    if not _KEYS.issuperset(item):
        unknown = sorted(set(item) - _KEYS)
        raise RejectedInput(400, f"event {index}: unknown field(s) {unknown}")
    if "channel" not in item or "type" not in item or "data" not in item:
        missing = [k for k in ("channel", "type", "data") if k not in item]
        raise RejectedInput(400, f"event {index}: missing field(s) {missing}")
    channel, type_, data = item["channel"], item["type"], item["data"]
    try:
        if type(channel) is not str or channel not in channels:
            channels.add(check_channel(channel))
        if type(type_) is not str or type_ not in types:
            types.add(check_publishable_type(type_))
        check_data(type_, data)
        data_json = dumps(data)
        size = json_size(data_json)
    except SSEValueError as e:
        raise RejectedInput(400, f"event {index}: {e}") from None
    if size > max_event_bytes:
        raise RejectedInput(
            413, f"event {index}: data is {size} bytes; the limit is {max_event_bytes}"
        )
    if "id" in item:
        key = item["id"]
        if type(key) is not str or not EVENT_ID_RE.fullmatch(key):
            raise RejectedInput(
                400, f"event {index}: id must be 1-128 characters of A-Z a-z 0-9 _ . : -"
            )
    # The parsed object becomes the event: its keys are exactly EventIn's (checked above),
    # and reusing it saves a dict per event (and typing.cast, a call per event).
    item["data_json"] = data_json
    return item  # type: ignore[return-value]


def body_too_large(max_request_bytes: int) -> str:
    """The 413 message for a body over ``max_request_bytes``."""
    return (
        f"request body is larger than {max_request_bytes} bytes (c.SSEApp.max_request_bytes): "
        "send fewer events per request"
    )
