"""Webhooks against real HTTP receivers on 127.0.0.1, started by each test."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from traitlets import TraitError
from traitlets.config import Config

from jupyter_sse.server.app import SSEApp
from jupyter_sse.server.broker.redis import RedisBroker
from jupyter_sse.server.webhooks.config import parse_webhooks
from jupyter_sse.server.webhooks.delivery import WebhookStats
from jupyter_sse.server.webhooks.service import Webhooks
from tests.support.metrics import delta, scrape
from tests.support.receiver import Receiver
from tests.support.server import Server, wait_for

SECRET_PATH = "/services/T0/B0/SECRET-PATH"
SECRET_TOKEN = "SECRET-TOKEN"


@pytest.fixture
def receiver_options() -> dict[str, Any]:
    """How the test's receiver answers (override with parametrize): ``Receiver``'s options."""
    return {}


@pytest.fixture
def receiver(
    receiver_options: dict[str, Any], jp_asyncio_loop: asyncio.AbstractEventLoop
) -> Iterator[Receiver]:
    found = Receiver(**receiver_options)
    yield found
    jp_asyncio_loop.run_until_complete(found.stop())


@pytest.fixture
def hook() -> dict[str, Any]:
    """What a test's webhook entry adds to its url (override with parametrize)."""
    return {}


@pytest.fixture
def settings() -> dict[str, Any]:
    """Webhook settings of a test (override with parametrize)."""
    return {"webhook_retries": 3}


@pytest.fixture
def sse_config(
    receiver: Receiver, hook: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any]:
    entry = {"url": receiver.url + SECRET_PATH, **hook}
    return {"webhooks": [entry], "webhook_timeout": 30, **settings}


def stats(server: Server) -> WebhookStats:
    (found,) = server.app.webhook_senders.stats().values()
    return found


def notify(channel: str, **data: Any) -> dict[str, Any]:
    return {"channel": channel, "type": "notify", "data": data}


EXPECTED = {
    "slack": [
        {"text": "🚨 *run 1*\nloss &lt;diverged&gt;\n(train)"},
        {"text": "💬 *train*\ncheck it"},
    ],
    "discord": [
        {"content": "🚨 **run 1**\nloss <diverged>\n(train)", "allowed_mentions": {"parse": []}},
        {"content": "💬 **train**\ncheck it", "allowed_mentions": {"parse": []}},
    ],
    "ntfy": [
        {
            "topic": "alerts",
            "title": "run 1",
            "message": "loss <diverged>\n(train)",
            "priority": 5,
            "tags": ["rotating_light"],
        },
        {
            "topic": "alerts",
            "title": "train",
            "message": "check it",
            "priority": 3,
            "tags": ["information_source"],
        },
    ],
}


@pytest.mark.parametrize(
    "hook",
    [
        {"format": "generic", "secret": "s3cret"},
        {"format": "slack"},
        {"format": "discord"},
        {"format": "ntfy", "topic": "alerts"},
    ],
    ids=["generic", "slack", "discord", "ntfy"],
)
async def test_each_format_posts_the_events_of_its_filter_once(
    server: Server, receiver: Receiver, hook: dict[str, Any]
) -> None:
    receiver.start()
    ids = await server.publish_ok(
        notify("train", message="loss <diverged>", title="run 1", level="error"),
        notify("train", message="epoch done", level="info"),  # below the default levels
        {"channel": "train", "type": "log", "data": {"text": "x", "level": "error"}},  # a log
        notify("train", message="check it", alert=True),  # an alert passes at any level
    )
    await wait_for(lambda: stats(server).delivered == 2, timeout=30, what="two deliveries")
    first, second = receiver.received
    assert first.path == SECRET_PATH
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["X-Jupyter-Sse-Event-Id"] == ids[0]
    assert second.headers["X-Jupyter-Sse-Event-Id"] == ids[3]
    if hook["format"] != "generic":
        assert [first.json, second.json] == EXPECTED[hook["format"]]
        return
    assert first.json == {
        "id": ids[0],
        "channel": "train",
        "type": "notify",
        "ts": first.json["ts"],
        "data": {"message": "loss <diverged>", "title": "run 1", "level": "error"},
    }
    assert second.json["data"] == {"message": "check it", "alert": True}
    signature = hmac.new(b"s3cret", first.body, hashlib.sha256).hexdigest()
    assert first.headers["X-Jupyter-Sse-Signature"] == f"sha256={signature}"


