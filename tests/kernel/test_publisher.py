"""The publisher: queue, batches, coalescing, retries and delivery to a real server.

Queue logic is exercised through ``Recorder``, a ``Transport`` that keeps what it is
sent: the transport protocol is this package's own seam, so that is the real boundary,
not a stand-in for the server. Everything that crosses HTTP runs against a real
Jupyter server with the extension (the ``server`` fixture).
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from jupyter_sse import (
    Channel,
    Publisher,
    SSEConfigError,
    SSEDeliveryError,
    SSEError,
    SSEValueError,
)
from jupyter_sse.kernel.transport import (
    BatchRefused,
    HTTPTransport,
    Rejected,
    RetryLater,
    ancestors,
    discover,
    find_runtime_file,
)
from tests.support.raw_http import pipe
from tests.support.server import Server, wait_for


class Recorder:
    """A transport that records batches; ``gate`` holds a send, ``failures`` script errors."""

    description = "recorder://"

    def __init__(
        self,
        failures: Sequence[BaseException] = (),
        refuse: Callable[[dict[str, Any]], bool] = lambda event: False,
    ) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.attempts: list[float] = []
        self.failures = deque(failures)
        self.refuse = refuse
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.on_send: Callable[[], None] | None = None

    def send(self, batch: Sequence[bytes]) -> list[str]:
        self.entered.set()
        assert self.gate.wait(10), "the test never opened the gate"
        self.attempts.append(time.monotonic())
        if self.on_send is not None:
            self.on_send()
        if self.failures:
            raise self.failures.popleft()
        events = [json.loads(b) for b in batch]
        if any(self.refuse(e) for e in events):
            raise BatchRefused("answered 400: a bad event", 400)
        self.batches.append(events)
        return [e["id"] for e in events]

    def close(self) -> None:
        pass

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for batch in self.batches for e in batch]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.gate.set()


@pytest.fixture
def publisher(recorder: Recorder) -> Iterator[Publisher]:
    pub = Publisher(transport=recorder, backoff_cap=0.02)
    yield pub
    pub.close(timeout=0)


def publish_many(pub: Publisher, n: int) -> None:
    for i in range(n):
        pub.publish("c", "log", {"text": str(i)})


def texts(events: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["text"] for e in events]


# --- queue and batches -------------------------------------------------------------------


def test_events_keep_their_order_and_carry_idempotency_ids(
    publisher: Publisher, recorder: Recorder
) -> None:
    for i in range(20):
        publisher.publish("c", "log", {"text": str(i)})
    publisher.flush()
    assert texts(recorder.events) == [str(i) for i in range(20)]
    prefixes, counters = zip(*(e["id"].split("-") for e in recorder.events), strict=True)
    assert len(set(prefixes)) == 1
    assert len(prefixes[0]) == 8
    assert [int(c) for c in counters] == list(range(1, 21))
    assert publisher.stats() == {
        "queued": 0,
        "sent": 20,
        "dropped": 0,
        "failed": 0,
        "last_error": None,
        "transport": "recorder://",
    }


def test_a_burst_is_sent_in_batches_of_at_most_max_batch(recorder: Recorder) -> None:
    with Publisher(transport=recorder, linger=5.0, max_batch=10) as pub:
        for i in range(25):
            pub.publish("c", "log", {"text": str(i)})
        pub.flush()  # a flush ends the linger at once: no 5 s wait
    assert [len(b) for b in recorder.batches] == [10, 10, 5]
    assert texts(recorder.events) == [str(i) for i in range(25)]


def test_a_full_batch_is_sent_without_waiting_out_the_linger(recorder: Recorder) -> None:
    with Publisher(transport=recorder, linger=60.0, max_batch=10) as pub:
        publish_many(pub, 25)
        # Full batches go at once; the last five wait for the linger (or a flush).
        deadline = time.monotonic() + 5
        while len(recorder.batches) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [len(b) for b in recorder.batches] == [10, 10]
        pub.flush()
    assert [len(b) for b in recorder.batches] == [10, 10, 5]
    assert texts(recorder.events) == [str(i) for i in range(25)]


def test_an_event_that_finds_the_sender_idle_goes_at_once(recorder: Recorder) -> None:
    """A quiet cell's status is not held for the linger; what comes while a batch is on
    its way is a burst, and waits (here: until the flush) to go in one request."""
    with Publisher(transport=recorder, linger=60.0) as pub:
        recorder.gate.clear()
        pub.publish("c", "status", {"key": "phase", "value": "quiet"})
        assert recorder.entered.wait(5), "the first event waited for the linger"
        for i in range(5):
            pub.publish("c", "log", {"text": str(i)})
        recorder.gate.set()
        time.sleep(0.3)
        assert [len(b) for b in recorder.batches] == [1]  # the burst lingers
        pub.flush()
    assert [len(b) for b in recorder.batches] == [1, 5]


def test_a_lone_event_that_came_during_a_send_goes_when_it_is_done(recorder: Recorder) -> None:
    """A loop a little slower than a request's round trip now and then puts an event in
    while a batch is on its way: it goes as soon as that batch is done, not after the
    linger (here 60 s)."""
    with Publisher(transport=recorder, linger=60.0) as pub:
        recorder.gate.clear()
        pub.publish("c", "metric", {"step": 0, "values": {"x": 0.0}})
        assert recorder.entered.wait(5), "the first event waited for the linger"
        pub.publish("c", "metric", {"step": 1, "values": {"x": 1.0}})
        recorder.gate.set()
        deadline = time.monotonic() + 5
        while len(recorder.batches) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(recorder.batches) == 2, "the second event waited for the linger"
        pub.flush()
    assert [len(b) for b in recorder.batches] == [1, 1]


def test_a_batch_stays_under_max_batch_bytes(recorder: Recorder) -> None:
    with Publisher(transport=recorder, linger=5.0, max_batch_bytes=300) as pub:
        for i in range(6):
            pub.publish("c", "log", {"text": f"{i:0>60}"})
        pub.flush()
    assert [len(b) for b in recorder.batches] == [2, 2, 2]


def test_progress_and_status_keep_only_the_latest_value_while_waiting(
    publisher: Publisher, recorder: Recorder
) -> None:
    recorder.gate.clear()
    ch = Channel("c", publisher=publisher)
    ch.log("first")
    assert recorder.entered.wait(5)  # the sender holds "first" at the gate
    for i in range(50):
        ch.status("phase", f"s{i}")
        publisher.publish("c", "progress", {"key": "a", "value": i})
        if i == 10:
            ch.log("middle")
    publisher.publish("c", "progress", {"key": "b", "value": 1})
    publisher.publish("other", "progress", {"key": "a", "value": 7})
    recorder.gate.set()
    publisher.flush()
    assert [(e["channel"], e["type"], e["data"]) for e in recorder.batches[1]] == [
        ("c", "log", {"text": "middle"}),
        ("c", "status", {"key": "phase", "value": "s49"}),
        ("c", "progress", {"key": "a", "value": 49}),
        ("c", "progress", {"key": "b", "value": 1}),
        ("other", "progress", {"key": "a", "value": 7}),
    ]
    assert publisher.stats()["sent"] == 6


def test_full_queue_drops_the_oldest_counts_and_warns_once(recorder: Recorder) -> None:
    pub = Publisher(transport=recorder, max_queue=10)
    try:
        recorder.gate.clear()
        pub.publish("c", "log", {"text": "in flight"})
        assert recorder.entered.wait(5)
        with pytest.warns(RuntimeWarning, match="the oldest are being dropped") as warned:
            publish_many(pub, 25)
        assert len(warned) == 1
        assert pub.stats()["dropped"] == 15
        assert pub.stats()["queued"] == 11  # ten waiting, one in flight
        recorder.gate.set()
        with pytest.raises(SSEDeliveryError, match=r"15 dropped unsent \(over max_queue=10\)"):
            pub.flush()
        assert texts(recorder.events) == ["in flight", *(str(i) for i in range(15, 25))]
        pub.flush()  # reported once: the next flush has nothing new to complain about
    finally:
        pub.close(timeout=0)


def test_nan_and_infinite_metric_values_become_null(
    publisher: Publisher, recorder: Recorder
) -> None:
    values = {"loss": float("nan"), "up": float("inf"), "down": -float("inf"), "acc": 0.5}
    publisher.publish("c", "metric", {"step": 3, "values": values})
    publisher.flush()
    assert recorder.events[0]["data"] == {
        "step": 3,
        "values": {"loss": None, "up": None, "down": None, "acc": 0.5},
    }


@pytest.mark.parametrize(
    ("channel", "type_", "data", "message"),
    [
        ("no spaces", "log", {"text": "x"}, "invalid channel 'no spaces': use 1-128 characters"),
        ("c", "snapshot", {}, "reserved for the server; pick another name"),
        ("c", "metric", {"values": {}}, "metric needs a non-empty object 'values'"),
        ("c", "status", {"key": "k", "value": 1, "variant": "red"}, "status variant must be"),
        ("c", "custom", {"s": {1, 2}}, "not JSON-serializable"),
        ("c", "custom", {"x": float("nan")}, "not JSON-serializable"),
        ("c", "custom", "x" * 300, "is 302 bytes of JSON; the limit is 256: publish a summary"),
    ],
)
def test_invalid_events_raise_at_the_call_and_queue_nothing(
    recorder: Recorder, channel: str, type_: str, data: Any, message: str
) -> None:
    with Publisher(transport=recorder, max_event_bytes=256) as pub:
        with pytest.raises(SSEValueError, match=message):
            pub.publish(channel, type_, data)
        assert pub.stats()["queued"] == 0
    assert recorder.attempts == []


# --- failures ----------------------------------------------------------------------------


def test_retries_until_the_transport_succeeds(recorder: Recorder, publisher: Publisher) -> None:
    recorder.failures.extend(
        [RetryLater("server unreachable at x: refused"), RetryLater("answered 503: busy")]
    )
    publisher.publish("c", "log", {"text": "once"})
    publisher.flush()
    assert texts(recorder.events) == ["once"]
    assert len(recorder.attempts) == 3
    stats = publisher.stats()
    assert (stats["sent"], stats["failed"], stats["last_error"]) == (1, 0, "answered 503: busy")


def test_retry_after_is_honoured(recorder: Recorder, publisher: Publisher) -> None:
    recorder.failures.append(RetryLater("answered 429: slow down", retry_after=0.3))
    publisher.publish("c", "log", {"text": "later"})
    publisher.flush()
    first, second = recorder.attempts
    assert second - first >= 0.3


def test_a_refused_batch_is_split_and_only_the_bad_event_dropped(recorder: Recorder) -> None:
    recorder.refuse = lambda event: bool(event["data"].get("bad"))
    with Publisher(transport=recorder, linger=5.0) as pub:
        for i in range(7):
            pub.publish("c", "x", {"i": i, "bad": i == 3})
        with pytest.raises(SSEDeliveryError, match=r"1 refused \(answered 400: a bad event\)"):
            pub.flush()
        assert [e["data"]["i"] for e in recorder.events] == [0, 1, 2, 4, 5, 6]
        assert (pub.stats()["sent"], pub.stats()["failed"]) == (6, 1)


def test_refused_token_drops_the_batch_and_says_why(
    recorder: Recorder, publisher: Publisher
) -> None:
    recorder.failures.append(Rejected("answered 403: forbidden; check JUPYTER_SSE_TOKEN"))
    publisher.publish("c", "log", {"text": "lost"})
    with pytest.raises(SSEDeliveryError, match=r"1 refused .*check JUPYTER_SSE_TOKEN"):
        publisher.flush()
    publisher.publish("c", "log", {"text": "kept"})
    publisher.flush()
    assert texts(recorder.events) == ["kept"]
    assert publisher.stats()["failed"] == 1


def test_a_transport_bug_neither_stops_the_sender_nor_loops(
    recorder: Recorder, publisher: Publisher
) -> None:
    recorder.failures.append(ZeroDivisionError("bug"))
    publisher.publish("c", "log", {"text": "lost"})
    with pytest.raises(SSEDeliveryError, match="transport error: ZeroDivisionError: bug"):
        publisher.flush()
    publisher.publish("c", "log", {"text": "kept"})
    publisher.flush()
    assert texts(recorder.events) == ["kept"]


def test_flush_times_out_with_the_reason_when_the_server_is_down() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    with Publisher(transport=HTTPTransport(url, "t"), backoff_cap=0.05) as pub:
        pub.publish("c", "log", {"text": "never"})
        deadline = time.monotonic() + 5
        while pub.stats()["last_error"] is None and time.monotonic() < deadline:
            time.sleep(0.01)  # until the first attempt was refused, not a guess at how long
        with pytest.raises(SSEDeliveryError) as raised:
            pub.flush(timeout=0.5)
        assert str(raised.value).startswith(f"1 event(s) not delivered within 0.5s to {url}")
        assert f"server unreachable at {url}: ConnectionRefusedError" in str(raised.value)
        pub.close(timeout=0)


def test_flush_from_the_sender_thread_returns(recorder: Recorder, publisher: Publisher) -> None:
    recorder.on_send = lambda: publisher.flush(timeout=5)
    publisher.publish("c", "log", {"text": "x"})
    started = time.monotonic()
    publisher.flush(timeout=5)
    assert time.monotonic() - started < 4


def test_close_stops_the_thread_and_refuses_more(recorder: Recorder) -> None:
    pub = Publisher(transport=recorder)
    pub.publish("c", "log", {"text": "x"})
    pub.close()
    pub.close()
    assert texts(recorder.events) == ["x"]
    assert not any(
        t.name == "jupyter-sse-publisher" and t.is_alive() for t in threading.enumerate()
    )
    with pytest.raises(SSEError, match="closed; create a new one"):
        pub.publish("c", "log", {"text": "y"})


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_forked_child_publishes_with_its_own_thread_and_id_prefix(
    recorder: Recorder, publisher: Publisher
) -> None:
    """A DataLoader worker forked from a publishing process must not reuse the parent's ids."""
    publisher.publish("c", "log", {"text": "parent"})
    publisher.flush()
    parent_prefix = recorder.events[0]["id"].split("-")[0]
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code, never return into pytest
        code = 1
        try:
            publisher.publish("c", "log", {"text": "child"})
            publisher.flush(timeout=5)
            child = recorder.events[-1]
            code = 0 if child["id"].split("-")[0] != parent_prefix else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# --- the HTTP transport against a real server ----------------------------------------------


