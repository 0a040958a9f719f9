"""Each hole an attacker's review found, closed: no 500s, bounded bodies and channels,
limits counted per credential, logs without tokens, links that stay with their server.

Every test runs against a real server on both brokers; each is named after what it
closes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from jupyter_sse.server import tokens
from tests.support.raw_http import raw_request
from tests.support.server import Server, wait_for
from tests.support.sse_client import StreamReader
from tests.support.viewers import mint, open_link

GOOD = {"channel": "c", "type": "log", "data": {"text": "ok"}}


async def assert_nothing_published(server: Server) -> None:
    assert await server.channels() == {}


# --- errors that were 500s --------------------------------------------------------------


async def test_deeply_nested_arrays_are_a_400_not_a_recursion_error(server: Server) -> None:
    """100,000 nested arrays raised RecursionError in the JSON parser: a 500."""
    body = b"[" * 100_000 + b"]" * 100_000
    r = await server.publish(body)
    assert r.status_code == 400, r.text
    assert "nested too deeply" in r.json()["error"]
    # Deep enough to pass the parser and fail the encoder of the frame.
    nested = '{"channel": "c", "type": "x", "data": ' + "[" * 5000 + "]" * 5000 + "}"
    r = await server.publish(nested)
    assert r.status_code == 400, r.text
    await assert_nothing_published(server)


async def test_a_lone_surrogate_is_a_400_not_a_unicode_error(server: Server) -> None:
    """JSON can spell "\\ud800", UTF-8 cannot carry it: encoding the frame raised."""
    r = await server.publish('{"channel": "c", "type": "log", "data": {"text": "\\ud800"}}')
    assert r.status_code == 400, r.text
    assert "surrogate" in r.json()["error"]
    await assert_nothing_published(server)


async def test_a_cursor_with_a_superscript_digit_gets_a_reset_not_a_traceback(
    server: Server,
) -> None:
    """'²' passes str.isdigit and fails int(): the stream was cut with a traceback."""
    (cursor,) = await server.publish_ok(GOOD)
    epoch = cursor.rpartition("-")[0]
    async with server.stream("c", last_event_id=f"{epoch}-²") as s:
        assert s.response is not None
        assert s.response.status_code == 200
        first = await s.next()
        assert first.event == "reset"
        assert (await s.next()).event == "snapshot"


async def test_a_content_length_that_is_not_ascii_digits_is_a_413(server: Server) -> None:
    url = urlsplit(server.base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(
        (
            f"POST {url.path}sse/publish HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: token {server.token}\r\nContent-Length: ²\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert status.split()[1] in (b"400", b"413"), status


async def test_a_non_utf8_query_value_on_the_link_exchange_is_not_a_500(server: Server) -> None:
    """`&x=%ff` on the viewer-link exchange raised UnicodeDecodeError: a 500."""
    share = await mint(server, ["c"])
    async with httpx.AsyncClient(timeout=10) as viewer:
        r = await viewer.get(share["url"] + "&x=%ff&y=ok")
        assert r.status_code == 302, r.text
        assert r.headers["location"].endswith("channel=c&y=ok")


# --- bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize("sse_config", [{"max_request_bytes": 300_000}])
async def test_a_body_over_max_request_bytes_is_refused_before_it_is_read(
    server: Server,
) -> None:
    """A 100 MB body was parsed whole before its 413: its Content-Length now decides."""
    url = urlsplit(server.base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(
        (
            f"POST {url.path}sse/publish HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: token {server.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {100 * 1024 * 1024}\r\n\r\n"
        ).encode()
    )
    await writer.drain()  # not a byte of the body is sent: the answer comes anyway
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 413"), head
    body = await asyncio.wait_for(reader.read(4096), 5)
    assert b"max_request_bytes" in body
    writer.close()
    await assert_nothing_published(server)


@pytest.mark.parametrize("sse_config", [{"max_request_bytes": 300_000}])
async def test_a_chunked_body_that_runs_past_the_limit_is_cut(server: Server) -> None:
    """Without a Content-Length the server stops reading at the limit."""

    async def chunks() -> Any:
        for _ in range(100):
            yield b" " * 10_000

    try:
        r = await server.client.post(
            server.base + "sse/publish", content=chunks(), headers=server.auth
        )
    except httpx.HTTPError:
        pass  # the server closed the connection in the middle of the body: refused
    else:
        assert r.status_code in (400, 413), r.text
    await assert_nothing_published(server)
    assert (await server.publish([GOOD])).status_code == 200  # the server is fine


@pytest.mark.parametrize("sse_config", [{"max_concurrent_publishes": 1}])
async def test_publish_bodies_read_at_once_are_bounded(server: Server) -> None:
    url = urlsplit(server.base)
    _reader, writer = await asyncio.open_connection(url.hostname, url.port)
    # A request that sends its headers and then only half its body: it is being read.
    writer.write(
        (
            f"POST {url.path}sse/publish HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: token {server.token}\r\nContent-Length: 100\r\n\r\n["
        ).encode()
    )
    await writer.drain()
    await wait_for(lambda: server.app.services.publishing == 1, what="the slow body to count")
    r = await server.publish([GOOD])
    assert r.status_code == 429, r.text
    assert r.headers["Retry-After"] == "1"
    writer.close()
    await wait_for(lambda: server.app.services.publishing == 0, what="the slow body to end")
    assert (await server.publish([GOOD])).status_code == 200


# --- channels ---------------------------------------------------------------------------


@pytest.mark.parametrize("broker_kind", ["memory"])
@pytest.mark.parametrize("sse_config", [{"max_channels": 3}])
async def test_channels_beyond_max_channels_evict_the_idle_longest(server: Server) -> None:
    """100,000 distinct names were all kept, never freed: the count is bounded now."""
    for name in ("a", "b", "c"):
        await server.publish_ok({**GOOD, "channel": name})
    async with server.stream("a") as watched:
        await watched.next()  # "a" is watched: never evicted
        await server.publish_ok({**GOOD, "channel": "d"})
        assert sorted(await server.channels()) == ["a", "c", "d"]  # "b" was idle longest
        for i in range(50):
            await server.publish_ok({**GOOD, "channel": f"n{i}"})
        assert len(await server.channels()) == 3
        assert "a" in await server.channels()


@pytest.mark.parametrize("broker_kind", ["memory"])
@pytest.mark.parametrize("sse_config", [{"max_channels": 2}])
async def test_when_every_channel_is_watched_a_new_one_is_a_429(server: Server) -> None:
    await server.publish_ok({**GOOD, "channel": "a"}, {**GOOD, "channel": "b"})
    async with server.stream("a", "b") as s:
        await s.take(2)
        r = await server.publish([{**GOOD, "channel": "new"}, {**GOOD, "channel": "a"}])
        assert r.status_code == 429, r.text
        assert "max_channels" in r.json()["error"]
        assert await s.no_event()  # nothing of the refused batch was published
    assert sorted(await server.channels()) == ["a", "b"]


@pytest.mark.parametrize("broker_kind", ["memory"])
@pytest.mark.parametrize("sse_config", [{"history_ttl": 60}])
async def test_idle_channels_expire_after_the_history_ttl(server: Server) -> None:
    await server.publish_ok({**GOOD, "channel": "old"}, {**GOOD, "channel": "watched"})
    broker = server.app.services.broker
    async with server.stream("watched") as s:
        await s.next()
        later = broker._channels["old"].last_ts + 61  # a minute on, in the broker's eyes
        assert broker.expire_idle(later) == 1
        assert sorted(await server.channels()) == ["watched"]
    await wait_for(lambda: broker.subscriber_count() == 0, what="the stream to end")
    assert broker.expire_idle(later) == 1  # nobody watches it any more
    assert await server.channels() == {}


async def test_a_viewer_link_lists_only_its_channels(server: Server) -> None:
    """sse/channels walked every channel even for a link that covers none of them."""
    await server.publish_ok(*[{**GOOD, "channel": f"noise/{i}"} for i in range(200)])
    await server.publish_ok({**GOOD, "channel": "train/a"}, {**GOOD, "channel": "train/b"})
    share = await mint(server, ["train/*", "exact", "nothing/*"])
    viewer = await open_link(share["url"])
    try:
        rows = (await viewer.get(server.base + "sse/channels")).json()
        assert [r["channel"] for r in rows] == ["train/a", "train/b"]
    finally:
        await viewer.aclose()


# --- limits count credentials, not names ------------------------------------------------


@pytest.mark.parametrize("sse_config", [{"max_connections_per_user": 2}])
async def test_token_requests_without_a_cookie_share_one_stream_limit(server: Server) -> None:
    """jupyter_server names each cookie-less token request anew: 7 streams passed a limit
    of 3, because the limit counted names."""
    async with server.stream("c") as a, server.stream("c") as b:
        assert a.response is not None
        assert a.response.status_code == 200
        assert b.response is not None
        assert b.response.status_code == 200
        async with server.stream("c") as third:
            assert third.response is not None
            assert third.response.status_code == 429


@pytest.mark.parametrize("sse_config", [{"publish_rate_limit": 5}])
async def test_the_rate_limit_holds_for_token_requests_without_a_cookie(server: Server) -> None:
    """30 of 30 publishes passed a limit of 5/s: each request was a new "user"."""
    codes = [(await server.publish([GOOD])).status_code for _ in range(12)]
    assert codes.count(200) <= 6
    assert 429 in codes


@pytest.mark.parametrize("sse_config", [{"publish_rate_limit": 2}])
async def test_each_kernel_has_its_own_publish_bucket(server: Server) -> None:
    """All kernels shared one "publisher" bucket: one busy kernel starved the others."""
    tokens_ = server.app.services.publish_token
    first = {"Authorization": f"token {tokens_.mint('kernel-a')}"}
    second = {"Authorization": f"token {tokens_.mint('kernel-b')}"}
    assert (await server.publish([GOOD, GOOD], headers=first)).status_code == 200
    assert (await server.publish([GOOD], headers=first)).status_code == 429
    assert (await server.publish([GOOD, GOOD], headers=second)).status_code == 200


async def test_a_forged_kernel_publish_token_is_refused(server: Server) -> None:
    real = server.app.services.publish_token.mint("kernel-a")
    forged = real.rpartition(".")[0].replace("kernel-a", "kernel-b") + "." + real.rpartition(".")[2]
    r = await server.publish([GOOD], headers={"Authorization": f"token {forged}"})
    assert r.status_code == 401
    await assert_nothing_published(server)


@pytest.mark.parametrize("sse_config", [{"max_streams_per_link": 2}])
async def test_a_viewer_link_holds_at_most_max_streams_per_link(server: Server) -> None:
    """One read-only link could open 100 streams."""
    share = await mint(server, ["c"])
    viewer = await open_link(share["url"])
    try:
        url = server.base + "sse/stream"
        async with (
            StreamReader(viewer, url, params={"channel": "c"}) as a,
            StreamReader(viewer, url, params={"channel": "c"}) as b,
            StreamReader(viewer, url, params={"channel": "c"}) as c,
        ):
            assert [s.response.status_code for s in (a, b, c) if s.response] == [200, 200, 429]
            assert c.response is not None
            assert "this link" in c.response.json()["error"]
        # Another link is counted apart.
        other = await open_link((await mint(server, ["c"]))["url"])
        async with StreamReader(other, url, params={"channel": "c"}) as d:
            assert d.response is not None
            assert d.response.status_code == 200
        await other.aclose()
    finally:
        await viewer.aclose()


# --- logs ---------------------------------------------------------------------------------


async def test_an_unexpected_error_logs_no_token(
    server: Server, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tornado logged repr(request) on a 500: `uri='/sse/publish?token=…'` with the token."""

    async def broken(events: Any) -> list[str]:
        raise RuntimeError("a bug in a broker")

    monkeypatch.setattr(server.app.services.broker, "publish", broken)
    caplog.set_level(logging.DEBUG)
    r = await server.client.post(
        server.base + f"sse/publish?token={server.token}", json=GOOD, headers={}
    )
    assert r.status_code == 500
    # What the server logged (the test's own HTTP client logs its URL, token and all).
    server_log = [rec for rec in caplog.records if not rec.name.startswith(("httpx", "httpcore"))]
    assert any("a bug in a broker" in (rec.exc_text or "") for rec in server_log)
    logged = "\n".join(rec.getMessage() + (rec.exc_text or "") for rec in server_log)
    assert "sse/publish?token=[secret]" in logged
    assert server.token not in logged


