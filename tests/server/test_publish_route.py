"""``POST sse/publish``: what is accepted, and that every refusal changes nothing."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from jupyter_server.base.handlers import log as jupyter_log
from prometheus_client import REGISTRY

from tests.support.server import Server

GOOD = {"channel": "c", "type": "metric", "data": {"values": {"x": 1}}}


async def test_single_event_and_batch_return_ids_in_order(server: Server) -> None:
    one = await server.publish(GOOD)
    assert one.status_code == 200
    assert len(one.json()["ids"]) == 1
    ids = await server.publish_ok(*[GOOD] * 3)
    assert len(set(ids)) == 3
    assert (await server.channels())["c"]["events"] == 4


async def test_idempotency_key_publishes_once(server: Server) -> None:
    """A publisher that retries a batch after a lost response must not publish it twice."""
    event = {**GOOD, "id": "p1-42"}
    first = await server.publish_ok(event)
    again = await server.publish_ok(event)
    assert first == again
    assert (await server.channels())["c"]["events"] == 1


BAD_BODIES: dict[str, tuple[Any, int, str]] = {
    "malformed json": ('{"channel": ', 400, "not valid JSON"),
    "nan": ('{"channel":"c","type":"metric","data":{"values":{"x":NaN}}}', 400, "NaN"),
    "not an object": ("[1]", 400, "must be an object"),
    "empty batch": ("[]", 400, "empty batch"),
    "missing data": ({"channel": "c", "type": "t"}, 400, "missing"),
    "unknown field": ({**GOOD, "extra": 1}, 400, "unknown field"),
    # The broker trusts data_json from validation; a client must not be able to set it.
    "forged data_json": ({**GOOD, "data_json": '{"values":{"x":9}}'}, 400, "unknown field"),
    "channel not a string": ({**GOOD, "channel": 5}, 400, "invalid channel"),
    "bad channel name": ({**GOOD, "channel": "a b"}, 400, "invalid channel"),
    "newline in type": ({**GOOD, "type": "metric\nevent: x"}, 400, "invalid type"),
    "reserved type": ({**GOOD, "type": "reset"}, 400, "reserved"),
    "wrong data shape": ({**GOOD, "data": {"values": "x"}}, 400, "values"),
    "bad id": ({**GOOD, "id": "a\nb"}, 400, "id must be"),
    "one bad in a batch": ([GOOD, GOOD, {**GOOD, "channel": ""}], 400, "event 2"),
    # Names are checked once per batch: a name seen as a channel is not thereby a type.
    "bad type after its name as a channel": (
        [GOOD, {**GOOD, "channel": "reset"}, {**GOOD, "type": "reset"}],
        400,
        "event 2: type 'reset' is reserved",
    ),
    "bad channel after good ones": ([GOOD, {**GOOD, "channel": "c d"}], 400, "event 1"),
    "oversize": ({**GOOD, "type": "blob", "data": "x" * 2000}, 413, "limit"),
    "batch too long": ([GOOD] * 1001, 413, "at most 1000"),
}


@pytest.mark.parametrize("sse_config", [{"max_event_bytes": 1024}])
@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_bad_input_is_refused_and_changes_nothing(server: Server, case: str) -> None:
    body, status, message = BAD_BODIES[case]
    async with server.stream("c") as s:
        await s.next()  # snapshot
        r = await server.publish(body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/json"
        assert r.json()["status"] == status
        assert message in r.json()["error"]
        assert await s.no_event(0.2)
    assert "c" not in await server.channels()


OUT_OF_RANGE = {
    "float in custom data": '{"channel":"c","type":"blob","data":{"x":1e999}}',
    "integer metric value": '{"channel":"c","type":"metric","data":{"values":{"x":1%s}}}'
    % ("0" * 400),
}


@pytest.mark.parametrize("case", list(OUT_OF_RANGE))
async def test_out_of_range_numbers_are_refused_not_a_server_error(
    server: Server, case: str
) -> None:
    """A number beyond the float range (Infinity to a browser) was answered 500, which a
    publisher retries forever; it is refused with 400 and changes nothing."""
    r = await server.publish(OUT_OF_RANGE[case])
    assert r.status_code == 400, r.text
    assert r.json()["error"].startswith("event 0: ")
    assert "c" not in await server.channels()


@pytest.mark.parametrize("sse_config", [{"max_event_bytes": 1024}])
async def test_whole_body_larger_than_any_batch_is_413(server: Server) -> None:
    r = await server.publish(b"[" + b" " * (1024 * 1000 + 10) + b"]")
    assert r.status_code == 413


@pytest.mark.parametrize("sse_config", [{"publish_rate_limit": 10}])
async def test_rate_limit_answers_429_with_retry_after(server: Server) -> None:
    await server.publish_ok(*[GOOD] * 10)
    r = await server.publish([GOOD] * 5)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert "rate limit" in r.json()["error"]
    assert (await server.channels())["c"]["events"] == 10


async def test_channels_lists_counts_and_times(server: Server) -> None:
    await server.publish_ok(GOOD, {**GOOD, "channel": "d"})
    async with server.stream("c") as s:
        await s.next()
        rows = await server.channels()
    assert rows["c"]["subscribers"] == 1
    assert rows["d"]["subscribers"] == 0
    assert rows["c"]["events"] == 1
    assert isinstance(rows["c"]["last_event"], float)


async def test_health(server: Server) -> None:
    r = await server.get("sse/health", headers=server.auth)
    assert r.status_code == 200
    body = json.loads(r.text)
    assert body["state"] == "ok"
    assert body["broker"] in ("memory", "redis")
    assert body["connections"] == 0


def publish_requests_timed() -> float:
    """Publishes that jupyter_server's request-duration metric has counted."""
    labels = {
        "method": "POST",
        "handler": "jupyter_sse.server.handlers.PublishHandler",
        "status_code": "200",
    }
    return REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) or 0.0


async def test_a_publish_is_logged_where_debug_is_shown_and_always_timed(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """jupyter_server logs each successful request at DEBUG. The publish route makes that
    record only when a handler would show it (at 1,000 publishes/s, making it for the
    handlers to drop cost a tenth of the server's time); the request-duration metric
    counts every publish."""
    app_log = jupyter_log()  # the handlers' logger
    made: list[str] = []  # every record the logger is handed, before any handler's level

    def note(record: logging.LogRecord) -> bool:
        line = record.getMessage()
        if line.startswith("200 POST ") and "sse/publish" in line:
            made.append(line)
        return True

    before = publish_requests_timed()
    # Every handler the record could reach at INFO, as on a server run at that level
    # (pytest's own handlers take every level).
    levels = [(h, h.level) for h in (*app_log.handlers, *logging.getLogger().handlers)]
    app_log.addFilter(note)
    try:
        for handler, _ in levels:
            handler.setLevel(logging.INFO)
        await server.publish_ok(GOOD)
        assert made == []
        assert publish_requests_timed() == before + 1
        caplog.handler.setLevel(logging.DEBUG)  # one handler shows DEBUG: the line is made
        await server.publish_ok(GOOD)
    finally:
        app_log.removeFilter(note)
        for handler, level in levels:
            handler.setLevel(level)
    assert len(made) == 1
    assert made[0] in [r.getMessage() for r in caplog.records]
    assert publish_requests_timed() == before + 2
