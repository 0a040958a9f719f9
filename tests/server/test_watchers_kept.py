"""What ``WatcherBoard`` keeps worked out per channel always says what working it out
from everyone would say, whatever comes and goes in whatever order."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_sse.server.chat.watchers import WatcherBoard
from jupyter_sse.wire.events import Author

PEOPLE: list[Author] = [
    {"name": n, "display_name": n.title(), "kind": k}
    for n, k in [("ann", "user"), ("bob", "user"), ("viewer:1", "viewer"), ("viewer:2", "viewer")]
]
PATTERNS = [["talk"], ["train/*"], ["talk", "train/a"], ["*"], ["train/b"]]
CHANNELS = ["talk", "train/a", "train/b", "other"]

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.integers(0, 7),  # stream
            st.integers(0, len(PEOPLE) - 1),
            st.integers(0, len(PATTERNS) - 1),
            st.integers(-2, 5),  # time step: mostly forward, now and then back
        ),
        st.tuples(st.just("remove"), st.integers(0, 7)),
        st.tuples(st.just("ask"), st.integers(0, len(CHANNELS) - 1)),
        # The same on another server, whose entry this one then reads.
        st.tuples(
            st.just("elsewhere"),
            st.integers(0, 3),
            st.integers(0, len(PEOPLE) - 1),
            st.integers(0, len(PATTERNS) - 1),
            st.integers(-2, 5),
        ),
        st.tuples(st.just("gone elsewhere"), st.integers(0, 3)),
        st.tuples(st.just("lost the others")),
    ),
    max_size=60,
)


def worked_out(board: WatcherBoard, channel: str) -> dict[str, object]:
    watchers = board.watchers(channel)
    return {"watchers": watchers[: board.max_watchers], "count": len(watchers)}


@settings(deadline=None, max_examples=300)
@given(steps, st.integers(1, 3))
def test_kept_presence_is_what_everyone_says(plan: list[tuple[object, ...]], most: int) -> None:
    board, other = WatcherBoard(max_watchers=most), WatcherBoard(max_watchers=most)
    now = 1000.0
    for step in plan:
        if step[0] in ("add", "elsewhere"):
            _, stream, person, patterns, dt = step
            now += float(dt)  # type: ignore[arg-type]
            where = board if step[0] == "add" else other
            where.add(stream, PEOPLE[person], PATTERNS[patterns], now)  # type: ignore[index]
            if where is other:
                board.set_remote(0, {"other": other.entry(0)})
        elif step[0] == "remove":
            board.remove(step[1])  # type: ignore[arg-type]
        elif step[0] == "gone elsewhere":
            other.remove(step[1])  # type: ignore[arg-type]
            board.set_remote(0, {"other": other.entry(0)})
        elif step[0] == "lost the others":
            board.clear_remote()
        else:
            channel = CHANNELS[step[1]]  # type: ignore[index]
            assert json.loads(board.presence_json(channel)) == worked_out(board, channel)
        for channel in CHANNELS:
            assert board.count(channel) == len(board.watchers(channel))


def test_a_crowd_arriving_one_by_one_is_counted_and_shown_in_order() -> None:
    """The snapshots of 5,000 people arriving one by one: each asks who watches, and the
    answer is kept up to date rather than worked out from everyone each time."""
    board = WatcherBoard(max_watchers=50)
    for i in range(5000):
        board.add(i, {"name": f"u{i}", "display_name": f"U{i}", "kind": "user"}, ["talk"], i)
        assert board.count("talk") == i + 1
    shown = json.loads(board.presence_json("talk"))
    assert shown["count"] == 5000
    assert [w["name"] for w in shown["watchers"]] == [f"u{i}" for i in range(50)]
