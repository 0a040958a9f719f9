"""The Redis broker against a real ``redis-server``: parity with the embedded broker,
key layout, outages, and several Jupyter servers sharing one Redis.

Broker-level tests drive ``RedisBroker`` directly with in-process subscribers; the
server-level ones run real ``jupyter_server`` processes and read their streams over
HTTP, as browsers would.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from redis.crc import key_slot

from jupyter_sse.kernel.publisher import Publisher
from jupyter_sse.kernel.transport import RetryLater
from jupyter_sse.kernel.transport.redis import RedisTransport
from jupyter_sse.server.broker.base import BrokerUnavailable
from jupyter_sse.server.broker.memory import MemoryBroker
from jupyter_sse.wire.events import EventIn
from jupyter_sse.wire.redis_keys import KeyLayout
from jupyter_sse.wire.redis_scripts import PUBLISH, publish_args, publish_keys
from tests.support.brokers import Sink, metric, parse, running
from tests.support.jupyter_servers import Jupyter, start
from tests.support.server import wait_for
from tests.support.sse_client import Event, StreamReader

if TYPE_CHECKING:
    from tests.support.redis_server import RedisServer

# The fixtures come from this plugin; importing it here instead would keep pytest from
# rewriting its asserts.


# --- helpers ------------------------------------------------------------------------


def publish_raw(server: RedisServer, events: list[EventIn], *, kill_pubsub: bool) -> None:
    """Publish with the broker's script from a plain client, optionally right after
    killing every pub/sub connection: both in one pipeline, so Redis runs them back to
    back and no reader can re-subscribe in between."""
    keys = KeyLayout()
    with server.client() as r, r.pipeline(transaction=False) as pipe:
        if kill_pubsub:
            pipe.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        pipe.eval(
            PUBLISH,
            len(publish_keys(keys)),
            *publish_keys(keys),
            *publish_args(keys, "feedc0de", events),
        )
        pipe.execute()


# --- parity with the embedded broker --------------------------------------------------

STATE_EVENTS: list[EventIn] = [
    {"channel": "job", "type": "progress", "data": {"key": "a", "value": 1, "total": 10}},
    {"channel": "job", "type": "progress", "data": {"key": "b", "value": 1}},
    {"channel": "job", "type": "progress", "data": {"key": "a", "value": 2, "total": 10}},
    {"channel": "job", "type": "status", "data": {"key": "phase", "value": "train"}},
    {"channel": "job", "type": "log", "data": {"text": "héllo\nworld", "level": "info"}},
    {"channel": "job", "type": "notify", "data": {"message": "a toast is no state"}},
    {"channel": "job", "type": "custom.thing", "data": [1, 2]},
    {"channel": "job", "type": "custom.thing", "data": {"latest": True}},
    {"channel": "job", "type": "other.kind", "data": "text"},
    *[metric("job", i) for i in range(5)],
    *[
        {"channel": "job", "type": "table", "data": {"table": "runs", "row": {"i": i}}}
        for i in range(105)
    ],
    {"channel": "job", "type": "table", "data": {"table": "new", "row": {"ok": None}}},
]


def _without_ts(state: dict[str, Any]) -> dict[str, Any]:
    for key in ("metric", "log"):
        for point in state.get(key, []):
            assert isinstance(point.pop("ts"), float)
    return state


async def test_snapshot_has_the_memory_brokers_shape(redis_server: RedisServer) -> None:
    """Widgets read one snapshot shape; Redis must produce it byte-for-byte in order."""
    memory = MemoryBroker()
    async with running(redis_server.url) as broker:
        for b in (memory, broker):
            await b.publish(STATE_EVENTS)
        snapshots = []
        for b in (memory, broker):
            sink = Sink("job", "empty")
            await b.subscribe(sink, None)
            snapshots.append([(e["data"]["channel"], e["data"]["data"]) for e in sink.events])
    # Snapshot order is not part of the contract (Redis sorts names); the shape is.
    memory_snaps, redis_snaps = (dict(snaps) for snaps in snapshots)
    assert list(redis_snaps) == ["empty", "job"]
    assert redis_snaps["empty"] == memory_snaps["empty"] == {}
    red, mem = _without_ts(redis_snaps["job"]), _without_ts(memory_snaps["job"])
    assert json.dumps(red) == json.dumps(mem)
    assert len(red["table"]["runs"]) == 100


def chat_events() -> list[EventIn]:
    """Six messages, an edit, a delete, and an edit of a message no longer kept."""
    author = {"name": "alice", "display_name": "Alice", "kind": "user"}
    messages = [
        {"id": f"{i:016x}", "author": author, "text": f"message {i}", "ts": 1.0 + i}
        for i in range(6)
    ]
    events: list[EventIn] = [{"channel": "talk", "type": "chat", "data": m} for m in messages]
    edit: EventIn = {"channel": "talk", "type": "chat_edit", "data": {"id": f"{4:016x}"}}
    edit["state_json"] = json.dumps({**messages[4], "text": "edited", "edited": 9.0})
    gone: EventIn = {"channel": "talk", "type": "chat_edit", "data": {"id": f"{0:016x}"}}
    gone["state_json"] = json.dumps({**messages[0], "text": "back from the dead"})
    delete: EventIn = {"channel": "talk", "type": "chat_delete", "data": {"id": f"{3:016x}"}}
    return [*events, edit, gone, delete]


async def test_chat_in_the_snapshot_matches_the_memory_broker(redis_server: RedisServer) -> None:
    """The last messages, edits and deletes applied, in post order: one shape on both."""
    memory = MemoryBroker(chat_messages=4)
    async with running(redis_server.url, chat_messages=4) as broker:
        snapshots = []
        for b in (memory, broker):
            await b.publish(chat_events())
            sink = Sink("talk")
            await b.subscribe(sink, None)
            snapshots.append(sink.events[0]["data"]["data"])
            assert await b.chat_message("talk", f"{4:016x}") is not None
            assert await b.chat_message("talk", f"{3:016x}") is None
    assert snapshots[0] == snapshots[1]
    assert [m["text"] for m in snapshots[1]["chat"]] == ["message 2", "edited", "message 5"]


async def test_resume_and_reset_match_the_memory_broker(redis_server: RedisServer) -> None:
    """History is trimmed exactly: a resume gets reset only if it really missed events."""
    plan = ["a", "b", "a", "b", "a", "a", "a", "b"]
    memory = MemoryBroker(history_size=3)
    async with running(redis_server.url, history_size=3) as broker:
        outcomes = []
        for b in (memory, broker):
            ids = [(await b.publish([metric(c, i)]))[0] for i, c in enumerate(plan)]
            epoch = ids[0].rpartition("-")[0]
            seen = []
            for position in range(len(plan) + 1):
                sink = Sink("a", "b")
                await b.subscribe(sink, f"{epoch}-{position}")
                b.unsubscribe(sink)
                seen.append([(e["event"], e["data"]["data"].get("step")) for e in sink.events])
            outcomes.append(seen)
    assert outcomes[1] == outcomes[0]
    assert outcomes[1][2][0][0] == "reset"  # a's first event (position 1) is gone
    assert outcomes[1][3] == [("metric", i) for i in range(3, 8)]


async def test_history_expires_after_history_ttl(redis_server: RedisServer) -> None:
    async with running(redis_server.url, history_ttl=0.3) as broker:
        sink = Sink("t")
        await broker.subscribe(sink, None)
        before = sink.events[0]["id"]
        (first,) = await broker.publish([metric("t", 1)])
        await asyncio.sleep(0.5)  # the behaviour under test is a duration
        late = Sink("t")
        await broker.subscribe(late, before)
        assert late.events[0]["event"] == "reset"
        assert "history" in late.events[0]["data"]["data"]["reason"]
        caught_up = Sink("t")
        await broker.subscribe(caught_up, first)
        assert caught_up.frames == []  # nothing missed, nothing to replay
        await broker.publish([metric("t", 2)])  # a publish trims what expired
        with redis_server.client() as r:
            assert r.xlen("jupyter_sse:{t}:h") == 1
            assert r.hget("jupyter_sse:{t}:m", "ev") == first.rpartition("-")[2].encode()


# --- layout and fan-out ---------------------------------------------------------------


async def test_one_pubsub_connection_and_one_encoding_per_server(redis_server: RedisServer) -> None:
    """100 streams cost one Redis connection, and an event is encoded once for all."""
    async with running(redis_server.url) as broker:
        sinks = [Sink("room") if i % 2 else Sink("ro*") for i in range(100)]
        for sink in sinks:
            await broker.subscribe(sink, None)
        with redis_server.client() as r:
            clients = r.execute_command("CLIENT", "LIST", "TYPE", "pubsub").decode()
            assert len(clients.strip().splitlines()) == 1
            assert r.execute_command("PUBSUB", "NUMPAT") == 1
        before = [len(s.frames) for s in sinks]  # "room" has a snapshot, "ro*" none yet
        await broker.publish([metric("room", 1)])
        await wait_for(
            lambda: all(len(s.frames) == n + 1 for s, n in zip(sinks, before, strict=True))
        )
        frame = sinks[0].frames[-1]
        assert all(s.frames[-1] is frame for s in sinks)
        # The live frame is the very frame kept in history.
        with redis_server.client() as r:
            ((_, fields),) = r.xrange("jupyter_sse:{room}:h")
        assert fields[b"f"] == frame


async def test_a_batch_is_one_live_message_per_run_of_a_channel(redis_server: RedisServer) -> None:
    """Consecutive events of one channel share a pub/sub message; streams still get every
    event once, in order, across channels."""
    async with running(redis_server.url) as broker:
        sink = Sink("a", "b")
        await broker.subscribe(sink, None)
        steps = [("a", 0), ("a", 1), ("b", 2), ("a", 3), ("a", 4), ("a", 5)]
        with redis_server.client() as r, r.pubsub() as pubsub:
            pubsub.psubscribe(KeyLayout().live_pattern)
            assert pubsub.get_message(timeout=5)["type"] == "psubscribe"  # type: ignore[index]
            await broker.publish([metric(c, i) for c, i in steps])
            runs = []
            while len(runs) < 3:
                message = pubsub.get_message(timeout=5)
                assert message is not None, f"only {len(runs)} live messages"
                runs.append(message["data"].count(b"\n\n"))
        assert runs == [2, 1, 3]
        got = await sink.wait(2 + len(steps))  # a snapshot per channel first
        assert [e["event"] for e in got[:2]] == ["snapshot", "snapshot"]
        assert [(e["data"]["channel"], e["data"]["data"]["step"]) for e in got[2:]] == steps


async def test_keys_are_prefixed_and_hash_tagged_per_channel(redis_server: RedisServer) -> None:
    async with running(redis_server.url, prefix="team1:") as broker:
        await broker.publish(
            [
                {**metric("train/run-1", 1), "id": "k1"},
                {"channel": "train/run-1", "type": "progress", "data": {"key": "e", "value": 1}},
                {"channel": "train/run-1", "type": "table", "data": {"table": "t", "row": {}}},
                {"channel": "train/run-1", "type": "log", "data": {"text": "x"}},
            ]
        )
        with redis_server.client() as r:
            keys = sorted(k.decode() for k in r.keys("*"))
        glob = {k for k in keys if "{" not in k}
        assert glob == {"team1:seq", "team1:epoch", "team1:channels", "team1:config"}
        tagged = [k for k in keys if "{" in k]
        assert len(tagged) >= 8
        assert all(k.startswith("team1:{train/run-1}:") for k in tagged)
        slots = {key_slot(k.encode()) for k in [*tagged, KeyLayout("team1:").live("train/run-1")]}
        assert slots == {key_slot(b"train/run-1")}
        async with running(redis_server.url) as other:  # default prefix: another namespace
            assert await other.channels() == []


# --- outages --------------------------------------------------------------------------


async def test_publish_while_redis_is_down_is_refused_then_recovers(
    redis_server: RedisServer,
) -> None:
    async with running(redis_server.url) as broker:
        sink = Sink("c")
        await broker.subscribe(sink, None)
        redis_server.kill()
        with pytest.raises(BrokerUnavailable, match=f"127.0.0.1:{redis_server.port}"):
            await broker.publish([metric("c", 1)])
        with pytest.raises(BrokerUnavailable):
            await broker.channels()
        await wait_for(lambda: broker.health()["state"] == "degraded", what="degraded")
        assert "unreachable" in broker.health()["reason"]
        redis_server.start()
        await wait_for(lambda: broker.health()["state"] == "ok", what="reconnected")
        # Redis came back empty: the stream is told (a reset, and a new snapshot read once
        # the broker has caught up; a publish before that read is folded into it), then
        # continues.
        events = await sink.wait(3)
        assert [e["event"] for e in events] == ["snapshot", "reset", "snapshot"]
        await broker.publish([metric("c", 2)])
        events = await sink.wait(4)
        assert events[3]["event"] == "metric"
        assert events[3]["data"]["data"]["step"] == 2


async def test_full_redis_refuses_publishes_but_still_serves_streams(
    redis_server: RedisServer,
) -> None:
    """With maxmemory reached (noeviction), a publish is refused whole and retried later;
    streams still open, because reading a snapshot or history writes nothing."""
    async with running(redis_server.url) as broker:
        await broker.publish([metric("m", 1)])
        transport = RedisTransport(redis_server.url)
        with redis_server.client() as r:
            r.config_set("maxmemory-policy", "noeviction")
            r.config_set("maxmemory", "1")
            with pytest.raises(BrokerUnavailable, match="OutOfMemory"):
                await broker.publish([metric("m", 2)])
            with pytest.raises(RetryLater, match="OutOfMemory"):
                await asyncio.to_thread(transport.send, [json.dumps(metric("m", 3)).encode()])
            sink = Sink("m")
            await broker.subscribe(sink, None)
            assert [m["step"] for m in sink.events[0]["data"]["data"]["metric"]] == [1]
            r.config_set("maxmemory", "0")
        await broker.publish([metric("m", 4)])
        assert [e["data"]["data"]["step"] for e in (await sink.wait(2))[1:]] == [4]
        transport.close()


async def test_a_stream_that_leaves_while_redis_is_down_leaves_nothing_behind(
    redis_server: RedisServer,
) -> None:
    async with running(redis_server.url) as broker:
        redis_server.kill()
        await wait_for(lambda: broker.health()["state"] == "degraded", what="degraded")
        waiting = Sink("w")
        await broker.subscribe(waiting, None)  # returns at once: the stream stays open
        assert waiting.frames == []
        assert broker.subscriber_count() == 1
        broker.unsubscribe(waiting)
        assert broker.subscriber_count() == 0
        await wait_for(lambda: not broker._tasks, what="its loader to end")
        redis_server.start()
        await wait_for(lambda: broker.health()["state"] == "ok", what="reconnected")
        assert waiting.frames == []


async def test_catch_up_after_the_pubsub_connection_drops(redis_server: RedisServer) -> None:
    """Events published while the reader was away come from history, once, in order."""
    async with running(redis_server.url) as broker:
        sink = Sink("c", "d")
        await broker.subscribe(sink, None)
        events = [metric("c" if i % 3 else "d", i) for i in range(60)]
        publish_raw(redis_server, events[:30], kill_pubsub=True)
        publish_raw(redis_server, events[30:], kill_pubsub=False)
        got = await sink.wait(2 + 60)
        assert [e["data"]["data"]["step"] for e in got[2:]] == list(range(60))
        assert await broker.publish([metric("c", 60)])
        await sink.wait(63)
        assert len(sink.frames) == 63


async def test_events_evicted_while_disconnected_reset_the_stream(
    redis_server: RedisServer,
) -> None:
    async with running(redis_server.url, history_size=5) as broker:
        quiet, busy = Sink("quiet"), Sink("busy")
        for sink in (quiet, busy):
            await broker.subscribe(sink, None)
        publish_raw(redis_server, [metric("busy", i) for i in range(20)], kill_pubsub=True)
        reset, snapshot = (await busy.wait(3))[1:]
        assert reset["event"] == "reset"
        assert "history of 'busy'" in reset["data"]["data"]["reason"]
        assert [m["step"] for m in snapshot["data"]["data"]["metric"]] == list(range(20))
        await broker.publish([metric("quiet", 1), metric("busy", 20)])
        assert (await busy.wait(4))[3]["data"]["data"]["step"] == 20
        assert [e["event"] for e in await quiet.wait(2)] == ["snapshot", "metric"]


def _position(cursor: str) -> int:
    return int(cursor.rpartition("-")[2])


async def test_subscribing_during_a_flood_has_no_gap_and_no_duplicate(
    redis_server: RedisServer,
) -> None:
    """Streams that start (fresh or resuming) while events pour in, and while the pub/sub
    connection is cut twice, each get exactly the events after their start, in order."""
    async with running(redis_server.url) as broker, running(redis_server.url) as publisher:
        published: list[tuple[int, str]] = []
        epochs: set[str] = set()
        done = asyncio.Event()

        async def flood() -> None:
            step = 0
            while not done.is_set():
                batch = [metric(c, step) for c in ("fa", "fb", "fc")]
                ids = await publisher.publish(batch)
                published.extend(
                    (_position(i), e["channel"]) for i, e in zip(ids, batch, strict=True)
                )
                epochs.add(ids[0].rpartition("-")[0])
                step += 1

        task = asyncio.create_task(flood())
        await wait_for(lambda: len(published) > 30, what="a first flood")
        (epoch,) = epochs
        starts: list[tuple[Sink, int | None]] = []
        for k in range(40):
            if k in (10, 25):
                with redis_server.client() as r:
                    r.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
            after = published[-1 - k % 7][0] if k % 2 else None
            sink = Sink("fa", "f*") if k % 3 else Sink("fb")
            cursor = None if after is None else f"{epoch}-{after}"
            await broker.subscribe(sink, cursor)
            starts.append((sink, after))
            await asyncio.sleep(0.005)
        done.set()
        await task
        assert epochs == {epoch}
        last = published[-1][0]
        for sink, after in starts:
            names = {"fa", "fb", "fc"} if "f*" in sink.patterns else set(sink.patterns)
            newest = max(p for p, c in published if c in names)
            await wait_for(
                lambda s=sink, n=newest: s.frames and _position(parse(s.frames[-1])["id"]) >= n,
                what=f"{sink.patterns} to reach {newest} (last {last})",
            )
            events = sink.events
            if after is None:  # snapshots first, all at one position
                snaps = [e for e in events if e["event"] == "snapshot"]
                assert len({e["id"] for e in snaps}) == 1
                after = _position(snaps[0]["id"])
                events = events[len(snaps) :]
            got = [_position(e["id"]) for e in events]
            assert all(e["event"] == "metric" for e in events)
            assert got == [p for p, c in published if p > after and c in names]


# --- publishing straight to Redis -------------------------------------------------------


async def test_transport_publishes_straight_to_redis(redis_server: RedisServer) -> None:
    async with running(redis_server.url) as broker:
        sink = Sink("k")
        await broker.subscribe(sink, None)
        transport = RedisTransport(redis_server.url)
        batch = [
            json.dumps({**metric("k", i), "id": f"p-{i}"}, separators=(",", ":")).encode()
            for i in range(3)
        ]
        ids = await asyncio.to_thread(transport.send, batch)
        assert len(set(ids)) == 3
        events = await sink.wait(4)
        assert [e["id"] for e in events[1:]] == ids
        # A batch retried after a lost answer is not published twice.
        assert await asyncio.to_thread(transport.send, batch) == ids
        assert (await broker.channels())[0]["events"] == 3
        redis_server.kill()
        with pytest.raises(RetryLater, match="unreachable"):
            await asyncio.to_thread(transport.send, batch)
        transport.close()
    assert "secret" not in RedisTransport("redis://:secret@127.0.0.1:1/0").description


# --- several Jupyter servers ------------------------------------------------------------


async def events_of(stream: StreamReader, n: int, timeout: float = 10.0) -> list[Event]:
    return await stream.take(n, timeout)


async def test_two_servers_share_one_redis(
    redis_server: RedisServer, servers: list[Jupyter], tmp_path: Path
) -> None:
    """An event published through either server reaches the streams of both, once."""
    a, b = await start(servers, tmp_path, redis_server.url, 2)
    async with a.stream("shared/*") as on_a, b.stream("shared/*") as on_b:
        sent = []
        for i in range(10):
            via = a if i % 2 else b
            sent += await via.publish(metric(f"shared/{i % 3}", i))
        for stream in (on_a, on_b):
            got = await events_of(stream, 10)
            assert [e.id for e in got] == sent
            assert await stream.no_event()
        channels = {
            row["channel"]: row for row in (await a.client.get(a.base + "sse/channels")).json()
        }
        assert channels["shared/0"]["events"] == 4
        assert channels["shared/0"]["subscribers"] == 1  # this server's own streams


async def test_resume_on_another_server(
    redis_server: RedisServer, servers: list[Jupyter], tmp_path: Path
) -> None:
    """A client that loses server A resumes on server B: the gap, then live, no duplicate."""
    a, b = await start(servers, tmp_path, redis_server.url, 2)
    async with a.stream("r/x", "r/y") as s:
        await s.take(2)  # snapshots
        seen = await a.publish(metric("r/x", 1), metric("r/y", 2))
        assert [e.id for e in await s.take(2)] == seen
    missed = await a.publish(metric("r/x", 3), metric("r/z", 4), metric("r/y", 5))
    async with b.stream("r/x", "r/y", cursor=seen[-1]) as s:
        assert [e.id for e in await s.take(2)] == [missed[0], missed[2]]
        live = await a.publish(metric("r/y", 6))
        assert [e.id for e in await s.take(1)] == live
        assert await s.no_event()


async def test_redis_restart_with_aof_loses_nothing(
    redis_server_aof: RedisServer, servers: list[Jupyter], tmp_path: Path
) -> None:
    """Redis is killed and restarted in the middle of 1,200 events from three publishers:
    every stream on both servers gets every event once, in order per channel."""
    url = redis_server_aof.url
    a, b = await start(servers, tmp_path, url, 2)
    per_publisher = 400
    refused = 0

    async def http_publisher(via: Jupyter, channel: str) -> None:
        nonlocal refused
        for i in range(per_publisher):
            event = {**metric(channel, i), "id": f"{channel[-1]}-{i}"}
            while True:  # what a publisher does: retry the same event on 503
                try:
                    r = await via.client.post(via.base + "sse/publish", content=json.dumps(event))
                    if r.status_code == 200:
                        break
                    assert r.status_code == 503, r.text
                except httpx.TransportError:
                    pass
                refused += 1
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.002)  # a steady rate

    def kernel_publisher() -> None:
        # The kernel side: straight to Redis, batched and retried by the real publisher.
        with Publisher(transport=RedisTransport(url), linger=0.005) as pub:
            for i in range(per_publisher):
                pub.publish("load/k", "metric", {"step": i, "values": {"x": i}})
                time.sleep(0.005)  # a steady rate
            pub.flush(60)

    async with a.stream("load/*") as on_a, b.stream("load/*") as on_b:
        publishers = asyncio.gather(
            http_publisher(a, "load/a"),
            http_publisher(b, "load/b"),
            asyncio.to_thread(kernel_publisher),
        )
        await wait_for(lambda: on_a.events.qsize() > 300, timeout=30, what="300 events")
        redis_server_aof.kill()
        await wait_for(lambda: refused >= 3, timeout=10, what="publishers to see the outage")
        redis_server_aof.start()
        await asyncio.wait_for(publishers, 120)
        for stream in (on_a, on_b):
            got = await events_of(stream, 3 * per_publisher, timeout=30)
            assert await stream.no_event()
            assert all(e.event == "metric" for e in got), {e.event for e in got}
            steps: dict[str, list[int]] = {}
            for e in got:
                steps.setdefault(e.envelope["channel"], []).append(e.envelope["data"]["step"])
            expected = list(range(per_publisher))
            assert steps == {"load/a": expected, "load/b": expected, "load/k": expected}


async def test_redis_restart_without_persistence_resets_streams(
    redis_server: RedisServer, servers: list[Jupyter], tmp_path: Path
) -> None:
    (a,) = await start(servers, tmp_path, redis_server.url, 1)
    async with a.stream("np") as s:
        await s.next()
        (old,) = await a.publish(metric("np", 1))
        await s.next()
        redis_server.restart()
        reset, snapshot = await s.take(2, timeout=10)
        assert reset.event == "reset"
        assert "lost its data" in reset.envelope["data"]["reason"]
        assert snapshot.event == "snapshot"
        assert list(snapshot.envelope["data"]) == ["presence"]  # no state left, a watcher
        (new,) = await a.publish(metric("np", 2))
        assert (await s.next()).id == new
    assert old.rpartition("-")[0] != new.rpartition("-")[0]  # a new epoch
    async with a.stream("np", cursor=old) as s:  # an old cursor is foreign now
        assert [e.event for e in await s.take(2)] == ["reset", "snapshot"]


async def test_redis_down_at_server_start(
    redis_server: RedisServer, servers: list[Jupyter], tmp_path: Path
) -> None:
    """The server starts and serves without Redis, and recovers without a restart."""
    redis_server.kill()
    (a,) = await start(servers, tmp_path, redis_server.url, 1)
    health = await a.health()
    assert (health["state"], health["broker"]) == ("degraded", "redis")
    assert "unreachable" in health["reason"]
    r = await a.client.post(a.base + "sse/publish", content=json.dumps(metric("d", 1)))
    assert r.status_code == 503
    assert r.headers["Retry-After"]
    async with a.stream("d") as s:
        assert s.response is not None
        assert s.response.status_code == 200
        assert await s.no_event()  # no snapshot yet: Redis has the state
        redis_server.start()

        async def healthy() -> bool:
            return (await a.health())["state"] == "ok"

        await wait_for(healthy, timeout=10, what="health ok")
        assert (await s.next()).event == "snapshot"
        ids = await a.publish(metric("d", 2))
        assert (await s.next()).id == ids[0]
