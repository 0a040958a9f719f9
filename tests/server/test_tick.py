"""Sweeps: when frames queued by publishing are written, and what one write carries.

A long sweep is made long the way a real one is, by flushes that take the time (here a
``time.sleep`` in the flush, as ~4 ms of ``send`` at 1,000 streams); nothing asserts how
long anything took, only which sweep carried what.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import pytest
from traitlets import TraitError

from jupyter_sse.server.app import SSEApp
from jupyter_sse.server.broker.memory import MemoryBroker
from jupyter_sse.server.broker.routing import SWEEP_BYTES, FanOut
from jupyter_sse.server.metrics import COUNTS
from jupyter_sse.server.tick import (
    BUSY_SHARE,
    BUSY_SWEEPS,
    HOLD_RATIO,
    LONE_GAP,
    QUIET_GAP,
    Tick,
)
from tests.support.raw_http import SO_TIMESTAMPNS, raw_request, raw_stream, read_until
from tests.support.server import Server, wait_for
from tests.support.sse_client import Event, StreamReader

LONG = 0.05  # seconds a "long" flush takes: far over LONG_SWEEP


class Item:
    """A flushable that records the sweep it was flushed in."""

    def __init__(self, tick: Tick, name: str, takes: float = 0.0) -> None:
        self.tick, self.name, self.takes = tick, name, takes
        self.swept: list[int] = []

    def flush(self) -> None:
        self.swept.append(self.tick.sweeps)
        if self.takes:
            time.sleep(self.takes)


class Member:
    """A fan-out member that records each write it is handed."""

    def __init__(self, tick: Tick) -> None:
        self.tick = tick
        self.patterns = ("c",)
        self.writes: list[tuple[int, bytes]] = []

    def deliver(self, frame: bytes) -> None:
        raise AssertionError("fan-out members get their frames through deliver_now")

    def deliver_now(self, frames: bytes, chunk: bytes) -> None:
        self.writes.append((self.tick.sweeps, frames))

    def open(self, first: object) -> None:
        pass

    @property
    def received(self) -> bytes:
        return b"".join(frames for _, frames in self.writes)


class Step(Item):
    """A long flush that, once done, runs ``then`` in the next loop callback."""

    def __init__(self, tick: Tick, then: Callable[[], None], takes: float = LONG) -> None:
        super().__init__(tick, "slow", takes=takes)
        self.then = then

    def flush(self) -> None:
        super().flush()
        asyncio.get_running_loop().call_soon(self.then)


async def long_sweeps(tick: Tick, count: int, takes: float = LONG) -> None:
    """``count`` long sweeps, each deferred right after the one before ended (new work
    coming back at once, as on a busy server); returns right after the last one."""
    ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def step(left: int) -> None:
        if left == 0:
            ended.set_result(None)
        else:
            tick.defer(Step(tick, lambda: step(left - 1), takes))

    step(count)
    await ended


async def busy_server(tick: Tick, takes: float = LONG) -> int:
    """The state of a sustained load: the next deferral is held. Long sweeps back to
    back from a quiet server until they have taken ``BUSY_SHARE`` of the loop for
    ``BUSY_SWEEPS`` sweeps in a row; returns the sweeps run."""
    streak = 0
    for _ in range(12):  # a load after a quiet spell is seen within a few sweeps
        await long_sweeps(tick, 1, takes)
        streak = streak + 1 if tick.share >= BUSY_SHARE else 0
        if streak == BUSY_SWEEPS:
            return tick.sweeps
    raise AssertionError(f"still not busy after {tick.sweeps} long sweeps: {tick.share:.2f}")


async def late_events_are_not_held(tick: Tick, count: int = 3) -> None:
    """``count`` long sweeps, each deferred right after the one before ended (an event
    that came while the sweep before ran); none of them may be held."""
    for step in range(count):
        item = Item(tick, f"late{step}", takes=LONG)
        tick.defer(item)
        assert tick.due_at is None, f"held after {step} late events, share {tick.share:.2f}"
        await wait_for(lambda item=item: item.swept, what="the sweep")  # type: ignore[misc]


async def test_idle_server_writes_at_the_end_of_the_tick() -> None:
    """No event is held when the server is idle, however large the bound."""
    tick = Tick(max_delay=60.0)
    item = Item(tick, "a")
    tick.defer(item)
    assert tick.due_at is None
    await asyncio.sleep(0)
    assert item.swept == [1]


async def test_events_on_a_busy_server_share_the_next_sweep() -> None:
    tick = Tick(max_delay=60.0)
    busy = await busy_server(tick)
    held = COUNTS.sweeps["held"]
    b, c = Item(tick, "b"), Item(tick, "c")
    tick.defer(b)
    assert tick.due_at is not None
    # A later loop callback (the next request read) adds its event to the held sweep.
    await asyncio.sleep(0)
    assert not b.swept
    tick.defer(c)
    await wait_for(lambda: b.swept and c.swept, what="the held sweep")
    assert b.swept == c.swept == [busy + 1]
    assert COUNTS.sweeps["held"] == held + 1  # jupyter_sse_sweeps_total{when="held"}


async def test_a_lone_burst_after_a_long_sweep_is_not_held() -> None:
    """Two events close together on a quiet server: the second is swept at once after
    the first's long sweep, not held for the loop's turn (no third is coming)."""
    tick = Tick(max_delay=60.0)
    await long_sweeps(tick, 1)
    b = Item(tick, "b")
    tick.defer(b)
    assert tick.due_at is None
    await asyncio.sleep(0)
    assert b.swept == [2]


async def test_a_steady_trickle_is_not_held() -> None:
    """Events that come a little sooner after each long sweep than it took (100
    events/s with 5 ms sweeps): the loop is mostly free; none of them is held."""
    tick = Tick(max_delay=60.0)
    for step in range(1, 5):
        item = Item(tick, f"e{step}", takes=LONG)
        tick.defer(item)
        assert tick.due_at is None
        await wait_for(lambda item=item: item.swept, what="the sweep")  # type: ignore[misc]
        await asyncio.sleep(0.7 * LONG)


async def test_events_that_land_behind_a_sweep_now_and_then_are_not_held() -> None:
    """A steady rate whose sweeps take half the loop (100 events/s, 5 ms sweeps), where
    a few events in a row come while a sweep runs (the one before came late): the gaps
    alone look like a queue, the share does not; none of them is held."""
    tick = Tick(max_delay=60.0)
    for step in range(8):  # half the loop: a sweep, then as long again free
        item = Item(tick, f"e{step}", takes=LONG)
        tick.defer(item)
        await wait_for(lambda item=item: item.swept, what="the sweep")  # type: ignore[misc]
        await asyncio.sleep(LONG)
    await late_events_are_not_held(tick)  # then each right behind the sweep before
    assert tick.share < BUSY_SHARE


async def test_a_quiet_spell_forgets_the_load_before_it() -> None:
    """After held sweeps that carried many publishes each, and a quiet spell, a trickle
    whose events come right behind their sweeps is not held: the share is measured
    afresh, not decayed from the load before."""
    tick = Tick(max_delay=60.0)
    await busy_server(tick)
    for _ in range(3):
        for _ in range(10):
            tick.arrived()
        await long_sweeps(tick, 1)
    assert tick.carried == 10
    assert tick.share > 2
    await asyncio.sleep(5 * LONG)
    await late_events_are_not_held(tick)


async def test_a_held_sweep_waits_at_most_the_bound() -> None:
    loop = asyncio.get_running_loop()
    tick = Tick(max_delay=0.01)
    await busy_server(tick)
    item = Item(tick, "b")
    deferred = loop.time()
    tick.defer(item)
    due = tick.due_at
    assert due is not None
    assert due <= deferred + 0.01
    await wait_for(lambda: item.swept, what="the held sweep, with nothing else deferred")


async def test_after_the_hold_the_server_is_idle_again() -> None:
    tick = Tick(max_delay=0.01)
    busy = await busy_server(tick)
    await asyncio.sleep(0.05)  # past the hold: the loop had its turn
    item = Item(tick, "b")
    tick.defer(item)
    assert tick.due_at is None
    await asyncio.sleep(0)
    assert item.swept == [busy + 1]


async def test_a_held_sweep_waits_while_publishes_keep_coming() -> None:
    """Under a sustained load the sweep waits while requests keep coming (a publisher
    sending one event per request), longer than a sweep and up to ``HOLD_RATIO`` sweeps'
    time, so that enough of them share each sweep to keep up."""
    loop = asyncio.get_running_loop()
    tick = Tick(max_delay=60.0)
    takes = 0.2  # sweeps long enough that the test's own turns are short beside them
    busy = await busy_server(tick, takes)  # the last sweep ended just now
    bound = loop.time() + HOLD_RATIO * takes * 1.1  # the sweep took a little over `takes`
    items = []
    # A publish every ~2 ms for a sweep and a quarter: past the wait for a second
    # publish, and many times the quiet gap between two.
    for step in range(1000):  # bounded; ends on time
        if loop.time() > bound - 0.75 * takes:
            break
        tick.arrived()
        items.append(Item(tick, f"e{step}"))
        tick.defer(items[-1])
        due = tick.due_at
        assert due is not None
        assert due <= bound
        await asyncio.sleep(0.002)
    assert len(items) > 10
    assert not any(item.swept for item in items), "swept while publishes were coming"
    await wait_for(lambda: items[-1].swept, what="the held sweep")
    assert {sweep for item in items for sweep in item.swept} == {busy + 1}


async def test_a_held_sweep_runs_once_publishes_stop() -> None:
    """Two publishes, then none: the held sweep is due a quiet gap after the second,
    not at the end of the hold (a publisher's burst is over; holding on would only
    delay it)."""
    loop = asyncio.get_running_loop()
    tick = Tick(max_delay=60.0)
    busy = await busy_server(tick)
    bound = loop.time() + HOLD_RATIO * LONG
    b, c = Item(tick, "b"), Item(tick, "c")
    tick.arrived()
    tick.defer(b)
    first = tick.due_at
    assert first is not None
    # One publish waits a while for a second (LONE_GAP), not the whole hold.
    assert first < bound - 0.5 * LONG
    await asyncio.sleep(0)
    tick.arrived()
    tick.defer(c)
    due = tick.due_at
    assert due is not None
    assert due < first
    assert due < loop.time() + 2 * QUIET_GAP * LONG
    await wait_for(lambda: b.swept and c.swept, what="the held sweep")
    assert b.swept == c.swept == [busy + 1]


async def test_a_hold_that_gathered_nothing_ends_the_busy_spell() -> None:
    """A steady trickle (one publish per held sweep) must not keep every sweep held: a
    held sweep ends later, so the next event comes soon after its end, which looks like
    load queueing behind the sweeps."""
    tick = Tick(max_delay=60.0)
    busy = await busy_server(tick)
    after: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    tick.arrived()  # the one publish the held sweep carries
    tick.defer(Step(tick, lambda: after.set_result(None)))
    assert tick.due_at is not None
    await after
    assert tick.carried == 1
    tick.arrived()
    nxt = Item(tick, "next")
    tick.defer(nxt)  # right after a long sweep, but the hold gathered nothing
    assert tick.due_at is None
    await asyncio.sleep(0)
    assert nxt.swept == [busy + 2]


async def test_a_hold_that_gathered_too_few_publishes_ends_the_busy_spell() -> None:
    """A held sweep that carried two publishes, the second late in the wait for it: in
    its time (the hold and the sweep) sweeps of their own would have carried both. A
    trickle while sweeps are slow (100 events/s, 12 ms sweeps) does that, and a chain of
    such holds would delay every event of it by the hold."""
    takes = 0.2  # sweeps long enough that the test's own sleep is short beside them
    tick = Tick(max_delay=60.0)
    busy = await busy_server(tick, takes)
    after: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    tick.arrived()
    tick.defer(Step(tick, lambda: after.set_result(None), takes))
    assert tick.due_at is not None
    # Past 0.85 of the wait (hold, quiet gap and sweep then outlast two sweeps), and
    # ~15 ms before the hold would sweep the first alone.
    await asyncio.sleep(0.92 * LONE_GAP * takes)
    tick.arrived()  # a second request, read late in the hold
    await after
    assert tick.carried == 2
    nxt = Item(tick, "next")
    tick.defer(nxt)
    assert tick.due_at is None
    await asyncio.sleep(0)
    assert nxt.swept == [busy + 2]


async def test_a_hold_that_gathered_publishes_keeps_holding() -> None:
    """Four publishes in a held sweep of three sweeps' time: holding carried more than
    sweeps of their own could have, so the next sweep is held too."""
    tick = Tick(max_delay=60.0)
    await busy_server(tick)
    after: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    tick.arrived()
    tick.defer(Step(tick, lambda: after.set_result(None)))
    await asyncio.sleep(0)
    for _ in range(3):  # more requests read while the sweep was held
        tick.arrived()
    await after
    assert tick.carried == 4
    tick.defer(Item(tick, "next"))
    assert tick.due_at is not None


async def test_a_publish_is_one_arrival_however_many_events() -> None:
    tick = Tick()
    broker = MemoryBroker(tick=tick)
    events = [{"channel": "c", "type": "log", "data": {"text": str(i)}} for i in range(5)]
    await broker.publish(events)  # type: ignore[arg-type]
    await broker.publish(events[:1])  # type: ignore[arg-type]
    tick.defer(Item(tick, "sweep"))
    await asyncio.sleep(0)
    assert tick.carried == 2
    await broker.close()


async def test_zero_bound_never_holds() -> None:
    tick = Tick(max_delay=0.0)
    busy = await busy_server(tick)
    item = Item(tick, "b")
    tick.defer(item)
    assert tick.due_at is None
    await asyncio.sleep(0)
    assert item.swept == [busy + 1]


async def test_flushes_deferred_during_a_sweep_run_in_it() -> None:
    """A group's flush that defers a busy stream: the stream goes in the same sweep."""
    tick = Tick(max_delay=60.0)
    inner = Item(tick, "inner")

    class Outer(Item):
        def flush(self) -> None:
            super().flush()
            tick.defer(inner)

    outer = Outer(tick, "outer", takes=LONG)
    tick.defer(outer)
    await wait_for(lambda: inner.swept, what="the sweep")
    assert outer.swept == inner.swept == [1]


