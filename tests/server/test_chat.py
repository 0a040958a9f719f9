"""``sse/chat`` against a real server, on both brokers: who may write, what they write,
and what every stream of the channel receives."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.support.server import Server
from tests.support.sse_client import Event, StreamReader
from tests.support.viewers import mint, open_link

HTML = '<script>alert("x")</script><b>bold</b> &amp; <img src=x onerror=alert(1)>'


async def say(
    server: Server,
    channel: str,
    text: Any,
    *,
    client: httpx.AsyncClient | None = None,
    method: str = "POST",
    **fields: Any,
) -> httpx.Response:
    """A chat request as the server's Jupyter user (or as ``client``, a viewer)."""
    body = {"channel": channel, **({"text": text} if text is not None else {}), **fields}
    headers = server.auth if client is None else {}
    return await (client or server.client).request(
        method, server.base + "sse/chat", json=body, headers=headers
    )


async def me(server: Server) -> dict[str, Any]:
    """The Jupyter user the test client is, as jupyter_server names it."""
    r = await server.client.get(server.base + "api/me", headers=server.auth)
    identity: dict[str, Any] = r.json()["identity"]
    return identity


@asynccontextmanager
async def viewer(server: Server, channels: list[str], **options: Any) -> AsyncIterator[Any]:
    """A person in a fresh browser who opened a link for ``channels``."""
    share = await mint(server, channels, **options)
    client = await open_link(share["url"])
    try:
        yield client, share
    finally:
        await client.aclose()


def viewer_stream(server: Server, client: httpx.AsyncClient, *channels: str) -> StreamReader:
    return StreamReader(
        client, server.base + "sse/stream", params=[("channel", c) for c in channels]
    )


async def chat_event(stream: StreamReader) -> Event:
    event = await stream.next()
    assert event.event == "chat", event
    return event


async def test_a_users_message_reaches_every_stream_once_with_its_author(server: Server) -> None:
    await server.publish_ok(
        {"channel": "talk/run", "type": "status", "data": {"key": "k", "value": 1}}
    )
    async with (
        viewer(server, ["talk/*"]) as (browser, share),
        server.stream("talk/run") as named,
        server.stream("talk/*") as pattern,
        viewer_stream(server, browser, "talk/run") as theirs,
    ):
        streams = (named, pattern, theirs)
        for stream in streams:
            assert (await stream.next()).event == "snapshot"
        before = time.time()
        r = await say(server, "talk/run", "loss spiked at step 4k")
        assert r.status_code == 200, r.text
        sent = r.json()
        user = await me(server)
        for stream in streams:
            event = await chat_event(stream)
            assert event.id == sent["event_id"]
            envelope = event.envelope
            assert envelope["channel"] == "talk/run"
            data = envelope["data"]
            assert data["id"] == sent["id"]
            assert data["text"] == "loss spiked at step 4k"
            assert data["author"]["kind"] == "user"
            assert data["author"]["name"] == user["username"]
            assert data["author"]["display_name"] == user["display_name"]
            assert before - 1 <= data["ts"] <= time.time() + 1
            assert "reply_to" not in data
            assert await stream.no_event()
        assert share["token"] not in "\n".join(theirs.lines)


async def test_a_forged_author_kind_or_time_is_replaced(server: Server) -> None:
    async with server.stream("talk") as stream:
        await stream.next()
        forged = {"name": "root", "display_name": "The Admin", "kind": "kernel"}
        r = await say(server, "talk", "hello", author=forged, kind="kernel", ts=0)
        assert r.status_code == 200, r.text
        data = (await chat_event(stream)).envelope["data"]
    user = await me(server)
    assert data["author"] == {
        "name": user["username"],
        "display_name": user["display_name"],
        "kind": "user",
        **({"color": user["color"]} if user.get("color") else {}),
    }
    assert data["ts"] > time.time() - 60


