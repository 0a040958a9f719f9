"""``jupyter/events/<name>``: jupyter_server's event bus on channels, resumable."""

from __future__ import annotations

import json

from tests.support.kernels import save_notebook
from tests.support.server import Server
from tests.support.sse_client import Event, StreamReader

CONTENTS = "jupyter/events/jupyter_server/contents_service"


async def next_save(stream: StreamReader) -> Event:
    """The next ``save`` (a save may come with other contents events, such as a ``get``)."""
    while True:
        event = await stream.next()
        if event.event == "save":
            return event


async def test_saving_a_notebook_is_an_event_that_resumes_by_last_event_id(server: Server) -> None:
    await save_notebook(server, "train.ipynb")  # created: an "upload"; each later PUT is a "save"
    async with server.stream(CONTENTS) as s:
        snapshot = await s.next()
    cursor = snapshot.id
    assert cursor is not None
    await save_notebook(server, "train.ipynb")  # nobody is connected: it waits in the history
    async with server.stream(CONTENTS, headers={"Last-Event-ID": cursor}) as s:
        missed = await next_save(s)
        await save_notebook(server, "train.ipynb")
        live = await next_save(s)
    for event in (missed, live):
        envelope = event.envelope
        assert envelope["channel"] == CONTENTS
        assert envelope["type"] == "save"
        assert envelope["data"]["schema_id"] == (
            "https://events.jupyter.org/jupyter_server/contents_service/v1"
        )
        assert str(envelope["data"]["version"]) == "1"
        assert envelope["data"]["event"] == {"action": "save", "path": "train.ipynb"}
    assert missed.id != live.id


async def test_a_pattern_follows_every_schema_and_a_snapshot_keeps_each_action(
    server: Server,
) -> None:
    # Any route of the extension starts it (a running server starts it at once).
    assert (await server.get("sse/health", headers=server.auth)).status_code == 200
    await save_notebook(server, "a.ipynb")
    await save_notebook(server, "a.ipynb")
    r = await server.client.patch(
        server.base + "api/contents/a.ipynb",
        headers=server.auth,
        content=json.dumps({"path": "b.ipynb"}),
    )
    assert r.status_code == 200, r.text
    async with server.stream("jupyter/events/*") as s:
        snapshot = (await s.next()).envelope
    assert snapshot["channel"] == CONTENTS
    other = snapshot["data"]["other"]
    assert other["save"]["event"] == {"action": "save", "path": "a.ipynb"}
    assert other["rename"]["event"] == {
        "action": "rename",
        "path": "b.ipynb",
        "source_path": "a.ipynb",
    }
