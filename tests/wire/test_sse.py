"""The SSE encoder, byte for byte: every frame a stream sends is made by ``wire.sse``."""

from __future__ import annotations

import pytest

from jupyter_sse.wire.json_text import dumps, loads
from jupyter_sse.wire.sse import (
    DATA_FIELD_OPEN,
    FRAME_END,
    ID_FIELD,
    PING,
    EventFrames,
    encode,
    encode_retry,
    envelope_json,
    frame_head,
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


def test_the_pieces_the_redis_script_fills_make_the_encoders_frame() -> None:
    """The PUBLISH script only adds the cursor and Redis's time to these pieces."""
    data_json = dumps({"values": {"loss": 0.5}})
    built = ID_FIELD + "e1-3" + frame_head("train/1", "metric") + "1764000000.000100"
    built += DATA_FIELD_OPEN + data_json + FRAME_END
    envelope = '{"channel":"train/1","type":"metric","ts":1764000000.000100,"data":'
    assert built.encode() == encode(id="e1-3", event="metric", data=envelope + data_json + "}")