# --- links stay with their server -------------------------------------------------------


async def test_a_link_of_another_server_with_the_same_secret_is_refused(server: Server) -> None:
    """Every server of one user read the same secret file: a link of A opened C."""
    services = server.app.services
    elsewhere = tokens.mint(
        services.viewer_secret.current(), ["c"], 60, audience="server:http://127.0.0.1:1/"
    )
    async with httpx.AsyncClient(timeout=10) as viewer:
        r = await viewer.get(
            server.base + "sse/channels", headers={"Authorization": f"token {elsewhere}"}
        )
        assert r.status_code == 403
        assert "another server" in r.json()["error"]


async def test_the_viewer_cookie_is_named_for_its_server(server: Server) -> None:
    """Two servers on one host overwrote each other's cookie (cookies ignore ports)."""
    share = await mint(server, ["c"])
    async with httpx.AsyncClient(timeout=10) as viewer:
        r = await viewer.get(share["url"])
        cookie = r.headers["set-cookie"]
        assert cookie.startswith(server.app.services.viewer_cookie + "=")
        assert server.app.services.viewer_cookie != tokens.cookie_name("server:elsewhere")


async def test_two_links_opened_in_one_browser_both_keep_working(server: Server) -> None:
    """A second link overwrote the first one's cookie: the first page lost its channels."""
    await server.publish_ok({**GOOD, "channel": "a"}, {**GOOD, "channel": "b"})
    first = await mint(server, ["a"])
    second = await mint(server, ["b"])
    viewer = await open_link(first["url"])
    try:
        r = await viewer.get(second["url"])
        assert r.status_code == 302
        for channel in ("a", "b"):
            async with StreamReader(
                viewer, server.base + "sse/stream", params={"channel": channel}
            ) as s:
                assert s.response is not None
                assert s.response.status_code == 200
                assert (await s.next()).envelope["channel"] == channel
        rows = (await viewer.get(server.base + "sse/channels")).json()
        assert [r["channel"] for r in rows] == ["a", "b"]
        async with StreamReader(
            viewer, server.base + "sse/stream", params={"channel": "secret"}
        ) as s:
            assert s.response is not None
            assert s.response.status_code == 403
    finally:
        await viewer.aclose()