async def test_order_kept_across_held_sweeps() -> None:
    tick = Tick(max_delay=60.0)
    fanout = FanOut(frozenset({"c"}), tick)
    member = Member(tick)
    fanout.join(member)
    frames = [b"id: %d\ndata: {}\n\n" % i for i in range(200)]
    fanout.send(frames[0])
    await busy_server(tick)
    assert member.writes, "the first frame went in the first sweep"
    for frame in frames[1:100]:
        fanout.send(frame)
        await asyncio.sleep(0)
    for frame in frames[100:]:
        fanout.send(frame)
    await wait_for(lambda: len(member.received) == len(b"".join(frames)), what="every frame")
    assert member.received == b"".join(frames)
    sweeps = [sweep for sweep, _ in member.writes]
    assert sweeps == sorted(set(sweeps)), "one write per sweep, in sweep order"
    # Frames sent while the sweep after the long one was held went out together.
    assert len(member.writes) < 100


async def test_one_sweep_writes_a_bounded_share_of_a_burst() -> None:
    tick = Tick(max_delay=0.0)
    fanout = FanOut(frozenset({"c"}), tick)
    member = Member(tick)
    fanout.join(member)
    frame = b"data: " + b"x" * 1000 + b"\n\n"
    burst = 3 * SWEEP_BYTES // len(frame)
    for _ in range(burst):
        fanout.send(frame)
    await wait_for(lambda: len(member.received) == burst * len(frame), what="the burst")
    assert member.received == frame * burst
    assert len(member.writes) >= 3
    assert all(len(frames) < SWEEP_BYTES + len(frame) for _, frames in member.writes)
    assert len({sweep for sweep, _ in member.writes}) == len(member.writes)


