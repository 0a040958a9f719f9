"""An SSE parser that follows the WHATWG algorithm to the letter, for property tests.

Not a client: it turns a byte stream into the events a conforming browser would
dispatch, so a test can check that what the server wrote splits exactly as intended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINES = re.compile(r"\r\n|\r|\n")


@dataclass
class SpecEvent:
    type: str
    data: str
    last_event_id: str


def parse(stream: bytes) -> list[SpecEvent]:
    """The events a conforming EventSource dispatches for ``stream`` (UTF-8)."""
    text = stream.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    events: list[SpecEvent] = []
    data: list[str] = []
    event_type = ""
    last_id = ""
    lines = _LINES.split(text)
    # The last piece has no line end yet: an incomplete line is not processed.
    for line in lines[:-1]:
        if line == "":
            if data:
                events.append(SpecEvent(event_type or "message", "\n".join(data), last_id))
            data, event_type = [], ""
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
        elif name == "id" and "\0" not in value:
            last_id = value
    return events
