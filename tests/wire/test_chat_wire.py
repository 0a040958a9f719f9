"""Chat and presence on the wire: the server's types, the frames that carry them, and
what a frame read back from Redis must hold to be one of them."""

from __future__ import annotations

import pytest

from jupyter_sse.wire.errors import SSEValueError
from jupyter_sse.wire.json_text import dumps, escape_line_ends, loads
from jupyter_sse.wire.names import SERVER_TYPES, check_publishable_type, check_type
from jupyter_sse.wire.server_channels import bus_event_type
from jupyter_sse.wire.sse import EventFrames, check_frame, presence_frame

AUTHOR = {"name": "alice", "display_name": "Alice", "kind": "user"}


def frame(type_: str, data: object, channel: str = "talk") -> bytes:
    return EventFrames(1764000000.5).frame("e1-7", channel, type_, dumps(data))


@pytest.mark.parametrize("type_", sorted(SERVER_TYPES))
def test_publishers_may_not_send_the_servers_types(type_: str) -> None:
    with pytest.raises(SSEValueError, match="written by the server only"):
        check_publishable_type(type_)
    # Still a valid type name: a webhook may ask for chat messages, say.
    assert check_type(type_) == type_


def test_other_types_stay_publishable() -> None:
    for type_ in ("metric", "chatter", "chat.summary", "presence-ish"):
        assert check_publishable_type(type_) == type_


@pytest.mark.parametrize("type_", ["chat", "chat_edit", "chat_delete"])
def test_a_chat_frame_from_redis_must_carry_a_stamped_author(type_: str) -> None:
    data = {"id": "0123456789abcdef", "text": "hi", "ts": 1.0}
    assert check_frame(frame(type_, data), "talk") is None
    assert check_frame(frame(type_, {**data, "author": {"name": "x"}}), "talk") is None
    assert check_frame(frame(type_, {**data, "author": AUTHOR}), "talk") == ("e1", 7)


def test_presence_never_comes_from_redis() -> None:
    """Each server tells its own streams who watches: a presence frame read back from
    Redis was written by something else."""
    assert check_frame(frame("presence", {"watchers": [], "count": 0}), "talk") is None


def test_a_presence_frame_has_no_id() -> None:
    """It must not move a browser's cursor: presence is not history."""
    raw = presence_frame("talk", 1764000000.25, '{"watchers":[],"count":0}')
    lines = raw.decode().split("\n")
    assert lines[0] == "event: presence"
    assert not any(line.startswith("id:") for line in lines)
    assert raw.endswith(b"\n\n")
    envelope = loads(lines[1].removeprefix("data: "))
    assert envelope == {
        "channel": "talk",
        "type": "presence",
        "ts": 1764000000.25,
        "data": {"watchers": [], "count": 0},
    }


@pytest.mark.parametrize("action", ["chat", "chat_edit", "chat_delete", "presence"])
def test_jupyters_event_bus_never_speaks_as_chat_or_presence(action: str) -> None:
    assert bus_event_type({"action": action}) == "event"


def test_line_ends_that_json_leaves_raw_are_escaped() -> None:
    text = dumps({"text": "a\u2028b\u2029c\u0085d é"})
    escaped = escape_line_ends(text)
    assert escaped == '{"text":"a\\u2028b\\u2029c\\u0085d é"}'
    assert escaped.splitlines() == [escaped]
    assert loads(escaped) == loads(text)
    assert escape_line_ends('{"a":1}') == '{"a":1}'
