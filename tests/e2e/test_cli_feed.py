"""``jupyter sse tail``, ``publish`` and ``channels`` as a terminal user runs them, against
a real server."""

from __future__ import annotations

import asyncio
import io
import json
import sys

import pytest

from jupyter_sse.cli.render import Printer
from tests.support.server import Server, wait_for

CLI = [sys.executable, "-m", "jupyter_sse.cli"]


@pytest.fixture
def broker_kind() -> str:
    """The commands speak HTTP to the server: the embedded broker is enough."""
    return "memory"


def where(server: Server) -> list[str]:
    return ["--url", server.base, "--token", server.token]


async def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(
        proc.communicate(stdin.encode() if stdin is not None else None), 60
    )
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("sse_config", [{"retry_ms": 100}])
async def test_tail_prints_events_and_resumes_after_the_server_cuts_it(server: Server) -> None:
    connections = server.app.services.connections
    proc = await asyncio.create_subprocess_exec(
        *CLI, "tail", "t/run", "--count", "3", *where(server),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        await wait_for(lambda: len(connections) == 1, 30, "tail to connect")
        await server.publish_ok(
            {"channel": "t/run", "type": "status", "data": {"key": "phase", "value": "training"}}
        )
        first = await asyncio.wait_for(proc.stdout.readline(), 10)
        assert first.decode() == "t/run phase: training\n"

        # The server ends the stream; what is published meanwhile arrives once, in order.
        connections.close_all("server restarting")
        await server.publish_ok(
            {"channel": "t/run", "type": "log", "data": {"text": "while away", "level": "info"}},
            {"channel": "t/run", "type": "metric", "data": {"step": 2, "values": {"loss": 0.25}}},
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    # No snapshot again (it resumed by id, not from scratch), nothing twice.
    assert out.decode().splitlines() == [
        "t/run INFO    while away",
        "t/run step 2  loss=0.25",
    ]
    assert "the server ended the stream; resuming after" in err.decode()


async def test_tail_json_lines_for_pipes_from_a_given_id(server: Server) -> None:
    first, second = await server.publish_ok(
        {"channel": "t/json", "type": "log", "data": {"text": "before"}},
        {"channel": "t/json", "type": "progress", "data": {"key": "k", "value": 3, "total": 10}},
    )
    code, out, err = await run(
        "tail", "t/json", "--json", "--since", first, "--count", "1", *where(server)
    )
    assert code == 0, err
    (line,) = [json.loads(text) for text in out.splitlines()]
    # What came after the id, and nothing else: no snapshot, no reset.
    assert line["id"] == second
    assert line["event"] == "progress"
    assert line["channel"] == "t/json"
    assert line["data"] == {"key": "k", "value": 3, "total": 10}


async def test_tail_refused_exits_1_with_the_reason(server: Server) -> None:
    code, _, err = await run("tail", "t/x", "--url", server.base, "--token", "wrong")
    assert code == 1
    assert "401" in err


async def test_publish_one_event_and_lines_from_stdin(server: Server) -> None:
    async with server.stream("p/run") as stream:
        assert (await stream.next()).event == "snapshot"
        code, out, err = await run(
            "publish", "p/run", "notify", '{"message": "hello"}', *where(server)
        )
        assert code == 0, err
        (event_id,) = out.split()
        got = await stream.next()
        assert (got.id, got.envelope["data"]) == (event_id, {"message": "hello"})

        lines = '{"text": "a"}\n\n{"text": "b", "level": "warning"}\nnot json\n'
        code, out, err = await run("publish", "p/run", "log", *where(server), stdin=lines)
        assert code == 2  # one line was not JSON: said, and the others published
        assert "line 4 is not JSON" in err
        assert len(out.split()) == 2
        texts = [e.envelope["data"]["text"] for e in await stream.take(2)]
        assert texts == ["a", "b"]

        whole = json.dumps({"channel": "p/run", "type": "status", "data": {"key": "s", "value": 1}})
        code, out, err = await run("publish", *where(server), stdin=whole + "\n")
        assert code == 0, err
        assert (await stream.next()).envelope["data"] == {"key": "s", "value": 1}


async def test_publish_refusals_name_the_reason(server: Server) -> None:
    code, _, err = await run("publish", "jupyter/x", "log", '{"text": "x"}', *where(server))
    assert code == 1
    assert "403" in err
    assert "only the server publishes" in err
    code, _, err = await run("publish", "p/x", "log", "{text: x}", *where(server))
    assert code == 2
    assert "DATA-JSON is not JSON" in err


async def test_channels_prints_the_table(server: Server) -> None:
    await server.publish_ok({"channel": "c/one", "type": "log", "data": {"text": "x"}})
    code, out, err = await run("channels", *where(server))
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["CHANNEL", "STREAMS", "WATCHERS", "EVENTS", "LAST", "EVENT"]
    row = next(r for r in rows if r.startswith("c/one"))
    assert row.split()[:4] == ["c/one", "0", "0", "1"]
    code, out, _ = await run("channels", "--json", *where(server))
    assert any(r["channel"] == "c/one" for r in json.loads(out))


async def test_every_command_has_help() -> None:
    for command in ("tail", "publish", "channels", "doctor", "share", "rotate-secret"):
        code, out, _ = await run(command, "--help")
        assert code == 0
        assert out.startswith("usage: jupyter sse " + command)


class Terminal(io.StringIO):
    """What tail writes to when a person watches it (a terminal, without colours)."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_bar_redraws_its_own_line() -> None:
    screen = Terminal()
    printer = Printer(screen, colour=False)
    for value in (1, 5, 10):
        data = {"key": "k", "value": value, "total": 10, "done": value == 10}
        printer.show("progress", {"channel": "p", "data": data})
    printer.show("status", {"channel": "p", "data": {"key": "phase", "value": "eval"}})
    lines = screen.getvalue().split("\n")
    # One line for the bar, redrawn in place (\r + erase), then the status below it.
    assert lines[0].count("\r\x1b[2K") == 2
    assert lines[0].endswith("100% 10/10  done")
    assert lines[1:] == ["p phase: eval", ""]
