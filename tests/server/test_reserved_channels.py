"""The jupyter/ namespace: only the server publishes there; everyone may read it."""

from __future__ import annotations

import pytest

from tests.support.server import Server

RESERVED = ["jupyter/system", "jupyter/activity", "jupyter/events/jupyter_server/x", "jupyter/mine"]


@pytest.mark.parametrize("channel", RESERVED)
async def test_a_user_and_a_publish_token_are_refused_and_nothing_changes(
    server: Server, channel: str
) -> None:
    event = {"channel": channel, "type": "metric", "data": {"values": {"cpu_percent": 99}}}
    async with server.stream("other") as s:
        await s.next()
        for headers in ({}, {"Authorization": f"token {server.publish_token}"}):
            r = await server.publish([{**event, "channel": "other"}, event], headers=headers)
            assert r.status_code == 403, r.text
            assert r.json() == {
                "error": "only the server publishes to jupyter/ channels",
                "status": 403,
            }
        assert await s.no_event(0.2)
    assert channel not in await server.channels()
    assert "other" not in await server.channels()


async def test_names_that_only_look_alike_are_published(server: Server) -> None:
    await server.publish_ok(
        {"channel": "jupyter", "type": "log", "data": {"text": "x"}},
        {"channel": "jupyterlab/system", "type": "log", "data": {"text": "x"}},
    )