async def test_a_reply_names_the_message_it_answers(server: Server) -> None:
    async with server.stream("talk") as stream:
        await stream.next()
        first = (await say(server, "talk", "question")).json()
        r = await say(server, "talk", "answer", reply_to=first["id"])
        assert r.status_code == 200, r.text
        await chat_event(stream)
        assert (await chat_event(stream)).envelope["data"]["reply_to"] == first["id"]


async def test_a_link_without_comment_may_not_chat_and_nothing_is_published(
    server: Server,
) -> None:
    async with viewer(server, ["talk"]) as (browser, _), server.stream("talk") as stream:
        await stream.next()
        r = await say(server, "talk", "let me in", client=browser)
        assert r.status_code == 403
        assert "may read but not chat" in r.json()["error"]
        assert await stream.no_event()
    assert "talk" not in await server.channels()


async def test_a_comment_link_posts_as_its_label_on_its_channels_only(server: Server) -> None:
    async with (
        viewer(server, ["talk/*"], comment=True, label="Dana (review)") as (browser, share),
        server.stream("talk/*", "other") as stream,
    ):
        assert share["comment"] is True
        assert share["label"] == "Dana (review)"
        await stream.next()  # the snapshot of "other"
        r = await say(server, "talk/a", "looks good", client=browser)
        assert r.status_code == 200, r.text
        author = (await chat_event(stream)).envelope["data"]["author"]
        assert author["display_name"] == "Dana (review)"
        assert author["kind"] == "viewer"
        assert author["name"].startswith("viewer:")
        assert share["token"] not in str(author)
        for channel in ("other", "talkative", "jupyter/system"):
            r = await say(server, channel, "out of scope", client=browser)
            assert r.status_code == 403, channel
        assert await stream.no_event()


async def test_kernels_and_publish_tokens_may_not_chat(server: Server) -> None:
    kernel = server.app.services.publish_token.mint("0b7f4c4e-kernel")
    for token in (server.publish_token, kernel):
        r = await server.client.post(
            server.base + "sse/chat",
            json={"channel": "talk", "text": "from a kernel"},
            headers={"Authorization": f"token {token}"},
        )
        assert r.status_code == 403
        assert "publish a notify or log event" in r.json()["error"]
    r = await server.client.post(server.base + "sse/chat", json={"channel": "talk", "text": "x"})
    assert r.status_code in (401, 403)  # no credential at all (the client's cookie is the user's)
    assert "talk" not in await server.channels()


@pytest.mark.parametrize("sse_config", [{"chat_max_chars": 20}])
async def test_bad_messages_are_400_and_publish_nothing(server: Server) -> None:
    async with server.stream("talk") as stream:
        await stream.next()
        for text in ("", "   \n\t ", "x" * 21, 5, ["a"], None):
            r = await say(server, "talk", text)
            assert r.status_code == 400, text
        for extra in ({"reply_to": "not-an-id"}, {"html": True}):
            r = await say(server, "talk", "ok", **extra)
            assert r.status_code == 400, extra
        assert (await say(server, "bad name", "ok")).status_code == 400
        for raw in (b"not json", b"[1]", b'{"channel": "talk", "text": "\\ud800"}'):
            r = await server.client.post(server.base + "sse/chat", content=raw, headers=server.auth)
            assert r.status_code == 400, raw
            assert r.headers["content-type"] == "application/json"
        assert await stream.no_event()
        assert (await say(server, "talk", "x" * 20)).status_code == 200  # the limit itself


async def test_no_chat_on_the_servers_own_channels(server: Server) -> None:
    r = await say(server, "jupyter/activity", "hi")
    assert r.status_code == 403
    assert "only the server" in r.json()["error"]


