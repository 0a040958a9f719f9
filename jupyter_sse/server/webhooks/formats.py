"""What a webhook POSTs, per format: the body (JSON) and its headers.

* ``generic``: the event as a stream delivers it, ``{"id", "channel", "type", "ts",
  "data"}``; ``X-Jupyter-SSE-Event-Id`` carries the id (a receiver can drop a retried
  delivery it already has), and with a ``secret``, ``X-Jupyter-SSE-Signature:
  sha256=<hex HMAC-SHA256 of the body>``.
* ``slack``: ``{"text"}`` with Slack's mrkdwn (Slack, Mattermost, Rocket.Chat...).
* ``discord``: ``{"content", "allowed_mentions": {"parse": []}}``: an event's text
  never pings anyone.
* ``ntfy``: ntfy's JSON publishing, ``{"topic", "title", "message", "priority",
  "tags"}``, POSTed to the server's root URL (``https://ntfy.sh``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Final

from ...wire.json_text import dumps
from .config import Webhook

MAX_TEXT: Final = 1800  # characters of an event's text in a chat message (Discord: 2000)
USER_AGENT: Final = "jupyter-sse"
EMOJI: Final = {"error": "🚨", "warning": "⚠️", "success": "✅", "info": "💬", "debug": "🔎"}
NTFY_PRIORITY: Final = {"error": 5, "warning": 4, "success": 3, "info": 3, "debug": 2}
NTFY_TAG: Final = {
    "error": "rotating_light",
    "warning": "warning",
    "success": "white_check_mark",
    "info": "information_source",
    "debug": "mag",
}


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event on its way to a webhook, as a stream carried it."""

    id: str
    channel: str
    type: str
    ts: float
    data: Any


def render(hook: Webhook, event: Delivery) -> tuple[bytes, dict[str, str]]:
    """The body and headers of ``event`` POSTed to ``hook``."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Jupyter-SSE-Event-Id": event.id,
        **dict(hook.headers),
    }
    title, text, level = summary(event)
    payload: dict[str, Any]
    if hook.format == "slack":
        payload = {"text": f"{EMOJI[level]} *{_slack(title)}*\n{_slack(text)}"}
    elif hook.format == "discord":
        payload = {
            "content": f"{EMOJI[level]} **{title}**\n{text}",
            "allowed_mentions": {"parse": []},
        }
    elif hook.format == "ntfy":
        payload = {
            "topic": hook.topic,
            "title": title,
            "message": text,
            "priority": NTFY_PRIORITY[level],
            "tags": [NTFY_TAG[level]],
        }
    else:
        payload = {
            "id": event.id,
            "channel": event.channel,
            "type": event.type,
            "ts": event.ts,
            "data": event.data,
        }
    body = dumps(payload).encode()
    if hook.secret is not None and hook.format == "generic":
        digest = hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Jupyter-SSE-Signature"] = f"sha256={digest}"
    return body, headers


def summary(event: Delivery) -> tuple[str, str, str]:
    """(title, text, level) of an event, for the chat formats."""
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    level: str = data["level"] if data.get("level") in EMOJI else "info"
    title: str | None = data["title"] if isinstance(data.get("title"), str) else None
    if event.type == "notify" and isinstance(data.get("message"), str):
        text: str = data["message"]
    elif event.type == "log" and isinstance(data.get("text"), str):
        text = data["text"]
    elif event.type == "status" and "key" in data:
        text = f"{data['key']}: {json.dumps(data.get('value'), ensure_ascii=False)}"
    else:
        text = f"{event.type} {dumps(event.data)}"
    text = text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
    # The channel tells a reader where it comes from when the title does not.
    return (title or event.channel), f"{text}\n({event.channel})" if title else text, level


def _slack(text: str) -> str:
    # The three characters Slack's mrkdwn asks to escape: the rest is shown as written.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
