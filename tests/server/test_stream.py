"""The event stream as a client sees it: headers, snapshot, live events, resume, reset."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from tests.support.server import Server, wait_for


def metric(channel: str, step: int, **values: float) -> dict[str, Any]:
    return {"channel": channel, "type": "metric", "data": {"step": step, "values": values}}


async def test_headers_retry_and_empty_snapshot(server: Server) -> None:
    async with server.stream("train") as s:
        assert s.response is not None
        assert s.response.status_code == 200
        headers = s.response.headers
        assert headers["content-type"] == "text/event-stream; charset=utf-8"
        assert headers["cache-control"] == "no-cache, no-transform"
        assert headers["x-accel-buffering"] == "no"
        snap = await s.next()
        assert s.retry == 2000
        assert s.lines[0] == "retry: 2000"
        assert snap.event == "snapshot"
        assert snap.envelope["channel"] == "train"
        # Nothing published yet: only who watches (this stream's own user).
        assert list(snap.envelope["data"]) == ["presence"]
        assert snap.envelope["data"]["presence"]["count"] == 1
        assert snap.id


@pytest.mark.parametrize("sse_config", [{"heartbeat_interval": 0.1}])
async def test_heartbeat_comments(server: Server) -> None:
    async with server.stream("idle") as s:
        await s.next()
        await wait_for(lambda: s.comments.count("ping") >= 2, what="two heartbeats")


async def test_live_events_in_order_with_envelope(server: Server) -> None:
    async with server.stream("train") as s:
        await s.next()  # snapshot
        ids = await server.publish_ok(*(metric("train", i, loss=1 / (i + 1)) for i in range(5)))
        events = await s.take(5)
        assert [e.id for e in events] == ids
        assert [e.event for e in events] == ["metric"] * 5
        env = events[2].envelope
        assert env["channel"] == "train"
        assert env["type"] == "metric"
        assert env["data"] == {"step": 2, "values": {"loss": 1 / 3}}
        assert isinstance(env["ts"], float)
        assert len(set(ids)) == 5


async def test_several_channels_and_patterns_on_one_connection(server: Server) -> None:
    async with server.stream("a", "train/*") as s:
        await s.next()  # snapshot of "a" (named channels always get one)
        await server.publish_ok(
            metric("a", 1, x=1),
            metric("b", 1, x=2),  # not subscribed
            metric("train/run-1", 1, x=3),
            metric("train/run-2", 1, x=4),
            metric("trainee", 1, x=5),  # prefix "train/" does not cover it
        )
        events = await s.take(3)
        assert [e.envelope["channel"] for e in events] == ["a", "train/run-1", "train/run-2"]
        assert await s.no_event()


async def test_overlapping_subscriptions_deliver_once(server: Server) -> None:
    async with server.stream("train/*", "train/run-1", "*") as s:
        await s.next()
        await server.publish_ok(metric("train/run-1", 1, x=1))
        (event,) = await s.take(1)
        assert event.envelope["channel"] == "train/run-1"
        assert await s.no_event()


async def test_snapshot_on_connect_shows_latest_state(server: Server) -> None:
    await server.publish_ok(
        {"channel": "job", "type": "progress", "data": {"key": "epoch", "value": 1, "total": 10}},
        {"channel": "job", "type": "progress", "data": {"key": "epoch", "value": 7, "total": 10}},
        {"channel": "job", "type": "status", "data": {"key": "phase", "value": "training"}},
        metric("job", 1, loss=0.9),
        metric("job", 2, loss=0.5),
        {"channel": "job", "type": "table", "data": {"table": "runs", "row": {"lr": 0.1}}},
        {"channel": "job", "type": "notify", "data": {"message": "old toast"}},
        {"channel": "job", "type": "custom.thing", "data": [1, 2, 3]},
    )
    async with server.stream("job") as s:
        snap = await s.next()
        assert snap.event == "snapshot"
        state = snap.envelope["data"]
        assert state["progress"] == {"epoch": {"key": "epoch", "value": 7, "total": 10}}
        assert state["status"]["phase"]["value"] == "training"
        assert [m["values"]["loss"] for m in state["metric"]] == [0.9, 0.5]
        assert state["table"] == {"runs": [{"lr": 0.1}]}
        assert state["other"] == {"custom.thing": [1, 2, 3]}
        assert "notify" not in state  # a toast is an event, not state


async def test_pattern_snapshot_has_one_event_per_known_channel(server: Server) -> None:
    await server.publish_ok(
        metric("train/a", 1, x=1), metric("train/b", 1, x=1), metric("c", 1, x=1)
    )
    async with server.stream("train/*") as s:
        snaps = await s.take(2)
        assert {e.envelope["channel"] for e in snaps} == {"train/a", "train/b"}
        assert all(e.event == "snapshot" for e in snaps)
        assert await s.no_event()


async def test_resume_is_gap_free_and_duplicate_free(server: Server) -> None:
    """A dropped connection resumes from its last id: every missed event once, then live."""
    async with server.stream("a", "b") as s:
        await s.take(2)  # snapshots
        await server.publish_ok(metric("a", 1, x=1), metric("b", 1, x=1))
        seen = await s.take(2)
    cursor = seen[-1].id
    assert cursor is not None
    missed = await server.publish_ok(
        metric("a", 2, x=2), metric("c", 2, x=2), metric("b", 2, x=2), metric("a", 3, x=3)
    )
    async with server.stream("a", "b", headers={"Last-Event-ID": cursor}) as s:
        replay = await s.take(3)
        assert [e.id for e in replay] == [missed[0], missed[2], missed[3]]
        assert [e.event for e in replay] == ["metric"] * 3
        live = await server.publish_ok(metric("b", 3, x=3))
        (event,) = await s.take(1)
        assert event.id == live[0]
        assert await s.no_event()


async def test_resume_by_query_parameter_and_header_wins(server: Server) -> None:
    async with server.stream("a") as s:
        snap = await s.next()
    first = await server.publish_ok(metric("a", 1, x=1))
    second = await server.publish_ok(metric("a", 2, x=2))
    async with server.stream("a", last_event_id=snap.id or "") as s:
        assert [e.id for e in await s.take(2)] == first + second
    # A browser reconnecting by itself sends the header with the original URL.
    async with server.stream(
        "a", headers={"Last-Event-ID": first[0]}, last_event_id=snap.id or ""
    ) as s:
        assert [e.id for e in await s.take(1)] == second
        assert await s.no_event()


@pytest.mark.parametrize("sse_config", [{"history_size": 3}])
async def test_reset_when_cursor_is_older_than_history(server: Server) -> None:
    async with server.stream("a") as s:
        await s.next()
        (first,) = await server.publish_ok(metric("a", 0, x=0))
        await s.next()
    await server.publish_ok(*(metric("a", i, x=i) for i in range(1, 6)))
    async with server.stream("a", headers={"Last-Event-ID": first}) as s:
        reset = await s.next()
        assert reset.event == "reset"
        assert reset.id is None
        assert "history" in reset.envelope["data"]["reason"]
        snap = await s.next()
        assert snap.event == "snapshot"
        assert [m["step"] for m in snap.envelope["data"]["metric"]] == [0, 1, 2, 3, 4, 5]
        # The snapshot's id is a valid cursor: resuming from it replays nothing.
    async with server.stream("a", headers={"Last-Event-ID": snap.id or ""}) as s:
        assert await s.no_event()


@pytest.mark.parametrize("cursor", ["garbage", "00000000-5", "-1", "x" * 200])
async def test_reset_for_foreign_or_malformed_cursor(server: Server, cursor: str) -> None:
    await server.publish_ok(metric("a", 1, x=1))
    async with server.stream("a", headers={"Last-Event-ID": cursor}) as s:
        assert (await s.next()).event == "reset"
        assert (await s.next()).event == "snapshot"


async def test_disconnect_removes_subscription_at_once(server: Server) -> None:
    readers = [server.stream("room") for _ in range(5)]
    for r in readers:
        await r.__aenter__()
        await r.next()
    await server.publish_ok(metric("room", 1, x=1))
    assert (await server.channels())["room"]["subscribers"] == 5
    for r in readers:
        await r.close()

    async def subscribers() -> bool:
        return (await server.channels())["room"]["subscribers"] == 0

    # No event is published meanwhile: the server must notice the close itself.
    await wait_for(subscribers, timeout=2.0, what="subscribers back to 0")
    assert len(server.app.services.connections) == 0


async def test_stream_validation_errors(server: Server) -> None:
    cases = {
        "no channel": [],
        "bad name": [("channel", "has space")],
        "bad pattern": [("channel", "a*b")],
        "too many": [("channel", f"c{i}") for i in range(65)],
    }
    for what, params in cases.items():
        r = await server.get("sse/stream", params=params, headers=server.auth)
        assert r.status_code == 400, what
        assert r.headers["content-type"] == "application/json"
        assert r.json()["status"] == 400
        assert r.json()["error"], what


@pytest.mark.parametrize("sse_config", [{"max_connections_per_user": 2}])
async def test_per_user_connection_limit(server: Server) -> None:
    async with server.stream("a") as s1, server.stream("a") as s2:
        await s1.next()
        await s2.next()
        r = await server.get("sse/stream", params={"channel": "a"}, headers=server.auth)
        assert r.status_code == 429
        assert "per user" in r.json()["error"]
    async with server.stream("a") as s3:  # slots are given back when streams end
        assert (await s3.next()).event == "snapshot"


@pytest.mark.parametrize("sse_config", [{"history_size": 3000, "client_buffer_bytes": 65536}])
async def test_resume_larger_than_client_buffer(server: Server) -> None:
    """A replay bigger than the send buffer was cut as a slow client, again on every retry."""
    async with server.stream("big") as s:
        snap = await s.next()
    events = [metric("big", i, x=i) for i in range(1000)]
    ids = [i for chunk in range(0, 2000, 1000) for i in await server.publish_ok(*events)]
    async with server.stream("big", headers={"Last-Event-ID": snap.id or ""}) as s:
        replay = await s.take(2000, timeout=10)
    assert [e.id for e in replay] == ids


async def test_an_open_stream_leaves_no_request_for_the_cyclic_collector(server: Server) -> None:
    """Once a stream has its socket, its handler and request are freed at once (by
    reference counting), not left in a cycle for a full collection to find: a wave of
    viewers must not become a wave of collector pauses while events flow. With Redis,
    the timeout timer of each command the subscription ran (kept by the loop until due,
    even once cancelled) held the request's context, and with it the handler; and the
    request that started the server's services kept its context in their tasks for the
    life of the server."""
    from jupyter_sse.server.handlers import StreamHandler

    def handlers() -> set[int]:
        return {id(o) for o in gc.get_objects() if type(o) is StreamHandler}

    gc.collect()
    before = handlers()
    gc.disable()
    try:
        async with server.stream("gc") as s, server.stream("gc") as t:
            await s.next()
            await t.next()
            # The second request may still be returning from its handler.
            await wait_for(lambda: not handlers() - before, what="both requests freed")
            await server.publish_ok(metric("gc", 1, loss=0.5))
            assert (await s.next()).event == "metric"
            assert (await t.next()).event == "metric"
    finally:
        gc.enable()