@pytest.mark.parametrize(
    "hook", [{"channels": ["train/*"], "types": ["log", "status"], "levels": ["error"]}]
)
async def test_channels_types_and_levels_choose_the_events(
    server: Server, receiver: Receiver
) -> None:
    receiver.start()
    await server.publish_ok(
        {"channel": "train/a", "type": "log", "data": {"text": "one", "level": "error"}},
        {"channel": "train/a", "type": "log", "data": {"text": "warn", "level": "warning"}},
        {"channel": "other", "type": "log", "data": {"text": "elsewhere", "level": "error"}},
        notify("train/a", message="not a chosen type", level="error"),
        {"channel": "train/b", "type": "status", "data": {"key": "phase", "value": "eval"}},
    )
    await wait_for(lambda: stats(server).delivered == 2, timeout=30, what="two deliveries")
    assert [(r.json["channel"], r.json["type"]) for r in receiver.received] == [
        ("train/a", "log"),
        ("train/b", "status"),
    ]


async def test_a_receiver_that_is_down_gets_the_event_once_it_is_up(
    server: Server, receiver: Receiver
) -> None:
    (cursor,) = await server.publish_ok(notify("train", message="lost?", level="error"))
    await wait_for(lambda: stats(server).retried >= 1, timeout=30, what="a failed attempt")
    assert receiver.received == []
    receiver.start()
    await wait_for(lambda: stats(server).delivered == 1, timeout=30, what="the retry")
    (later,) = await server.publish_ok(notify("train", message="next", level="error"))
    await wait_for(lambda: stats(server).delivered == 2, timeout=30, what="the next one")
    assert [r.json["id"] for r in receiver.received] == [cursor, later]  # once each
    assert stats(server).failed == 0


@pytest.mark.parametrize("receiver_options", [{"hang": True}])
async def test_a_receiver_that_hangs_does_not_slow_the_streams(
    server: Server, receiver: Receiver
) -> None:
    receiver.start()
    async with server.stream("train") as s:
        await s.next()
        await server.publish_ok(notify("train", message="stuck", level="error"))
        await wait_for(lambda: receiver.hanging == 1, timeout=30, what="the POST to hang")
        metrics = [
            {"channel": "train", "type": "metric", "data": {"step": i, "values": {"x": i}}}
            for i in range(200)
        ]
        await server.publish_ok(*metrics)
        received = await s.take(201)
        # Every event reached the stream while the webhook's POST was still held open.
        assert receiver.hanging == 1
        assert stats(server).delivered == 0
    assert [e.envelope["data"]["step"] for e in received[1:]] == list(range(200))


