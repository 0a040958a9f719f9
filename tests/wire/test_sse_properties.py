"""Property-based: whatever it is given, the SSE encoder either refuses or makes a frame
that a spec-following reader splits into exactly the event that was meant."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_sse.wire.json_text import dumps
from jupyter_sse.wire.sse import EventFrames, encode, envelope_json
from tests.support.sse_spec import parse

EXAMPLES = 2000

# A field value as a publisher might try to smuggle it: anything, line breaks included.
anything = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
line_safe = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\0"), min_size=1, max_size=40
)
json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8")),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.characters(codec="utf-8"), max_size=8), inner, max_size=4
        )
    ),
    max_leaves=20,
)
names = st.from_regex(r"[A-Za-z0-9_.:/-]{1,20}", fullmatch=True)
types = st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True)


@settings(max_examples=EXAMPLES, deadline=None)  # a busy machine is slow, not wrong
@given(data=anything, event=line_safe, id=line_safe)
def test_a_frame_is_read_back_as_exactly_one_event(data: str, event: str, id: str) -> None:
    stream = b"retry: 2000\n\n" + encode(data=data, event=event, id=id) + b": ping\n\n"
    (got,) = parse(stream)
    assert got.type == event
    assert got.last_event_id == id
    # The spec reads CR, LF and CRLF alike as line ends, and joins data lines with LF.
    assert got.data == re.sub(r"\r\n|\r", "\n", data)


@settings(max_examples=EXAMPLES, deadline=None)  # a busy machine is slow, not wrong
@given(
    data=anything,
    field=st.builds(
        lambda a, brk, b: a + brk + b, anything, st.sampled_from(["\r", "\n", "\r\n"]), anything
    ),
)
def test_a_line_break_in_id_or_event_is_refused_never_split(data: str, field: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        encode(data=data, event=field)
    with pytest.raises(ValueError, match=r"line break|NUL"):
        encode(data=data, id=field)


@settings(max_examples=EXAMPLES, deadline=None)  # a busy machine is slow, not wrong
@given(value=json_values, channel=names, type_=types, seq=st.integers(0, 10**12))
def test_an_event_round_trips_through_its_frame(
    value: Any, channel: str, type_: str, seq: int
) -> None:
    data_json = dumps(value)
    cursor = f"e1-{seq}"
    frame = EventFrames(1764000000.25).frame(cursor, channel, type_, data_json)
    assert frame == encode(
        id=cursor, event=type_, data=envelope_json(channel, type_, 1764000000.25, data_json)
    )
    (got,) = parse(frame)
    assert (got.type, got.last_event_id) == (type_, cursor)
    envelope = json.loads(got.data)
    assert envelope == {"channel": channel, "type": type_, "ts": 1764000000.25, "data": value}