async def test_newcomer_joins_after_every_pending_frame() -> None:
    """Frames past one sweep's bound still go to the members that were there first:
    the newcomer's first frames cover them, so it must not get them again."""
    tick = Tick(max_delay=0.0)
    fanout = FanOut(frozenset({"c"}), tick)
    first, newcomer = Member(tick), Member(tick)
    fanout.join(first)
    frame = b"data: " + b"x" * 1000 + b"\n\n"
    burst = 2 * SWEEP_BYTES // len(frame)
    for _ in range(burst):
        fanout.send(frame)
    await asyncio.sleep(0)  # one sweep: part of the burst written
    fanout.join(newcomer)
    fanout.send(b"data: after\n\n")
    await wait_for(lambda: newcomer.received, what="the frame after the join")
    await asyncio.sleep(0)
    assert first.received == frame * burst + b"data: after\n\n"
    assert newcomer.received == b"data: after\n\n"


# --- on a running server, each broker ----------------------------------------------------


@pytest.mark.parametrize("sse_config", [{"max_write_delay": 50}])
async def test_one_event_per_request_keeps_order_and_ids(server: Server) -> None:
    """Publishers that send one event per request, at once: every stream gets every
    event once, in the order of the ids the publishers were answered."""

    async def publisher(name: str) -> list[str]:
        ids: list[str] = []
        for step in range(40):
            data = {"step": step, "values": {"x": 1.0}}
            event = {"channel": f"runs/{name}", "type": "metric", "data": data}
            ids += await server.publish_ok(event)
        return ids

    async def metrics(stream: StreamReader, n: int) -> list[Event]:
        got: list[Event] = []
        for _ in range(n + 10):  # and a snapshot or presence event or two
            event = await stream.next()
            if event.event == "metric":
                got.append(event)
                if len(got) == n:
                    break
        return got

    async with server.stream("runs/a") as one, server.stream("runs/*") as every:
        await one.next()  # the snapshot: the stream is subscribed
        answered = await asyncio.gather(publisher("a"), publisher("b"), publisher("c"))
        got_one = await metrics(one, 40)
        got_every = await metrics(every, 120)
    assert [e.id for e in got_one] == answered[0]
    assert [e.envelope["data"]["step"] for e in got_one] == list(range(40))
    for name, ids in zip("abc", answered, strict=True):
        mine = [e for e in got_every if e.envelope["channel"] == f"runs/{name}"]
        assert [e.id for e in mine] == ids
    assert len({e.id for e in got_every}) == 120