@pytest.fixture
def sse_config() -> dict[str, Any]:
    return {"max_event_bytes": 4096}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def event(channel: str, type_: str, data: Any, id_: str | None = None) -> bytes:
    value = {"channel": channel, "type": type_, "data": data}
    if id_ is not None:
        value["id"] = id_
    return json.dumps(value).encode()


async def test_a_script_publisher_reaches_a_stream(server: Server) -> None:
    pub = Publisher(transport=discover(server.app.publish_env()))
    try:
        async with server.stream("script/run") as stream:
            assert (await stream.next()).event == "snapshot"
            ch = Channel("script/run", publisher=pub)
            ch.metric(step=1, loss=0.5)
            ch.log("hello", level="info")
            await asyncio.to_thread(pub.flush, 10)
            metric, log = await stream.take(2)
        assert (metric.event, metric.envelope["data"]) == (
            "metric",
            {"values": {"loss": 0.5}, "step": 1},
        )
        assert (log.event, log.envelope["data"]) == ("log", {"text": "hello", "level": "info"})
        # The environment a server hands out holds no Redis URL, with Redis too: its
        # processes publish through it.
        assert pub.stats()["transport"] == server.base
    finally:
        await asyncio.to_thread(pub.close)


async def test_a_retried_batch_is_published_once(server: Server) -> None:
    transport = HTTPTransport(server.base, server.publish_token)
    batch = [event("dedupe", "log", {"text": "once"}, "abcd1234-1")]
    try:
        async with server.stream("dedupe") as stream:
            await stream.next()
            first = await asyncio.to_thread(transport.send, batch)
            again = await asyncio.to_thread(transport.send, batch)
            assert first == again
            assert (await stream.next()).envelope["data"] == {"text": "once"}
            assert await stream.no_event()
    finally:
        transport.close()