@pytest.mark.parametrize("type_", ["chat", "chat_edit", "chat_delete", "presence"])
async def test_the_publish_route_refuses_the_servers_types(server: Server, type_: str) -> None:
    author = {"name": "alice", "display_name": "Alice", "kind": "user"}
    r = await server.publish(
        {"channel": "talk", "type": type_, "data": {"id": "0" * 16, "author": author}}
    )
    assert r.status_code == 400
    assert "written by the server only" in r.json()["error"]
    assert "talk" not in await server.channels()


@pytest.mark.parametrize("sse_config", [{"chat_rate_limit": 0.2, "chat_rate_burst": 2}])
async def test_chat_is_rate_limited_per_person(server: Server) -> None:
    for i in range(2):
        assert (await say(server, "talk", f"message {i}")).status_code == 200
    r = await say(server, "talk", "one too many")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    async with viewer(server, ["talk"], comment=True, label="Dana") as (browser, _):
        assert (await say(server, "talk", "someone else", client=browser)).status_code == 200
    assert (await server.channels())["talk"]["events"] == 3


async def test_edits_and_deletes_by_their_author_or_a_jupyter_user(server: Server) -> None:
    async with (
        viewer(server, ["talk"], comment=True, label="Dana") as (dana, _),
        viewer(server, ["talk"], comment=True, label="Eve") as (eve, _),
        server.stream("talk") as stream,
    ):
        await stream.next()
        posted = (await say(server, "talk", "typo hree", client=dana)).json()
        await chat_event(stream)
        message_id = posted["id"]

        # Someone else may neither edit nor delete it; the Jupyter user may not edit it.
        for client in (eve, None):
            r = await say(
                server, "talk", "words in her mouth", client=client, method="PATCH", id=message_id
            )
            assert r.status_code == 403
        r = await say(server, "talk", None, client=eve, method="DELETE", id=message_id)
        assert r.status_code == 403
        assert await stream.no_event()

        r = await say(server, "talk", "typo here", client=dana, method="PATCH", id=message_id)
        assert r.status_code == 200, r.text
        edit = await stream.next()
        assert edit.event == "chat_edit"
        assert edit.envelope["data"]["id"] == message_id
        assert edit.envelope["data"]["text"] == "typo here"
        assert edit.envelope["data"]["author"]["display_name"] == "Dana"

        # Moderation: a Jupyter user deletes a viewer's message.
        r = await say(server, "talk", None, method="DELETE", id=message_id)
        assert r.status_code == 200, r.text
        delete = await stream.next()
        assert delete.event == "chat_delete"
        assert delete.envelope["data"]["id"] == message_id
        assert delete.envelope["data"]["author"]["kind"] == "user"

        r = await say(server, "talk", "too late", client=dana, method="PATCH", id=message_id)
        assert r.status_code == 404
        r = await say(server, "talk", None, client=dana, method="DELETE", id="f" * 16)
        assert r.status_code == 404
        assert await stream.no_event()

        # Her own message, she deletes herself.
        own = (await say(server, "talk", "never mind", client=dana)).json()
        await chat_event(stream)
        r = await say(server, "talk", None, client=dana, method="DELETE", id=own["id"])
        assert r.status_code == 200
        assert (await stream.next()).event == "chat_delete"


TEXTS = [
    HTML,
    "line 1\nline 2\r\nline 3\rline 4",
    "data: forged\n\nevent: reset\nid: 999-1\nretry: 1\n\n",
    ": a comment line\n\n",
    "tabs\tand\x00nul and \x1b[31mcolour\x1b[0m",
    "\u2028\u2029 separators, zero\u200bwidth, \u202eright to left",
    "emoji 🔬🧪 and ünïcödé, 李雷",
    'quotes " and \\ backslashes \\" and </script>',
    "  leading and trailing spaces kept  ",
]