def test_max_write_delay_may_not_be_negative() -> None:
    with pytest.raises(TraitError, match="max_write_delay"):
        SSEApp(max_write_delay=-1.0)


# --- the publish route's answer and the sweep (memory broker: with Redis the events come
# back over pub/sub, on their own schedule) ------------------------------------------------


async def arrival_of(sock: socket.socket, marker: bytes, seen: bytearray) -> float:
    """The kernel's arrival stamp (epoch seconds) of the bytes that brought ``marker``
    (``sock`` opened ``stamped``).

    Polls the socket without registering it with the loop, so that nothing is read
    before the test asks; bounded: fails after 5 s."""
    deadline = time.monotonic() + 5.0
    while True:
        try:
            data, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(16))
        except BlockingIOError:
            assert time.monotonic() < deadline, f"{marker!r} never came: {bytes(seen[-300:])!r}"
            await asyncio.sleep(0.001)
            continue
        assert data, f"closed before {marker!r}"
        seen += data
        if marker in seen:
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("@ll", value[:16])
                    stamp: float = seconds + nanoseconds / 1e9
                    return stamp
            raise AssertionError("the bytes came without an arrival stamp")


async def publish_and_stamp(
    server: Server, before: Callable[[], Awaitable[None]] | None = None
) -> tuple[float, float]:
    """Opens a raw stream of "order", publishes one metric to it with a raw request (after
    ``before``), and returns when the event reached the stream and when the answer
    reached the publisher, each stamped by the kernel on arrival: the order in which the
    server wrote them."""
    async with raw_stream(server, "order", stamped=True) as (stream, first):
        got = await read_until(stream, first, b"event: snapshot", 1)
        await wait_for(lambda: server.app.presence.rounds > 0, what="the presence round")
        # Whatever came meanwhile (the presence event) is read now: a later read that
        # took it with the metric would carry its earlier stamp.
        await asyncio.sleep(0.05)
        seen = bytearray(got)
        with contextlib.suppress(BlockingIOError):
            for _ in range(100):
                seen += stream.recv(65536)
        if before is not None:
            await before()
        event = {"channel": "order", "type": "metric", "data": {"step": 1, "values": {"x": 1}}}
        body = json.dumps(event)
        publisher = await raw_request(
            server,
            f"POST {urlsplit(server.base).path}sse/publish HTTP/1.1",
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}",
            stamped=True,
        )
        try:
            answered = await arrival_of(publisher, b'"ids"', bytearray())
        finally:
            publisher.close()
        written = await arrival_of(stream, b'"type":"metric"', seen)
        return written, answered


@pytest.mark.parametrize("broker_kind", ["memory"])
async def test_an_idle_server_writes_the_events_before_it_answers(server: Server) -> None:
    """The publisher's answer waits for an idle server's sweep: the viewers get the event
    first, and the publisher's wake-up does not compete with theirs."""
    written, answered = await publish_and_stamp(server)
    assert written < answered


@pytest.mark.parametrize("broker_kind", ["memory"])
async def test_a_busy_server_answers_without_waiting_for_a_held_sweep(server: Server) -> None:
    """On a busy server the next sweep is held for requests to share; a publisher is not
    kept waiting for it."""
    tick = server.app.services.connections.tick
    written, answered = await publish_and_stamp(server, lambda: busy_server(tick))
    # The event went out in the held sweep, after the answer (the idle test above shows
    # the other order when nothing is held).
    assert answered < written
