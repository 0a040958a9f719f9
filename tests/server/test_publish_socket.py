"""``GET sse/publish/socket``: publishing over a kept-open WebSocket, with the publish
route's checks, and every refusal leaving the socket (or the server) as it was."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from jupyter_sse.server import publish_socket as publish_socket_module
from tests.support.metrics import delta, scrape
from tests.support.server import Server, wait_for
from tests.support.viewers import mint, open_link

GOOD = {"channel": "c", "type": "metric", "data": {"values": {"x": 1}}}


def socket_url(server: Server) -> str:
    return server.base.replace("http://", "ws://", 1) + "sse/publish/socket"


@asynccontextmanager
async def publish_socket(
    server: Server, token: str | None = None, **headers: str
) -> AsyncIterator[WebSocketClientConnection]:
    auth = {} if token == "" else {"Authorization": f"token {token or server.publish_token}"}
    request = HTTPRequest(socket_url(server), headers={**auth, **headers})
    conn = await websocket_connect(request)
    try:
        yield conn
    finally:
        conn.close()


async def exchange(conn: WebSocketClientConnection, body: Any) -> dict[str, Any]:
    await conn.write_message(body if isinstance(body, (str, bytes)) else json.dumps(body), True)
    answer = await asyncio.wait_for(conn.read_message(), 10)
    assert isinstance(answer, str), f"no answer: the socket closed ({conn.close_code})"
    value: dict[str, Any] = json.loads(answer)
    return value


async def refused_handshake(server: Server, **headers: str) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as raised:
        await websocket_connect(HTTPRequest(socket_url(server), headers=headers))
    response = raised.value.response
    assert response is not None
    return raised.value.code, json.loads(response.body)


async def test_each_message_is_published_and_answered_with_its_ids_in_order(
    server: Server,
) -> None:
    async with server.stream("c") as stream, publish_socket(server) as conn:
        await stream.next()  # the snapshot
        answered: list[str] = []
        for step in range(5):
            body = [{**GOOD, "data": {"step": step, "values": {"x": step}}}] * (step % 2 + 1)
            answer = await exchange(conn, body)
            answered += answer["ids"]
        got = await stream.take(len(answered))
    assert [e.id for e in got] == answered
    assert [e.envelope["data"]["step"] for e in got] == [0, 1, 1, 2, 3, 3, 4]
    assert (await server.channels())["c"]["events"] == 7


async def test_a_jupyter_token_publishes_as_its_user(server: Server) -> None:
    async with publish_socket(server, server.token) as conn:
        assert len((await exchange(conn, GOOD))["ids"]) == 1
    assert (await server.channels())["c"]["events"] == 1


@pytest.mark.parametrize("sse_config", [{"max_event_bytes": 1000}])
async def test_a_refused_message_changes_nothing_and_the_socket_stays_open(
    server: Server,
) -> None:
    async with publish_socket(server) as conn:
        refusals = {
            "{": (400, "not valid JSON"),
            json.dumps([GOOD, {**GOOD, "channel": "a b"}]): (400, "event 1: invalid channel"),
            json.dumps({**GOOD, "channel": "jupyter/x"}): (403, "only the server publishes"),
            json.dumps({**GOOD, "type": "blob", "data": "x" * 5000}): (413, "limit"),
        }
        for body, (status, words) in refusals.items():
            answer = await exchange(conn, body)
            assert answer["status"] == status, answer
            assert words in answer["error"]
            assert "ids" not in answer
        assert await server.channels() == {}
        assert len((await exchange(conn, GOOD))["ids"]) == 1
    assert (await server.channels())["c"]["events"] == 1


@pytest.mark.parametrize("sse_config", [{"publish_rate_limit": 2}])
async def test_the_rate_limit_answers_429_with_when_to_retry(server: Server) -> None:
    async with publish_socket(server) as conn:
        assert len((await exchange(conn, [GOOD, GOOD]))["ids"]) == 2
        answer = await exchange(conn, GOOD)
    assert answer["status"] == 429
    assert answer["retry_after"] >= 1
    assert (await server.channels())["c"]["events"] == 2


@pytest.mark.parametrize("sse_config", [{"max_event_bytes": 1000}])
async def test_a_message_over_the_largest_request_closes_only_its_socket(server: Server) -> None:
    body_bytes = server.app.services.limits.body_bytes
    async with publish_socket(server) as big, publish_socket(server) as other:
        await big.write_message(b"[" + b" " * body_bytes + b"]", True)
        assert await asyncio.wait_for(big.read_message(), 10) is None
        assert big.close_code == 1009
        assert len((await exchange(other, GOOD))["ids"]) == 1
    assert (await server.channels())["c"]["events"] == 1


async def test_the_handshake_needs_the_token_in_its_header(server: Server) -> None:
    """A page could open a WebSocket with its user's cookie (or a token in the URL); it
    can never set this header."""
    status, body = await refused_handshake(server)
    assert status == 401
    assert "Authorization: token" in body["error"]
    request = HTTPRequest(f"{socket_url(server)}?token={server.token}")
    with pytest.raises(HTTPClientError) as raised:
        await websocket_connect(request)
    assert raised.value.code == 401
    status, body = await refused_handshake(server, Authorization="token wrong")
    assert status == 401


async def test_a_plain_get_is_told_what_the_route_is(server: Server) -> None:
    r = await server.get("sse/publish/socket", headers={"Authorization": f"token {server.token}"})
    assert r.status_code == 400
    assert "is a WebSocket" in r.json()["error"]


async def test_a_viewer_link_cannot_publish(server: Server) -> None:
    share = await mint(server, ["c"])
    viewer = await open_link(share["url"])
    await viewer.aclose()
    token = share["url"].rpartition("token=")[2]
    status, body = await refused_handshake(server, Authorization=f"token {token}")
    assert status == 403
    assert "viewer token" in body["error"]


async def test_a_foreign_origin_is_refused(server: Server) -> None:
    status, _ = await refused_handshake(
        server, Authorization=f"token {server.publish_token}", Origin="https://evil.example"
    )
    assert status == 403


@pytest.mark.parametrize("sse_config", [{"max_connections_per_user": 2}])
async def test_sockets_count_against_the_connection_limits(server: Server) -> None:
    async with publish_socket(server) as first, publish_socket(server) as second:
        status, body = await refused_handshake(
            server, Authorization=f"token {server.publish_token}"
        )
        assert status == 429
        assert "connections per user" in body["error"]
        assert len((await exchange(first, GOOD))["ids"]) == 1
        assert len((await exchange(second, GOOD))["ids"]) == 1
    # Closed sockets are no longer counted.
    await wait_for(lambda: not server.app.services.publish_sockets, what="sockets forgotten")
    async with publish_socket(server) as third:
        assert len((await exchange(third, GOOD))["ids"]) == 1


@pytest.mark.parametrize("sse_config", [{}])
async def test_a_rotated_secret_ends_the_sockets_of_the_old_publish_token(
    server: Server,
) -> None:
    async with publish_socket(server) as conn:
        assert len((await exchange(conn, GOOD))["ids"]) == 1
        new = await server.rotate_secret()
        answer = await exchange(conn, GOOD)
        assert answer["status"] == 401
        assert await asyncio.wait_for(conn.read_message(), 10) is None
        assert conn.close_code == 4401
    assert (await server.channels())["c"]["events"] == 1
    async with publish_socket(server, new) as renewed:
        assert len((await exchange(renewed, GOOD))["ids"]) == 1


@pytest.mark.parametrize("sse_config", [{"max_publish_sockets": 1}])
async def test_a_server_holds_at_most_max_publish_sockets(server: Server) -> None:
    """Each socket may hold a message of the largest request: their number bounds that."""
    async with publish_socket(server) as first:
        status, body = await refused_handshake(
            server, Authorization=f"token {server.publish_token}"
        )
        assert status == 429
        assert "maximum of 1 publish sockets; POST sse/publish" in body["error"]
        assert len((await exchange(first, GOOD))["ids"]) == 1
        assert (await server.publish(GOOD)).status_code == 200


async def test_an_idle_socket_is_closed_and_a_message_restarts_its_idle_time(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel that stopped publishing does not hold one of ``max_publish_sockets``
    for ever: ``IDLE_CLOSE`` without a message (here shortened) closes its socket."""
    monkeypatch.setattr(publish_socket_module, "IDLE_CLOSE", 1.0)
    async with publish_socket(server) as conn:
        # Messages closer together than the idle time keep it open past it.
        for _ in range(4):
            assert len((await exchange(conn, GOOD))["ids"]) == 1
            await asyncio.sleep(0.4)
        assert conn.close_code is None
        assert await asyncio.wait_for(conn.read_message(), 5) is None
        assert conn.close_code == 1000
    await wait_for(lambda: not server.app.services.publish_sockets, what="the socket let go")
    assert (await server.channels())["c"]["events"] == 4


async def test_its_messages_are_timed_apart_from_posts(server: Server) -> None:
    before = await scrape(server)
    async with publish_socket(server) as conn:
        for _ in range(2):
            assert len((await exchange(conn, GOOD))["ids"]) == 1
    after = await scrape(server)
    count = "jupyter_sse_publish_request_seconds_count"
    assert delta(before, after, count, via="socket") == 2
    assert delta(before, after, count, via="post") == 0