@pytest.mark.parametrize("sse_config", [{"chat_rate_limit": 0}])
async def test_text_arrives_byte_for_byte_as_sent(server: Server) -> None:
    """The server refuses, escapes and rewrites nothing: what the author typed is what
    every viewer receives (a page shows it in a text node, which renders no markup)."""
    async with server.stream("talk") as stream:
        await stream.next()
        for text in TEXTS:
            r = await say(server, "talk", text)
            assert r.status_code == 200, (text, r.text)
            event = await chat_event(stream)
            # One event of three lines: nothing in the text started a line of its own.
            assert [line.split(":")[0] for line in event.raw] == ["id", "event", "data"]
            assert event.envelope["data"]["text"] == text
        # Readers that cut lines as str.splitlines does see one line per data line too.
        assert not any(c in "".join(stream.lines) for c in "\u0085\u2028\u2029")
    async with server.stream("talk") as late:
        snapshot = (await late.next()).envelope["data"]
    assert [m["text"] for m in snapshot["chat"]] == TEXTS


@pytest.mark.parametrize("sse_config", [{"chat_snapshot_messages": 3, "chat_rate_limit": 0}])
async def test_a_reload_keeps_the_conversation(server: Server) -> None:
    """A new page gets the last messages in its snapshot, edits and deletes applied; a
    page that reconnects with its cursor gets what it missed from history."""
    ids = [(await say(server, "talk", f"message {i}")).json()["id"] for i in range(5)]
    assert (await say(server, "talk", "message 3, edited", method="PATCH", id=ids[3])).is_success
    assert (await say(server, "talk", None, method="DELETE", id=ids[2])).is_success
    async with server.stream("talk") as page:
        snapshot = await page.next()
        kept = snapshot.envelope["data"]["chat"]
        assert [(m["id"], m["text"]) for m in kept] == [
            (ids[3], "message 3, edited"),
            (ids[4], "message 4"),
        ]
        assert "edited" in kept[0]
        assert kept[0]["author"]["kind"] == "user"
    missed = (await say(server, "talk", "while you were away")).json()
    async with server.stream("talk", last_event_id=snapshot.id or "") as resumed:
        event = await chat_event(resumed)
        assert event.envelope["data"]["id"] == missed["id"]
        assert await resumed.no_event()


async def test_another_site_cannot_chat_with_a_viewers_cookie(server: Server) -> None:
    """A page elsewhere that gets the viewer's browser to post is refused: the viewer
    cookie is SameSite, and a cross-origin request with it is 403."""
    async with viewer(server, ["talk"], comment=True, label="Dana") as (browser, _):
        r = await browser.post(
            server.base + "sse/chat",
            json={"channel": "talk", "text": "posted by another site"},
            headers={"Origin": "https://evil.example"},
        )
        assert r.status_code == 403
        assert "cross-origin" in r.json()["error"]
    assert "talk" not in await server.channels()


async def test_a_page_learns_who_it_writes_as_and_what_it_may_do(server: Server) -> None:
    async def ask(client: httpx.AsyncClient | None, channel: str) -> httpx.Response:
        headers = server.auth if client is None else {}
        return await (client or server.client).get(
            server.base + "sse/chat", params={"channel": channel}, headers=headers
        )

    user = await me(server)
    mine = (await ask(None, "talk")).json()
    assert mine["author"]["name"] == user["username"]
    assert (mine["may_chat"], mine["may_moderate"]) == (True, True)
    assert mine["max_chars"] == server.app.chat_max_chars
    assert (await ask(None, "jupyter/system")).json()["may_chat"] is False
    assert (await ask(None, "bad name")).status_code == 400
    async with viewer(server, ["talk"], comment=True, label="Dana") as (dana, share):
        theirs = (await ask(dana, "talk")).json()
        assert theirs["author"]["display_name"] == "Dana"
        assert (theirs["may_chat"], theirs["may_moderate"]) == (True, False)
        assert share["token"] not in json.dumps(theirs)
        assert (await ask(dana, "other")).status_code == 403
    async with viewer(server, ["talk"]) as (reader, _):
        assert (await ask(reader, "talk")).json()["may_chat"] is False
