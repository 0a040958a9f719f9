"""How ``jupyter sse tail`` shows events to a person: one line per event, in words.

Lines are built as styled parts (``Part``) and written by a ``Printer``: with ``rich``
when it is installed and the output is a terminal (colours; the ``cli`` extra), else as
plain text. rich is imported lazily: the other commands, and pipes, never pay for it.
On a terminal, the updates of one progress bar overwrite each other's line instead of
scrolling the screen away.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Final, TextIO

Part = tuple[str, str]  # (text, rich style; "" for none)

BAR_WIDTH: Final = 20
LEVEL_STYLES: Final = {
    "debug": "dim",
    "info": "cyan",
    "success": "green",
    "warning": "yellow",
    "error": "bold red",
}
VARIANT_STYLES: Final = {**LEVEL_STYLES, "default": ""}


def describe(event: str, envelope: dict[str, Any]) -> list[list[Part]]:
    """The lines that show one event (a snapshot shows several, or none when empty)."""
    channel = str(envelope.get("channel", ""))
    data = envelope.get("data")
    head: Part = (f"{channel} ", "bold blue")
    if event == "snapshot" and isinstance(data, dict):
        return [[head, *line] for line in _snapshot(data)]
    if event == "reset":
        reason = data.get("reason", "") if isinstance(data, dict) else ""
        return [[("reset: ", "bold yellow"), (f"the history no longer covers us ({reason})", "")]]
    shown = _one(event, data) if isinstance(data, dict) else None
    return [[head, *(shown or [(f"{event} ", "magenta"), (_json(data), "")])]]


def _one(event: str, data: dict[str, Any]) -> list[Part] | None:
    if event == "progress":
        return progress_line(data)
    if event == "status":
        style = VARIANT_STYLES.get(str(data.get("variant", "default")), "")
        return [(f"{data.get('key')}: ", "dim"), (str(data.get("value")), style or "bold")]
    if event == "metric":
        values = data.get("values", {})
        step = f"step {data['step']:g}  " if isinstance(data.get("step"), int | float) else ""
        text = "  ".join(f"{k}={_number(v)}" for k, v in values.items())
        return [(step, "dim"), (text, "")]
    if event == "notify":
        level = str(data.get("level", "info"))
        title = f"{data['title']}: " if data.get("title") else ""
        return [
            (f"[{level}] ", LEVEL_STYLES.get(level, "")),
            (title, "bold"),
            (str(data.get("message", "")), ""),
        ]
    if event == "log":
        level = str(data.get("level", "info"))
        return [
            (f"{level.upper():7} ", LEVEL_STYLES.get(level, "")),
            (str(data.get("text", "")), ""),
        ]
    if event == "chat":
        author = data.get("author", {})
        name = author.get("display_name") or author.get("name") or "?"
        return [(f"{name}: ", "bold green"), (str(data.get("text", "")), "")]
    if event == "table":
        return [(f"{data.get('table')} ", "dim"), (_json(data.get("row")), "")]
    return None


def progress_line(data: dict[str, Any]) -> list[Part]:
    """A bar: label, fraction, counts, rate and time left (or done)."""
    value, total = data.get("value", 0), data.get("total")
    label = f"{data.get('label') or data.get('key')} "
    parts: list[Part] = [(label, "bold")]
    if isinstance(total, int | float) and total > 0:
        frac = max(0.0, min(1.0, float(value) / total))
        filled = round(frac * BAR_WIDTH)
        parts += [
            ("█" * filled, "green"),
            ("░" * (BAR_WIDTH - filled), "dim"),
            (f" {frac:4.0%} {_number(value)}/{_number(total)}", ""),
        ]
    else:
        parts.append((f"{_number(value)}", ""))
    if data.get("rate"):
        parts.append((f"  {_number(data['rate'])}/s", "dim"))
    if data.get("error"):
        parts.append((f"  failed: {data['error']}", "bold red"))
    elif data.get("done"):
        parts.append(("  done", "green"))
    elif data.get("eta") is not None:
        parts.append((f"  {_duration(float(data['eta']))} left", "dim"))
    return parts


def _snapshot(data: dict[str, Any]) -> list[list[Part]]:
    lines: list[list[Part]] = []
    for bar in (data.get("progress") or {}).values():
        lines.append(progress_line(bar))
    for status in (data.get("status") or {}).values():
        lines.append(_one("status", status) or [])
    metrics = data.get("metric") or []
    if metrics:
        lines.append([("last metric: ", "dim"), *(_one("metric", metrics[-1]) or [])])
    for entry in (data.get("log") or [])[-5:]:
        lines.append(_one("log", entry) or [])
    for message in (data.get("chat") or [])[-5:]:
        lines.append(_one("chat", message) or [])
    return lines


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    return f"{seconds // 3600:.0f}h{seconds % 3600 // 60:02.0f}m"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Printer:
    """Writes lines of parts: coloured with rich on a terminal, plain otherwise.

    ``colour``: True, False, or None to decide from the output (a terminal, and rich
    installed).
    """

    def __init__(self, out: TextIO = sys.stdout, colour: bool | None = None) -> None:
        self.out = out
        self.tty = out.isatty()
        self._console: Any = None
        if colour is not False and (colour or self.tty):
            try:
                from rich.console import Console
            except ImportError:
                pass  # the plain fallback: the `cli` extra is not installed
            else:
                # `always` colours a pipe too (`| less -R`); auto leaves it to rich.
                self._console = Console(
                    file=out, highlight=False, soft_wrap=True, force_terminal=colour or None
                )
        self._open: tuple[str, str] | None = None  # the bar whose line is unfinished

    def show(self, event: str, envelope: dict[str, Any]) -> None:
        """Print ``event``; on a terminal a bar's update replaces its previous line.

        Presence (who watches, this tail included) is left to ``--json``: it changes
        with every page that opens, and is not what a person tails a channel for.
        """
        if event == "presence":
            return
        lines = describe(event, envelope)
        bar = None  # the (channel, key) of a bar on a terminal, whose line can be redrawn
        done = False
        if event == "progress" and self.tty and isinstance(envelope.get("data"), dict):
            data = envelope["data"]
            bar = (str(envelope.get("channel")), str(data.get("key")))
            done = bool(data.get("done"))
        if self._open is not None:
            # The same bar again: redraw its line; anything else starts below it.
            self.out.write("\r\x1b[2K" if bar == self._open else "\n")
        for i, line in enumerate(lines):
            last = i == len(lines) - 1
            self._write(line, end="" if last and bar is not None and not done else "\n")
        self._open = None if done else bar
        self.out.flush()

    def note(self, text: str) -> None:
        """A line about the connection itself (to stderr: pipes get events only)."""
        if self._open is not None:  # end the bar's line first: stderr shares the terminal
            self.out.write("\n")
            self.out.flush()
            self._open = None
        stamp = time.strftime("%H:%M:%S")
        print(f"[{stamp}] {text}", file=sys.stderr, flush=True)

    def _write(self, parts: list[Part], end: str) -> None:
        if self._console is not None:
            from rich.text import Text

            self._console.print(Text.assemble(*parts), end=end)
        else:
            self.out.write("".join(text for text, _ in parts) + end)