# --- first frames within the buffer bound ------------------------------------------------

LIMIT = 64 * 1024


@pytest.mark.parametrize("broker_kind", ["memory"])
@pytest.mark.parametrize(
    "sse_config", [{"client_buffer_bytes": LIMIT, "history_bytes": 4 * 1024 * 1024}]
)
async def test_a_slow_resume_over_a_long_history_stays_within_the_buffer(server: Server) -> None:
    """The first frames (a replay) ignored client_buffer_bytes: 30 slow resumes over 10 MB
    of history grew the server by 215 MB. They are pulled as the client reads now."""
    blob = {"channel": "h", "type": "blob", "data": "x" * 2000}
    ids: list[str] = []
    for _ in range(15):
        ids += await server.publish_ok(*[blob] * 100)  # 3 MB of history
    start = ids[0].rpartition("-")[0] + "-0"
    path = urlsplit(server.base).path
    sock = await raw_request(
        server,
        f"GET {path}sse/stream?channel=h HTTP/1.1",
        f"Last-Event-ID: {start}\r\n\r\n",
        rcvbuf=4096,
    )
    loop = asyncio.get_running_loop()
    assert (await loop.sock_recv(sock, 1024)).startswith(b"HTTP/1.1 200")
    connections = server.app.services.connections
    await wait_for(lambda: len(connections) == 1, what="the stream to register")
    (conn,) = list(connections)
    await asyncio.sleep(0.2)
    # The replay waits in the broker's history, not in this stream's buffers.
    assert conn.buffered <= 256 * 1024 + 4096
    # Live events pile up behind the replay until they pass the limit: then it is cut.
    for _ in range(2000):  # bounded: a server that never cuts fails instead of hanging
        await server.publish_ok(*[blob] * 10)
        if conn.closed:
            break
        assert conn.buffered <= LIMIT + 256 * 1024 + 10 * 2200
    assert conn.closed
    assert "slow client" in (conn.close_reason or "")
    sock.close()


@pytest.mark.parametrize("sse_config", [{"client_buffer_bytes": LIMIT}])
async def test_a_reader_gets_a_long_replay_whole_and_then_live_events(server: Server) -> None:
    """Pulled in batches, the replay is still every missed event once, in order, then live."""
    blob = {"channel": "r", "type": "blob", "data": "y" * 500}
    (first,) = await server.publish_ok({**blob, "data": "first"})
    ids = []
    for _ in range(6):
        ids += await server.publish_ok(*[blob] * 100)  # 300 KB: several batches
    async with server.stream("r", last_event_id=first) as s:
        replay = await s.take(600, timeout=10)
        assert [e.id for e in replay] == ids
        (live,) = await server.publish_ok({**blob, "data": "live"})
        event = await s.next()
        assert (event.id, event.envelope["data"]) == (live, "live")
