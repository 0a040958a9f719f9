"""``ChannelState``: what a snapshot carries, built from the events of a channel."""

from __future__ import annotations

from typing import Any

from jupyter_sse.server.broker.state import ChannelState, with_presence
from jupyter_sse.wire.bounds import SNAPSHOT_LOG_LINES, SNAPSHOT_METRIC_POINTS
from jupyter_sse.wire.json_text import dumps, loads


def test_snapshot_json_is_the_snapshot_as_json() -> None:
    state = ChannelState()
    events: list[tuple[str, Any, float]] = [
        ("progress", {"key": "a", "value": 1}, 1.0),
        ("metric", {"values": {"loss": 0.5}, "step": 1}, 1764000000.123456789),
        ("metric", {"values": {"loss": 0.25}}, 1764000000.123456789),
        ("log", {"text": "héllo\nworld", "level": "info"}, 2.5),
        ("table", {"table": "runs", "row": {"lr": 0.1}}, 3.0),
        ("status", {"key": "phase", "value": "train"}, 3.0),
        ("custom", [1, 2], 3.0),
    ]
    for type_, data, ts in events:
        state.apply(type_, data, ts, dumps(data))
    assert state.snapshot() == {
        "progress": {"a": {"key": "a", "value": 1}},
        "status": {"phase": {"key": "phase", "value": "train"}},
        "metric": [
            {"ts": 1764000000.123456789, "values": {"loss": 0.5}, "step": 1},
            {"ts": 1764000000.123456789, "values": {"loss": 0.25}},
        ],
        "table": {"runs": [{"lr": 0.1}]},
        "log": [{"ts": 2.5, "text": "héllo\nworld", "level": "info"}],
        "other": {"custom": [1, 2]},
    }
    assert state.snapshot_json() == dumps(state.snapshot())
    assert ChannelState().snapshot_json() == "{}"


def test_a_ts_in_the_data_wins_as_it_always_did() -> None:
    """{"ts": ts, **data}: a data field named ts replaces the publish time."""
    state = ChannelState()
    state.apply("log", {"text": "x", "ts": 5}, 1.0, '{"text":"x","ts":5}')
    state.apply("metric", {"values": {"x": 1}}, 2.0)  # data_json is optional
    assert state.snapshot_json() == (
        '{"metric":[{"ts":2.0,"values":{"x":1}}],"log":[{"ts":5,"text":"x"}]}'
    )


def test_points_and_lines_are_bounded() -> None:
    state = ChannelState()
    for i in range(SNAPSHOT_METRIC_POINTS + 5):
        state.apply("metric", {"values": {"i": i}}, float(i), dumps({"values": {"i": i}}))
    for i in range(SNAPSHOT_LOG_LINES + 5):
        state.apply("log", {"text": str(i)}, float(i), dumps({"text": str(i)}))
    snapshot = loads(state.snapshot_json())
    assert [p["values"]["i"] for p in snapshot["metric"]] == list(
        range(5, SNAPSHOT_METRIC_POINTS + 5)
    )
    assert [line["text"] for line in snapshot["log"]] == [
        str(i) for i in range(5, SNAPSHOT_LOG_LINES + 5)
    ]


def test_the_state_stays_within_snapshot_bytes_and_keeps_the_newest() -> None:
    """A channel's state was bounded in items only: 1000 statuses of 256 KB each."""
    state = ChannelState(limit=20_000)
    for i in range(200):
        state.apply("metric", {"values": {"i": i}}, float(i), dumps({"values": {"i": i}}))
    for i in range(50):
        data = {"key": f"k{i}", "value": "v" * 1000}
        state.apply("status", data, 1.0, dumps(data))
    for i in range(30):
        data = {"table": "t", "row": {"n": i, "pad": "p" * 500}}
        state.apply("table", data, 1.0, dumps(data))
    text = state.snapshot_json()
    assert len(text.encode()) <= 20_000
    assert state.bytes <= 20_000
    snapshot = loads(text)
    # The newest of every kind is still there; the oldest went first.
    assert snapshot["metric"][-1]["values"]["i"] == 199
    assert "k49" in snapshot["status"]
    assert "k0" not in snapshot["status"]
    assert snapshot["table"]["t"][-1]["n"] == 29
    assert state.snapshot_json() is text  # unchanged state: one shared string


def test_an_item_larger_than_the_whole_bound_is_not_kept() -> None:
    state = ChannelState(limit=1000)
    state.apply("custom", "x" * 5000, 1.0, dumps("x" * 5000))
    state.apply("status", {"key": "a", "value": 1}, 1.0, '{"key":"a","value":1}')
    assert state.snapshot() == {"status": {"a": {"key": "a", "value": 1}}}


def chat(state: ChannelState, message_id: str, text: str, ts: float = 1.0) -> None:
    data = {"id": message_id, "author": {"name": "a", "display_name": "A", "kind": "user"}}
    state.apply("chat", {**data, "text": text, "ts": ts}, ts)


def texts(state: ChannelState) -> list[tuple[str, str]]:
    return [(m["id"], m["text"]) for m in state.snapshot().get("chat", [])]


def test_chat_keeps_the_last_messages_with_edits_and_deletes_applied() -> None:
    state = ChannelState(chat_messages=3)
    for i in range(5):
        chat(state, f"m{i}", f"text {i}")
    assert texts(state) == [("m2", "text 2"), ("m3", "text 3"), ("m4", "text 4")]
    edited = dumps({**state.snapshot()["chat"][0], "text": "fixed", "edited": 9.0})
    state.apply("chat_edit", {"id": "m2", "text": "fixed"}, 9.0, state_json=edited)
    state.apply("chat_delete", {"id": "m3"}, 10.0)
    # An edit keeps the message's place; a delete drops it.
    assert texts(state) == [("m2", "fixed"), ("m4", "text 4")]
    assert state.snapshot()["chat"][0]["edited"] == 9.0
    # Neither brings back a message that is no longer kept.
    state.apply("chat_edit", {"id": "m0", "text": "late"}, 11.0, state_json='{"id":"m0"}')
    state.apply("chat_delete", {"id": "m0"}, 11.0)
    assert texts(state) == [("m2", "fixed"), ("m4", "text 4")]
    # Presence is never state: each snapshot gets it as it is when sent.
    state.apply("presence", {"watchers": [], "count": 0}, 12.0)
    assert set(state.snapshot()) == {"chat"}


def test_chat_counts_against_snapshot_bytes() -> None:
    state = ChannelState(limit=2000, chat_messages=100)
    for i in range(50):
        chat(state, f"m{i:02d}", "x" * 100)
    assert len(state.snapshot_json()) <= 2000
    kept = texts(state)
    assert 0 < len(kept) < 50
    assert kept[-1][0] == "m49"  # the newest stay


def test_from_texts_keeps_chat_as_apply_does() -> None:
    applied = ChannelState(chat_messages=2)
    for i in range(3):
        chat(applied, f"m{i}", f"t{i}")
    pairs = [(m["id"], dumps(m)) for m in applied.snapshot()["chat"]]
    rebuilt = ChannelState.from_texts(1_000_000, chat=pairs, chat_messages=2)
    assert rebuilt.snapshot_json() == applied.snapshot_json()


def test_with_presence_adds_who_watches() -> None:
    presence = '{"watchers":[],"count":0}'
    assert with_presence("{}", presence) == '{"presence":' + presence + "}"
    assert loads(with_presence('{"log":[]}', presence)) == {"log": [], "presence": loads(presence)}
    assert with_presence('{"log":[]}', None) == '{"log":[]}'
