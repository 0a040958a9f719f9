"""``jupyter sse tail``, ``publish`` and ``channels``: the event stream from a terminal.

``tail`` reads ``sse/stream`` with the standard library's HTTP client and parses the
event stream itself (the format is the one ``wire.sse`` writes). When the connection
drops, or the server ends the stream (a restart, a cut of a slow reader), it comes back
after the server's ``retry:`` delay with the last id it saw, as a browser would: the
server then replays what was missed, with no gap and no duplicate.
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Final, NamedTuple
from urllib.parse import urlencode, urlsplit

from ..wire.bounds import MAX_BATCH
from .connect import OK, USAGE, BadInput, Refused, Target, add_server_options, target
from .render import Printer

RETRY_DEFAULT: Final = 2.0  # seconds before a reconnect until the server says (retry:)
RETRY_MAX: Final = 30.0
GIVE_UP_STATUSES: Final = frozenset({400, 401, 403, 404})  # asking again will not help
STDIN_BATCH: Final = min(100, MAX_BATCH)  # lines sent in one request, at most
STDIN_LINGER: Final = 0.01  # seconds to wait for more lines before sending a batch
BUSY_RETRIES: Final = 5  # 429/503 answers to one batch before giving up


def register(commands: Any) -> None:
    """Add ``tail``, ``publish`` and ``channels``."""
    tail_cmd = commands.add_parser(
        "tail",
        help="print live events of channels",
        description="Print the live events of CHANNELs (names or patterns like 'train/*'): "
        "first what they hold now, then every event as it comes. Reconnects by itself, "
        "resuming after the last event seen.",
    )
    tail_cmd.add_argument("channels", nargs="+", metavar="CHANNEL")
    tail_cmd.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line ({id, event, channel, type, ts, data}) for pipes",
    )
    tail_cmd.add_argument("--since", metavar="ID", help="start after this event id")
    tail_cmd.add_argument(
        "--count", type=int, metavar="N", help="exit after N events (snapshots not counted)"
    )
    tail_cmd.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colours (with rich, the 'cli' extra): auto = on a terminal",
    )
    add_server_options(tail_cmd)
    tail_cmd.set_defaults(run=tail)

    pub = commands.add_parser(
        "publish",
        help="publish an event, or JSON lines from stdin",
        description="Publish one event: CHANNEL TYPE DATA-JSON. Without DATA-JSON, each "
        "line of stdin is the data of one event; without CHANNEL and TYPE, each line is a "
        'whole event: {"channel", "type", "data"}. Prints the id of each event published.',
    )
    pub.add_argument("channel", nargs="?", metavar="CHANNEL")
    pub.add_argument("type", nargs="?", metavar="TYPE")
    pub.add_argument("data", nargs="?", metavar="DATA-JSON")
    add_server_options(pub)
    pub.set_defaults(run=publish)

    listing = commands.add_parser(
        "channels",
        help="list the channels with their streams, watchers and events",
        description="The table of sse/channels: every channel, its streams on this "
        "server, the people watching it, its event count and last event time.",
    )
    listing.add_argument("--json", action="store_true", help="the JSON list as the server sends it")
    add_server_options(listing)
    listing.set_defaults(run=channels)


# --- tail ---------------------------------------------------------------------------


class Event(NamedTuple):
    id: str | None
    event: str
    data: str


class Stream:
    """One ``GET sse/stream``: its events, and the ``retry:`` the server asked for."""

    def __init__(self, server: Target, channels: list[str], cursor: str | None) -> None:
        self.retry = RETRY_DEFAULT
        parts = urlsplit(server.url)
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        self._conn = kind(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        headers = {**server.headers(), "Accept": "text/event-stream"}
        if cursor:
            headers["Last-Event-ID"] = cursor
        path = parts.path + "sse/stream?" + urlencode([("channel", c) for c in channels])
        try:
            self._conn.request("GET", path, headers=headers)
            self._response = self._conn.getresponse()
        except OSError as e:
            self._conn.close()
            raise Refused(f"cannot reach the server at {server.url}: {e}") from None
        if self._response.status != 200:
            body = self._response.read()
            self._conn.close()
            try:
                why = str(json.loads(body)["error"])
            except (ValueError, KeyError, TypeError):
                why = self._response.reason
            raise Refused(f"sse/stream: {self._response.status} {why}", self._response.status)
        if self._conn.sock is not None:
            self._conn.sock.settimeout(None)  # a stream may be quiet for as long as it likes

    def events(self) -> Iterator[Event]:
        """The events until the server ends the stream (then it returns)."""
        event_id: str | None = None
        name, data = "message", list[str]()
        try:
            while True:
                raw = self._response.readline()
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line:
                    if data:
                        yield Event(event_id, name, "\n".join(data))
                    event_id, name, data = None, "message", []
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "data":
                    data.append(value)
                elif field == "event":
                    name = value
                elif field == "id":
                    event_id = value
                elif field == "retry" and value.isdigit():
                    self.retry = int(value) / 1000
        finally:
            self._conn.close()


def tail(args: argparse.Namespace) -> int:
    server = target(args)
    colour = {"auto": None, "always": True, "never": False}[args.color]
    printer = Printer(colour=colour)
    cursor: str | None = args.since
    shown = 0
    connected = False
    delay = RETRY_DEFAULT
    while True:
        try:
            stream = Stream(server, args.channels, cursor)
            if not connected and not args.json:
                printer.note(
                    f"following {' '.join(args.channels)} on {server.url} (Ctrl-C to stop)"
                )
            connected, delay = True, stream.retry
            for event in stream.events():
                delay = stream.retry
                if event.id:
                    cursor = event.id
                envelope = json.loads(event.data)
                if args.json:
                    print(
                        json.dumps({"id": event.id, "event": event.event, **envelope}), flush=True
                    )
                else:
                    printer.show(event.event, envelope)
                if event.event not in ("snapshot", "reset", "presence"):
                    shown += 1
                    if args.count is not None and shown >= args.count:
                        return OK
            why = "the server ended the stream"
        except Refused as e:
            if not connected or e.status in GIVE_UP_STATUSES:
                raise
            why = str(e)
        except (OSError, http.client.HTTPException) as e:
            if not connected:
                raise Refused(f"cannot read the stream of {server.url}: {e}") from None
            why = f"connection lost ({e})"
        after = f"resuming after {cursor}" if cursor else "starting over"
        printer.note(f"{why}; {after} in {delay:g}s")
        time.sleep(delay)
        delay = min(delay * 2, RETRY_MAX) if not connected else delay


# --- publish ------------------------------------------------------------------------


def publish(args: argparse.Namespace) -> int:
    if args.channel is not None and args.type is None:
        raise BadInput("give CHANNEL and TYPE (and DATA-JSON, or data lines on stdin)")
    server = target(args)
    if args.data is not None:
        event = {"channel": args.channel, "type": args.type, "data": _json(args.data, "DATA-JSON")}
        for event_id in _send(server, [event]):
            print(event_id)
        return OK
    if sys.stdin.isatty():
        what = "the data of one event" if args.channel is not None else "one whole event"
        print(f"each line: {what}, as JSON; Ctrl-D to end", file=sys.stderr)
    bad = 0
    for batch in _stdin_batches():
        events = []
        for number, line in batch:
            try:
                value = _json(line, f"line {number}")
                events.append(
                    {"channel": args.channel, "type": args.type, "data": value}
                    if args.channel is not None
                    else _whole_event(value, number)
                )
            except BadInput as e:
                print(f"jupyter sse publish: {e}", file=sys.stderr)
                bad += 1
        if events:
            for event_id in _send(server, events):
                print(event_id, flush=True)
    return USAGE if bad else OK


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as e:
        raise BadInput(f'{what} is not JSON ({e}): quote it, e.g. \'{{"text": "hi"}}\'') from None


def _whole_event(value: Any, number: int) -> dict[str, Any]:
    if not isinstance(value, dict) or not {"channel", "type"} <= set(value):
        raise BadInput(f'line {number}: give {{"channel", "type", "data"}} (or CHANNEL TYPE)')
    return value


def _send(server: Target, events: list[dict[str, Any]]) -> list[str]:
    for attempt in range(BUSY_RETRIES + 1):
        try:
            answer = server.request("POST", "sse/publish", events)
        except Refused as e:
            if e.status not in (429, 503) or attempt == BUSY_RETRIES:
                raise
            time.sleep(1.0 + attempt)  # the server said Retry-After: 1 or more
            continue
        ids: list[str] = answer["ids"]
        return ids
    raise AssertionError("unreachable")


def _stdin_batches() -> Iterator[list[tuple[int, str]]]:
    """Numbered non-blank lines of stdin, in batches: what has arrived within the linger
    after a line, so a slow pipe (``tail -f log | …``) sends each line at once."""
    lines: queue.Queue[tuple[int, str] | None] = queue.Queue()

    def read() -> None:
        for number, line in enumerate(sys.stdin, 1):
            if line.strip():
                lines.put((number, line))
        lines.put(None)

    threading.Thread(target=read, name="stdin", daemon=True).start()
    while True:
        first = lines.get()
        if first is None:
            return
        batch = [first]
        ended = False
        deadline = time.monotonic() + STDIN_LINGER
        while len(batch) < STDIN_BATCH:
            try:
                item = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                ended = True
                break
            batch.append(item)
        yield batch
        if ended:
            return


# --- channels -----------------------------------------------------------------------


def channels(args: argparse.Namespace) -> int:
    rows: list[dict[str, Any]] = target(args).request("GET", "sse/channels")
    if args.json:
        print(json.dumps(rows, indent=2))
        return OK
    if not rows:
        print("no channels yet: publish to one (jupyter sse publish CHANNEL TYPE DATA)")
        return OK
    now = time.time()
    table = [["CHANNEL", "STREAMS", "WATCHERS", "EVENTS", "LAST EVENT"]]
    for row in rows:
        last = row.get("last_event")
        table.append(
            [
                str(row["channel"]),
                str(row.get("subscribers", 0)),
                str(row.get("watchers", 0)),
                str(row.get("events", 0)),
                "-" if last is None else _ago(now - float(last)),
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return OK


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m ago"
    if seconds < 86400:
        return f"{seconds / 3600:.0f}h ago"
    return f"{seconds / 86400:.0f}d ago"