@pytest.mark.parametrize(
    ("hook", "receiver_options", "settings"),
    [
        (
            {"headers": {"Authorization": f"Bearer {SECRET_TOKEN}"}},
            {"status": 503},
            {"webhook_retries": 1},
        )
    ],
)
async def test_a_failing_receiver_is_retried_then_given_up_and_no_secret_is_logged(
    server: Server, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    receiver.start()
    await server.publish_ok(notify("train", message="down", level="error"))
    await wait_for(lambda: stats(server).failed == 1, timeout=30, what="giving up")
    assert len(receiver.received) == 2  # the first attempt and one retry
    assert receiver.received[0].headers["Authorization"] == f"Bearer {SECRET_TOKEN}"
    logged = caplog.text
    assert "generic webhook 0 (http://127.0.0.1:" in logged
    assert "not delivered: 2 attempts failed" in logged
    for secret in ("SECRET-PATH", SECRET_TOKEN):
        assert secret not in logged


@pytest.mark.parametrize("receiver_options", [{"status": 404}])
async def test_a_refusal_is_final(server: Server, receiver: Receiver) -> None:
    receiver.start()
    await server.publish_ok(notify("train", message="gone", level="error"))
    await wait_for(lambda: stats(server).failed == 1, timeout=30, what="giving up")
    assert len(receiver.received) == 1
    assert stats(server).retried == 0


@pytest.mark.parametrize("broker_kind", ["redis"])
async def test_servers_sharing_a_redis_deliver_each_event_once(
    server: Server, receiver: Receiver
) -> None:
    """Every server sees every event through Redis; one of them claims each delivery."""
    receiver.start()
    other_broker = RedisBroker(server.app.redis_url)
    await other_broker.start()
    (entry,) = server.app.webhooks
    other = Webhooks(
        other_broker,
        parse_webhooks([entry]),
        queue_size=10,
        timeout=30,
        retries=3,
        log=logging.getLogger("other-server"),
    )
    try:
        await server.get("sse/health", headers=server.auth)  # starts this server's side
        await other.start()
        ids = await server.publish_ok(
            *(notify("train", message=f"alert {i}", level="error") for i in range(5))
        )

        def settled(found: WebhookStats) -> bool:
            return found.delivered + found.skipped == 5

        (theirs,) = other.stats().values()
        await wait_for(lambda: settled(stats(server)) and settled(theirs), timeout=30)
    finally:
        await other.stop()
        await other_broker.close()
    assert sorted(r.json["id"] for r in receiver.received) == sorted(ids)
    assert stats(server).delivered + theirs.delivered == 5


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"url": "ftp://example.com/x"}, "'url' must be an http:// or https:// URL"),
        ({"url": "https://ntfy.sh", "format": "ntfy"}, "the ntfy format needs a 'topic'"),
        ({"url": "https://x.org", "format": "teams"}, "'format' must be one of"),
        ({"url": "https://x.org", "chanels": ["a"]}, "unknown key(s) ['chanels']"),
        ({"url": "https://x.org", "channels": ["a b"]}, "invalid channel 'a b'"),
        ({"url": "https://x.org", "levels": ["loud"]}, "'levels' must be some of"),
        ({"url": "https://x.org", "headers": {"X": "a\r\nb"}}, "may not contain line breaks"),
    ],
)
def test_a_mistaken_webhook_entry_is_refused_with_its_index(
    entry: dict[str, Any], message: str
) -> None:
    with pytest.raises(TraitError) as raised:
        SSEApp(webhooks=[{"url": "https://ok.example.com/hook"}, entry])
    assert "c.SSEApp.webhooks[1]" in str(raised.value)
    assert message in str(raised.value)


def test_the_example_config_is_valid_with_its_webhooks_uncommented() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "jupyter_server_config.py"
    text = example.read_text()
    # Uncommented, the example's webhook entries are what a user would write.
    uncommented = re.sub(r"^    # ", "    ", text, flags=re.MULTILINE)
    config = Config()
    exec(compile(uncommented, str(example), "exec"), {"get_config": lambda: config})
    app = SSEApp(config=config)
    assert [hook.format for hook in parse_webhooks(app.webhooks)] == ["slack", "discord", "ntfy"]
    assert app.system_interval == 2


async def test_webhook_outcomes_are_counted_on_metrics(server: Server, receiver: Receiver) -> None:
    receiver.start()
    await server.app.services.start()
    before = await scrape(server)
    await server.publish_ok(notify("train", message="diverged", level="error"))
    await wait_for(lambda: stats(server).delivered == 1, 30, "the delivery")
    after = await scrape(server)
    assert delta(before, after, "jupyter_sse_webhook_deliveries_total", outcome="delivered") == 1
    assert delta(before, after, "jupyter_sse_webhook_deliveries_total", outcome="failed") == 0
