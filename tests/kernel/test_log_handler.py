"""``jupyter_sse.LogHandler``: records of each level reach a real stream as ``log``
events; an exception's text arrives; a publisher that fails never raises into the code
that logged, and the handler never feeds itself."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

from jupyter_sse import LogHandler, Publisher
from jupyter_sse.kernel.transport import discover
from tests.support.server import Server
from tests.support.sse_client import StreamReader


@pytest.fixture
def broker_kind() -> str:
    """The kernel side does not depend on the broker: the embedded one is enough."""
    return "memory"


@contextmanager
def attached(handler: logging.Handler, name: str) -> Iterator[logging.Logger]:
    logger = logging.getLogger(name)
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)


@asynccontextmanager
async def handler_of(
    server: Server, channel: str, level: int = logging.NOTSET
) -> AsyncIterator[tuple[LogHandler, Publisher, StreamReader]]:
    pub = Publisher(transport=discover(server.app.publish_env()))
    try:
        async with server.stream(channel) as stream:
            assert (await stream.next()).event == "snapshot"
            yield LogHandler(channel, level, publisher=pub), pub, stream
    finally:
        await asyncio.to_thread(pub.close)


async def test_records_of_each_level_arrive(server: Server) -> None:
    async with handler_of(server, "logs/levels") as (handler, pub, stream):
        with attached(handler, "app.levels") as logger:
            logger.debug("d %d", 1)
            logger.info("i")
            logger.warning("w")
            logger.error("e")
            logger.critical("c")
        await asyncio.to_thread(pub.flush, 10)
        events = await stream.take(5)
    assert [e.event for e in events] == ["log"] * 5
    assert [e.envelope["data"] for e in events] == [
        {"text": "d 1", "level": "debug", "logger": "app.levels"},
        {"text": "i", "level": "info", "logger": "app.levels"},
        {"text": "w", "level": "warning", "logger": "app.levels"},
        {"text": "e", "level": "error", "logger": "app.levels"},
        {"text": "c", "level": "error", "logger": "app.levels"},
    ]


async def test_the_handler_level_filters(server: Server) -> None:
    async with handler_of(server, "logs/filtered", logging.WARNING) as (handler, pub, stream):
        with attached(handler, "app.filtered") as logger:
            logger.info("not sent")
            logger.warning("sent")
        await asyncio.to_thread(pub.flush, 10)
        event = await stream.next()
        assert event.envelope["data"]["text"] == "sent"
        assert await stream.no_event()


async def test_an_exception_arrives_with_its_traceback(server: Server) -> None:
    async with handler_of(server, "logs/errors") as (handler, pub, stream):
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        with attached(handler, "app.errors") as logger:
            try:
                1 / 0  # noqa: B018
            except ZeroDivisionError:
                logger.exception("step %d failed", 7)
        await asyncio.to_thread(pub.flush, 10)
        data = (await stream.next()).envelope["data"]
    assert data["level"] == "error"
    assert data["text"].startswith("ERROR step 7 failed\nTraceback (most recent call last):")
    assert "ZeroDivisionError: division by zero" in data["exception"]
    assert data["exception"].startswith("Traceback")


def test_a_publisher_that_fails_never_raises_into_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("JUPYTER_SSE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))  # no server to find
    handler = LogHandler("logs/nowhere", publisher=Publisher())
    with attached(handler, "app.nowhere") as logger:
        logger.error("one")
        logger.error("two")
    assert handler.failed == 2
    told = capsys.readouterr().err
    assert told.count("cannot publish") == 1
    assert "no jupyter-sse server to publish to" in told


async def test_it_never_feeds_itself(server: Server) -> None:
    class Chatty(logging.Formatter):
        """A formatter that logs while formatting (as a library's __str__ might)."""

        def format(self, record: logging.LogRecord) -> str:
            logging.getLogger("app.inner").warning("formatting %s", record.msg)
            return super().format(record)

    async with handler_of(server, "logs/self") as (handler, pub, stream):
        handler.setFormatter(Chatty())
        root = logging.getLogger()
        root.addHandler(handler)
        try:
            logging.getLogger("app.outer").warning("outer")
            # The publisher's own logger: what it says about itself is not sent.
            logging.getLogger("jupyter_sse").warning("the publisher speaks")
            logging.getLogger("jupyter_sse.kernel").warning("so does its module")
        finally:
            root.removeHandler(handler)
        await asyncio.to_thread(pub.flush, 10)
        event = await stream.next()
        assert event.envelope["data"]["text"] == "outer"
        assert await stream.no_event()
