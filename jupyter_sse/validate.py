"""Parsing and validating a ``POST sse/publish`` body, all-or-nothing.

Every event of a batch is checked before any is published, so a refused batch
changes nothing: the publisher can fix it and resend the whole batch.
"""

from __future__ import annotations

import re
from typing import Any, Final

from .errors import SSEValueError
from .protocol import EventIn, check_channel, check_data, check_type, dumps, loads

MAX_BATCH: Final = 1000
_KEYS: Final = frozenset({"channel", "type", "data", "id"})
_ID_RE: Final = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class RejectedInput(Exception):
    """The body cannot be published; ``status`` is 400 or 413."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_publish_body(body: bytes, *, max_event_bytes: int) -> list[EventIn]:
    """The events of ``body`` (an object or a non-empty array); else ``RejectedInput``."""
    # The whole batch may be at most MAX_BATCH events of the maximum size; anything longer
    # is refused before parsing, so an oversize body costs no JSON work.
    if len(body) > max_event_bytes * MAX_BATCH:
        raise RejectedInput(413, f"body is larger than {max_event_bytes * MAX_BATCH} bytes")
    try:
        parsed = loads(body)
    except (ValueError, SSEValueError) as e:
        raise RejectedInput(400, f"body is not valid JSON: {e}") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        raise RejectedInput(400, "empty batch: send one event object or a non-empty array")
    if len(items) > MAX_BATCH:
        raise RejectedInput(413, f"batch of {len(items)} events; at most {MAX_BATCH} per request")
    return [_event(i, item, max_event_bytes) for i, item in enumerate(items)]


def _event(index: int, item: Any, max_event_bytes: int) -> EventIn:
    where = f"event {index}"
    if not isinstance(item, dict):
        raise RejectedInput(400, f"{where}: must be an object with channel, type and data")
    unknown = set(item) - _KEYS
    if unknown:
        raise RejectedInput(400, f"{where}: unknown field(s) {sorted(unknown)}")
    missing = [k for k in ("channel", "type", "data") if k not in item]
    if missing:
        raise RejectedInput(400, f"{where}: missing field(s) {missing}")
    try:
        channel = check_channel(item["channel"])
        type_ = check_type(item["type"])
        check_data(type_, item["data"])
    except SSEValueError as e:
        raise RejectedInput(400, f"{where}: {e}") from None
    data_json = dumps(item["data"])
    size = len(data_json.encode())
    if size > max_event_bytes:
        raise RejectedInput(413, f"{where}: data is {size} bytes; the limit is {max_event_bytes}")
    event: EventIn = {
        "channel": channel,
        "type": type_,
        "data": item["data"],
        "data_json": data_json,
    }
    if "id" in item:
        key = item["id"]
        if not isinstance(key, str) or not _ID_RE.fullmatch(key):
            raise RejectedInput(400, f"{where}: id must be 1-128 characters of A-Z a-z 0-9 _ . : -")
        event["id"] = key
    return event
