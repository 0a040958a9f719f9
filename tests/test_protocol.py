"""The SSE encoder, byte for byte, and the name rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jupyter_sse.errors import SSEValueError
from jupyter_sse.protocol import (
    PING,
    EventFrames,
    check_channel,
    check_data,
    check_pattern,
    check_type,
    dumps,
    encode,
    encode_retry,
    envelope_json,
    loads,
    scope_covers,
)


def test_encode_full_event() -> None:
    assert encode(data='{"a":1}', event="metric", id="e-7") == (
        b'id: e-7\nevent: metric\ndata: {"a":1}\n\n'
    )


def test_encode_multiline_data_gets_one_data_line_each() -> None:
    assert encode(data="one\ntwo\r\nthree\rfour") == (
        b"data: one\ndata: two\ndata: three\ndata: four\n\n"
    )


def test_retry_and_ping() -> None:
    assert encode_retry(2000) == b"retry: 2000\n\n"
    assert PING == b": ping\n\n"


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "x\r\nevent: evil"])
def test_line_break_in_id_or_event_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        encode(data="{}", id=bad)
    with pytest.raises(ValueError, match="line break"):
        encode(data="{}", event=bad)


def test_nul_in_id_is_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        encode(data="{}", id="a\0b")


def test_json_data_never_spans_lines() -> None:
    """Newlines inside string values are escaped by JSON, so an envelope is one data line."""
    data = dumps({"text": "line1\nline2\r\ndata: injected\u2028"})
    frame = encode(data=envelope_json("c", "log", 1.5, data), event="log", id="1")
    assert frame.count(b"\n") == 4
    assert [line[:5] for line in frame.split(b"\n")] == [b"id: 1", b"event", b"data:", b"", b""]


def test_envelope_json_round_trips() -> None:
    text = envelope_json("train/1", "metric", 1764000000.123456789, dumps({"values": {"x": 1}}))
    assert loads(text) == {
        "channel": "train/1",
        "type": "metric",
        "ts": 1764000000.123457,
        "data": {"values": {"x": 1}},
    }


@pytest.mark.parametrize("name", ["a", "train/run-1", "A_b.c:d/e-f", "x" * 128])
def test_valid_channels(name: str) -> None:
    assert check_channel(name) == name


@pytest.mark.parametrize("name", ["", "x" * 129, "has space", "new\nline", "star*", 5, None])
def test_invalid_channels(name: object) -> None:
    with pytest.raises(SSEValueError, match="invalid channel"):
        check_channel(name)


@pytest.mark.parametrize("name", ["snapshot", "reset", "error"])
def test_control_types_are_reserved(name: str) -> None:
    with pytest.raises(SSEValueError, match="reserved"):
        check_type(name)


def test_patterns() -> None:
    assert check_pattern("train/*") == "train/*"
    assert check_pattern("*") == "*"
    for bad in ["a*b", "**", "tr ain/*"]:
        with pytest.raises(SSEValueError):
            check_pattern(bad)


def test_scope_covers() -> None:
    assert scope_covers(["train/*"], "train/run-1")
    assert scope_covers(["train/*"], "train/x/*")
    assert not scope_covers(["train/*"], "*")
    assert not scope_covers(["train/run-1"], "train/*")
    assert scope_covers(["a", "b"], "b")


def test_nan_is_not_json() -> None:
    with pytest.raises(SSEValueError, match="JSON"):
        dumps({"x": float("nan")})
    with pytest.raises(SSEValueError, match="NaN"):
        loads('{"x": NaN}')


@pytest.mark.parametrize(
    ("type_", "data", "message"),
    [
        ("progress", {"value": 1}, "key"),
        ("progress", {"key": "a", "value": "1"}, "value"),
        ("progress", {"key": "a", "value": True}, "value"),
        ("progress", {"key": "a", "value": 1, "total": "10"}, "total"),
        ("metric", {"values": {}}, "values"),
        ("metric", {"values": {"loss": "high"}}, "loss"),
        ("status", {"key": "a", "value": 1, "variant": "purple"}, "variant"),
        ("notify", {"title": "no message"}, "message"),
        ("table", {"table": "t", "row": [1]}, "row"),
        ("log", {"text": 1}, "text"),
        ("notify", ["not", "an", "object"], "object"),
    ],
)
def test_builtin_shapes_are_checked(type_: str, data: object, message: str) -> None:
    with pytest.raises(SSEValueError, match=message):
        check_data(type_, data)


def test_custom_types_carry_any_json() -> None:
    check_data("my.type", [1, "two", None])


def test_a_huge_integer_is_not_a_finite_number() -> None:
    """An integer beyond the float range raised OverflowError (a 500 on the server)."""
    with pytest.raises(SSEValueError, match="finite number"):
        check_data("metric", {"values": {"x": 10**400}})
    with pytest.raises(SSEValueError, match="value"):
        check_data("progress", {"key": "a", "value": -(10**400)})
    check_data("metric", {"values": {"x": 10**300, "y": 1.5}, "step": 2})


def test_a_self_containing_value_is_refused() -> None:
    data: dict[str, Any] = {}
    data["me"] = data
    with pytest.raises(SSEValueError, match="contains itself"):
        dumps(data)


@pytest.mark.parametrize(
    "value",
    [
        {"values": {"loss": 0.1, 'é"\\': None}, "step": 10**20},
        [1, 2.5, "line\nbreak", True, {"1": [None]}],
        {"text": "\u2028", 1: 2, 2.5: "float key", None: "null key"},
        "plain string",
    ],
)
def test_dumps_is_compact_json(value: Any) -> None:
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    assert dumps(value) == expected


@pytest.mark.parametrize(
    ("cursor", "channel", "type_", "data_json"),
    [
        ("e1-7", "train/run-1", "metric", '{"values":{"x":1}}'),
        ("e1-8", "c", "log", '{"text":"é\\n"}'),
        ("e1-9", "c", "custom", '{\n"spread": "over lines"\r\n}'),  # a broker fed by hand
    ],
)
def test_event_frames_are_what_the_encoder_makes(
    cursor: str, channel: str, type_: str, data_json: str
) -> None:
    frames = EventFrames(1764000000.123456789)
    for _ in range(2):  # the second frame of a (channel, type) reuses its head
        assert frames.frame(cursor, channel, type_, data_json) == encode(
            id=cursor,
            event=type_,
            data=envelope_json(channel, type_, 1764000000.123456789, data_json),
        )


def test_event_frames_refuse_what_the_encoder_refuses() -> None:
    frames = EventFrames(1.0)
    with pytest.raises(ValueError, match="line break"):
        frames.frame("1\nevent: x", "c", "t", "{}")
    with pytest.raises(ValueError, match="NUL"):
        frames.frame("1\0", "c", "t", "{}")
    with pytest.raises(ValueError, match="line break"):
        frames.frame("1", "c", "t\r", "{}")
