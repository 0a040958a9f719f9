"""``jupyter_sse_*`` on jupyter_server's own ``/metrics``, read with prometheus_client's
parser: each counter moves by exactly what the test did.

The registry is process-wide (several servers run in one pytest process), so the test
reads the values before and after, and compares the deltas.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from jupyter_sse.server.metrics import close_label, frame_type, type_label
from tests.support.metrics import delta, scrape
from tests.support.raw_http import raw_request
from tests.support.redis_server import RedisServer
from tests.support.server import Server, wait_for

LIMIT = 64 * 1024


async def publish_as(server: Server, subject: str, events: list[dict[str, Any]]) -> int:
    """POST ``events`` with a kernel publish token of its own (a rate bucket of its own)."""
    token = server.app.services.publish_token.mint(subject)
    response = await server.client.post(
        server.base + "sse/publish",
        json=events,
        headers={"Authorization": f"token {token}"},
    )
    return response.status_code


async def cut_a_slow_client(server: Server) -> int:
    """Open a stream that never reads and flood it until the server cuts it; the number
    of flood events published."""
    path = urlsplit(server.base).path
    sock = await raw_request(server, f"GET {path}sse/stream?channel=flood HTTP/1.1", rcvbuf=4096)
    loop = asyncio.get_running_loop()
    assert (await loop.sock_recv(sock, 1024)).startswith(b"HTTP/1.1 200")
    connections = server.app.services.connections
    await wait_for(lambda: len(connections) == 1, what="the slow stream to register")
    (conn,) = list(connections)
    await wait_for(lambda: server.app.presence.rounds > 0, what="the presence round")
    batch = [{"channel": "flood", "type": "blob", "data": "x" * 8000}] * 20
    published = 0
    for i in range(2000):
        assert await publish_as(server, f"flood-{i}", batch) == 200
        published += len(batch)
        if conn.closed:
            break
        await asyncio.sleep(0)
    assert conn.closed
    assert "slow client" in (conn.close_reason or "")
    await wait_for(lambda: len(connections) == 0, what="the slow stream to go")
    sock.close()
    return published


@pytest.mark.parametrize("sse_config", [{"client_buffer_bytes": LIMIT, "publish_rate_limit": 0.5}])
async def test_metrics_count_exactly_what_happened(server: Server) -> None:
    before = await scrape(server)

    # A stream that receives three events (two metric, one of a custom type).
    async with server.stream("m") as s:
        assert (await s.next()).event == "snapshot"
        events = [
            {"channel": "m", "type": "metric", "data": {"step": 1, "values": {"a": 1}}},
            {"channel": "m", "type": "metric", "data": {"step": 2, "values": {"a": 2}}},
            {"channel": "m", "type": "my.custom", "data": {}},
        ]
        assert await publish_as(server, "k-stream", events) == 200
        got = await s.take(3)
        assert [e.event for e in got] == ["metric", "metric", "my.custom"]
        last_id = got[-1].id
    await wait_for(lambda: len(server.app.services.connections) == 0, what="the stream to end")

    flood = await cut_a_slow_client(server)

    # A rate-limit refusal: the second publish of one caller within two seconds.
    assert await publish_as(server, "k-limited", [events[0]]) == 200
    assert await publish_as(server, "k-limited", [events[0]]) == 429

    # A resume that the history covers (it replays the limited caller's event), and one
    # it cannot (a reset).
    async with server.stream("m", last_event_id=last_id or "") as s:
        assert (await s.next()).event == "metric"
    async with server.stream("m", last_event_id="not-a-cursor-1") as s:
        assert (await s.next()).event == "reset"
    await wait_for(lambda: len(server.app.services.connections) == 0, what="streams to end")

    after = await scrape(server)
    assert delta(before, after, "jupyter_sse_streams_opened_total", kind="user") == 4
    assert delta(before, after, "jupyter_sse_streams_opened_total", kind="viewer") == 0
    assert after["jupyter_sse_streams_open", frozenset({("kind", "user")})] == 0
    assert delta(before, after, "jupyter_sse_streams_closed_total", reason="slow_client") == 1
    assert delta(before, after, "jupyter_sse_streams_closed_total", reason="client_left") == 3
    assert delta(before, after, "jupyter_sse_events_published_total", type="metric") == 3
    assert delta(before, after, "jupyter_sse_events_published_total", type="other") == 1 + flood
    assert delta(before, after, "jupyter_sse_events_delivered_total", type="metric") == 2
    assert delta(before, after, "jupyter_sse_rate_limited_total", route="publish") == 1
    assert delta(before, after, "jupyter_sse_resumes_total") == 2
    assert delta(before, after, "jupyter_sse_resets_total") == 1
    assert delta(before, after, "jupyter_sse_sent_bytes_total") > 0
    # Every event above went out in some sweep, at once: nothing here kept the loop busy.
    assert delta(before, after, "jupyter_sse_sweeps_total", when="at_once") >= 3
    assert delta(before, after, "jupyter_sse_sweep_seconds_total") > 0
    requests = 2 + flood // 20  # the stream's, the limited caller's two, the flood's
    count = "jupyter_sse_publish_request_seconds_count"
    assert delta(before, after, count, via="post") == requests + 1
    kind = server.app.services.broker.kind
    assert after["jupyter_sse_broker_up", frozenset({("broker", kind)})] == 1
    # No label names a channel.
    assert not any(value in ("m", "flood") for _, labels in after for _, value in labels)


def test_labels_stay_few() -> None:
    assert type_label("progress") == "progress"
    assert type_label("train/run-1") == "other"
    assert frame_type(b"id: e-1\nevent: metric\ndata: {}\n\n") == "metric"
    assert frame_type(b"id: e-1\nevent: anything.else\ndata: {}\n\n") == "other"
    assert frame_type(b": ping\n\n") == "other"
    assert close_label("slow client: send buffer full; resume with the last event id") == (
        "slow_client"
    )
    assert close_label("viewer token expired") == "token_expired"
    assert close_label(None) == "other"


async def test_the_grafana_dashboard_queries_only_metrics_that_exist(server: Server) -> None:
    dashboard = (Path(__file__).parents[2] / "docs" / "grafana-dashboard.json").read_text()
    json.loads(dashboard)  # valid JSON, as Grafana imports it
    queried = set(re.findall(r"jupyter_sse_\w+", dashboard))
    exported = {name for name, _ in await scrape(server)} | set(
        re.findall(
            r"^# TYPE (jupyter_sse_\w+)",
            (await server.get("metrics", headers=server.auth)).text,
            re.M,
        )
    )
    assert queried
    assert queried <= exported, queried - exported


@pytest.mark.parametrize("broker_kind", ["redis"])
async def test_redis_reconnects_state_and_dropped_frames(
    server: Server, redis_server: RedisServer
) -> None:
    broker = server.app.services.broker
    await server.app.services.start()
    await wait_for(lambda: broker.health()["state"] == "ok", 10, "Redis to be up")
    before = await scrape(server)

    # A frame that no publisher of ours wrote, straight onto a live channel: dropped.
    with redis_server.client() as raw:
        raw.publish(broker.keys.live("m"), b"data: not a frame\n\n")
    await wait_for(lambda: broker.frames_dropped == 1, 10, "the frame to be dropped")

    redis_server.kill()
    await wait_for(lambda: broker.health()["state"] != "ok", 10, "the broker to see it down")
    down = await scrape(server)
    assert down["jupyter_sse_broker_up", frozenset({("broker", "redis")})] == 0
    redis_server.start()
    await wait_for(lambda: broker.health()["state"] == "ok", 20, "the broker to reconnect")

    after = await scrape(server)
    assert delta(before, after, "jupyter_sse_redis_reconnects_total") == 1
    assert delta(before, after, "jupyter_sse_frames_dropped_total") == 1
    assert after["jupyter_sse_broker_up", frozenset({("broker", "redis")})] == 1