async def test_http_answers_map_to_what_the_publisher_does(server: Server) -> None:
    good = HTTPTransport(server.base, server.publish_token)
    wrong_token = HTTPTransport(server.base, "wrong")
    wrong_base = HTTPTransport(server.base + "elsewhere/", server.publish_token)
    try:
        with pytest.raises(BatchRefused, match="answered 400: event 0: invalid channel") as e400:
            await asyncio.to_thread(good.send, [event("no spaces", "log", {"text": "x"})])
        assert e400.value.status == 400
        with pytest.raises(BatchRefused, match="answered 413: event 0: data is") as e413:
            await asyncio.to_thread(good.send, [event("c", "x", "y" * 5000)])
        assert e413.value.status == 413
        with pytest.raises(Rejected, match=r"answered 401: .*check JUPYTER_SSE_TOKEN"):
            await asyncio.to_thread(wrong_token.send, [event("c", "log", {"text": "x"})])
        with pytest.raises(
            Rejected, match="answered 403: Forbidden; is the jupyter_sse extension enabled"
        ):
            await asyncio.to_thread(wrong_base.send, [event("c", "log", {"text": "x"})])
        ids = await asyncio.to_thread(good.send, [event("c", "log", {"text": "ok"})])
        assert len(ids) == 1
    finally:
        for transport in (good, wrong_token, wrong_base):
            transport.close()


