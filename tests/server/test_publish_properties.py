"""Property-based: any publish body is either accepted and arrives exactly as sent, or
refused with a 4xx. Never a 500 (publishers retry those for ever), never a frame that
splits differently from the event that was published."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_sse.server.validate import RejectedInput, parse_publish_body
from jupyter_sse.wire.sse import EventFrames
from tests.support.server import Server
from tests.support.sse_spec import parse

EXAMPLES = 3000  # against the validator in process
SERVER_EXAMPLES = 300  # against a real server, one request each

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
surrogates = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3)
leaf: st.SearchStrategy[Any] = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | text
    | surrogates
)
values: st.SearchStrategy[Any] = st.recursive(
    leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4)
)
channels = st.one_of(st.from_regex(r"[A-Za-z0-9_.:/-]{1,12}", fullmatch=True), text)
event_types = st.one_of(
    st.sampled_from(["progress", "metric", "status", "notify", "table", "log", "reset"]),
    st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True),
    text,
)
events = st.fixed_dictionaries(
    {"channel": channels, "type": event_types, "data": values},
    optional={"id": st.one_of(st.from_regex(r"[A-Za-z0-9_.:-]{1,20}", fullmatch=True), text)},
) | st.dictionaries(text, values, max_size=4)
bodies = st.one_of(
    st.lists(events, max_size=5).map(lambda b: json.dumps(b, allow_nan=True).encode()),
    events.map(lambda e: json.dumps(e, allow_nan=True).encode()),
    st.binary(max_size=200),
    text.map(str.encode),
)


def publishable(body: bytes) -> list[dict[str, Any]] | None:
    """The events the validator accepts from ``body``; None when it refuses with a 4xx
    (any other exception fails the test)."""
    try:
        events = parse_publish_body(body, max_event_bytes=4096, max_request_bytes=1 << 20)
    except RejectedInput as e:
        refused = e.status
    else:
        return [dict(e) for e in events]
    assert refused in (400, 413)
    return None


@settings(max_examples=EXAMPLES, deadline=None)  # a busy machine is slow, not wrong
@given(body=bodies)
def test_any_body_is_accepted_and_round_trips_or_refused_with_a_4xx(body: bytes) -> None:
    accepted = publishable(body)
    if accepted is None:
        return
    frames = EventFrames(1.5)
    for i, event in enumerate(accepted):
        frame = frames.frame(f"e-{i}", event["channel"], event["type"], event["data_json"])
        (got,) = parse(frame)
        assert got.type == event["type"]
        assert json.loads(got.data)["data"] == json.loads(event["data_json"])
        assert json.loads(event["data_json"]) == _plain(event["data"])


def _plain(value: Any) -> Any:
    # What JSON makes of a value: the same, for the values a valid event can hold.
    return json.loads(json.dumps(value))


@settings(
    max_examples=SERVER_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_a_real_server_answers_any_body_with_200_or_a_4xx(
    server: Server, jp_asyncio_loop: asyncio.AbstractEventLoop, body: bytes
) -> None:
    response = jp_asyncio_loop.run_until_complete(server.publish(body))
    assert response.status_code < 500, response.text
    expected = publishable(body)
    if response.status_code == 200:
        assert expected is not None
        assert len(response.json()["ids"]) == len(expected)
    else:
        assert response.status_code in (400, 413, 429), response.text
        assert response.json()["status"] == response.status_code