async def test_an_oversize_event_in_a_batch_does_not_sink_the_others(server: Server) -> None:
    """A 413 for the whole batch used to lose every event in it, not just the big one."""
    pub = Publisher(transport=HTTPTransport(server.base, server.publish_token), linger=5.0)
    try:
        async with server.stream("mixed") as stream:
            await stream.next()
            pub.publish("mixed", "log", {"text": "before"})
            pub.publish("mixed", "blob", "z" * 5000)  # under our limit, over the server's
            pub.publish("mixed", "log", {"text": "after"})
            with pytest.raises(SSEDeliveryError, match=r"1 refused .*answered 413"):
                await asyncio.to_thread(pub.flush, 10)
            before, after = await stream.take(2)
            assert [before.envelope["data"]["text"], after.envelope["data"]["text"]] == [
                "before",
                "after",
            ]
    finally:
        await asyncio.to_thread(pub.close)


@asynccontextmanager
async def tcp_proxy(listen_port: int, target_port: int) -> AsyncIterator[None]:
    """A real listener that appears on ``listen_port`` and forwards to the server."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    proxy = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    try:
        yield
    finally:
        proxy.close()


async def test_events_queued_while_the_server_is_unreachable_arrive_later(
    server: Server, jp_http_port: int, jp_base_url: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}{jp_base_url}"
    pub = Publisher(transport=HTTPTransport(url, server.publish_token), backoff_cap=0.2)
    try:
        async with server.stream("outage") as stream:
            await stream.next()
            Channel("outage", publisher=pub).log("queued while down")
            await wait_for(
                lambda: "server unreachable at" in (pub.stats()["last_error"] or ""),
                what="a refused connection",
            )
            async with tcp_proxy(port, jp_http_port):
                await asyncio.to_thread(pub.flush, 10)
                received = await stream.next()
                assert received.envelope["data"] == {"text": "queued while down"}
                assert await stream.no_event()
                await asyncio.to_thread(pub.close)
    finally:
        await asyncio.to_thread(pub.close)


class ScriptedHandler(http.server.BaseHTTPRequestHandler):
    """Answers each POST with the next scripted (status, headers, body)."""

    protocol_version = "HTTP/1.1"
    script: deque[tuple[int, dict[str, str], bytes]]
    seen: list[tuple[str, dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.path, dict(self.headers), body))
        status, headers, payload = self.script.popleft()
        headers = dict(headers)
        # Scripted misbehaviour: close without saying so (as an idle timeout does), or
        # answer in chunks (as a proxy may).
        silent_close = headers.pop("X-Then-Close", None) is not None
        chunked = headers.get("Transfer-Encoding") == "chunked"
        self.send_response(status)
        if not chunked:
            headers["Content-Length"] = str(len(payload))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if chunked:
            half = len(payload) // 2
            for part in (payload[:half], payload[half:], b""):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        else:
            self.wfile.write(payload)
        self.close_connection = silent_close

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[tuple[str, type[ScriptedHandler]]]:
    handler = type("Handler", (ScriptedHandler,), {"script": deque(), "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/base", handler
    httpd.shutdown()
    httpd.server_close()


def test_http_transport_retries_429_and_5xx_and_sends_the_token(
    scripted: tuple[str, type[ScriptedHandler]],
) -> None:
    url, handler = scripted
    handler.script.extend(
        [
            (429, {"Retry-After": "3"}, b'{"error": "slow down", "status": 429}'),
            (503, {}, b'{"error": "broker unavailable", "status": 503}'),
            (200, {"Connection": "close"}, b'{"ids": ["e-1", "e-2"]}'),
            (200, {}, b'{"ids": []}'),
        ]
    )
    transport = HTTPTransport(url, "secret")
    batch = [event("c", "log", {"text": "a"}), event("c", "log", {"text": "b"})]
    try:
        with pytest.raises(RetryLater, match=r"base/sse/publish answered 429: slow down") as e:
            transport.send(batch)
        assert e.value.retry_after == 3.0
        with pytest.raises(RetryLater, match="answered 503: broker unavailable"):
            transport.send(batch)
        assert transport.send(batch) == ["e-1", "e-2"]  # then the server closes: reconnect
        with pytest.raises(RetryLater, match="unexpected answer"):
            transport.send(batch)
    finally:
        transport.close()
    path, headers, body = handler.seen[0]
    assert path == "/base/sse/publish"
    assert headers["Authorization"] == "token secret"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == [json.loads(b) for b in batch]


def test_http_transport_reconnects_once_after_a_silent_close_and_reads_chunks(
    scripted: tuple[str, type[ScriptedHandler]],
) -> None:
    url, handler = scripted
    handler.script.extend(
        [
            (200, {"X-Then-Close": "1"}, b'{"ids": ["e-1"]}'),
            (200, {"Transfer-Encoding": "chunked"}, b'{"ids": ["e-2"]}'),
            (200, {}, b'{"ids": ["e-3"]}'),
        ]
    )
    transport = HTTPTransport(url)
    batch = [event("c", "log", {"text": "a"})]
    try:
        assert transport.send(batch) == ["e-1"]
        # The kept-alive connection is gone: one fresh connection, no error.
        assert transport.send(batch) == ["e-2"]
        assert transport.send(batch) == ["e-3"]  # after a chunked answer, the same connection
    finally:
        transport.close()
    assert len(handler.seen) == 3
    assert "Authorization" not in handler.seen[0][1]


# --- discovery ------------------------------------------------------------------------------


def test_discovery_from_the_environment() -> None:
    transport = discover({"JUPYTER_SSE_URL": "http://127.0.0.1:8888/lab", "JUPYTER_SSE_TOKEN": "t"})
    assert transport.description == "http://127.0.0.1:8888/lab/"
    with pytest.raises(SSEConfigError, match="must be an http"):
        discover({"JUPYTER_SSE_URL": "127.0.0.1:8888"})


def test_redis_url_without_redis_support_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "jupyter_sse.kernel.transport.redis", None)
    with pytest.raises(SSEConfigError, match=r"pip install 'jupyter-sse\[redis\]'"):
        discover({"JUPYTER_SSE_REDIS_URL": "redis://127.0.0.1:6379/0"})


def test_runtime_file_of_the_nearest_ancestor_is_used(tmp_path: Path) -> None:
    parent = os.getppid()
    assert next(ancestors(os.getpid())) == parent
    path = tmp_path / f"jupyter_sse-{parent}.json"
    path.write_text(json.dumps({"url": "http://127.0.0.1:1/", "token": "t", "pid": parent + 1}))
    assert find_runtime_file(tmp_path) is None  # a stale file of another process
    path.write_text(json.dumps({"url": "http://127.0.0.1:1/", "token": "t", "pid": parent}))
    assert find_runtime_file(tmp_path) == {
        "url": "http://127.0.0.1:1/",
        "token": "t",
        "pid": parent,
    }


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_SSE_")}
    return {**env, **extra}


async def run_python(code: str, env: dict[str, str]) -> tuple[int, str]:
    # Asynchronous: the server that the child talks to runs on this event loop.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_a_script_under_the_server_finds_it_through_the_runtime_file(
    server: Server,
) -> None:
    server.app.write_runtime_file()  # the server process is this test process
    try:
        code = (
            "import jupyter_sse as sse\n"
            "sse.channel('terminal').log('from a terminal')\n"
            "sse.flush(10)\n"
            "print(sse.stats()['transport'])\n"
        )
        async with server.stream("terminal") as stream:
            await stream.next()
            status, out = await run_python(code, clean_env())
            assert status == 0, out
            assert out.strip() == server.base
            assert (await stream.next()).envelope["data"] == {"text": "from a terminal"}
    finally:
        server.app.runtime_file.unlink(missing_ok=True)


async def test_no_configuration_raises_an_error_that_says_how(tmp_path: Path) -> None:
    code = (
        "import jupyter_sse as sse\n"
        "try:\n"
        "    sse.publish('c', 'log', {'text': 'x'})\n"
        "except sse.SSEConfigError as e:\n"
        "    print(e)\n"
    )
    status, out = await run_python(code, clean_env(JUPYTER_RUNTIME_DIR=str(tmp_path)))
    assert status == 0, out
    for needed in (
        "Jupyter kernel",
        "JUPYTER_SSE_URL",
        "JUPYTER_SSE_TOKEN",
        "JUPYTER_SSE_REDIS_URL",
    ):
        assert needed in out
