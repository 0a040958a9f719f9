"""One webhook of ``c.SSEApp.webhooks``: where to POST, which events, in which format.

Each entry is a dict::

    {"url": "https://hooks.slack.com/services/...",   # required, http or https
     "format": "slack",             # generic (default) | slack | discord | ntfy
     "channels": ["train/*"],       # patterns (default ["*"])
     "types": ["notify"],           # event types (default ["notify"]; "*": any)
     "levels": ["warning", "error"],  # of notify and log events (default warning, error)
     "headers": {"Authorization": "Bearer ..."},  # sent with each POST
     "secret": "...",               # generic: HMAC-SHA256 of the body, in a header
     "topic": "my-alerts",          # ntfy: required, the topic to publish to
     "name": "team chat"}           # how logs call it (default: format and host)

An alert (a ``notify`` with ``"alert": true``, from ``ch.alert``) passes the level
filter whatever its level. URLs, headers and secrets never reach a log line: logs name
a webhook by ``label``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final, Literal, cast, get_args
from urllib.parse import urlsplit

from ...wire.errors import SSEConfigError, SSEValueError
from ...wire.events import ALERT_FIELD, LEVELS
from ...wire.names import check_pattern, check_type, covered

Format = Literal["generic", "slack", "discord", "ntfy"]
FORMATS: Final = frozenset(get_args(Format))
ANY_TYPE: Final = "*"
DEFAULT_TYPES: Final = ("notify",)
DEFAULT_LEVELS: Final = ("warning", "error")
LEVELLED_TYPES: Final = frozenset({"notify", "log"})  # the types whose data has a level
_KEYS: Final = frozenset(
    {"url", "format", "channels", "types", "levels", "headers", "secret", "topic", "name"}
)


@dataclass(frozen=True, slots=True)
class Webhook:
    """A parsed, valid webhook entry."""

    url: str
    format: Format
    channels: tuple[str, ...]
    types: frozenset[str]
    levels: frozenset[str]
    headers: tuple[tuple[str, str], ...]
    secret: str | None
    topic: str | None
    label: str  # for logs: no path, query, header or secret
    key: str  # the same on every server with the same entry (deduplication in Redis)

    def wants(self, channel: str, type_: str, data: Any) -> bool:
        """True when an event of ``type_`` on ``channel`` with ``data`` goes to this hook."""
        if not (ANY_TYPE in self.types or type_ in self.types):
            return False
        if not covered(self.channels, channel):
            return False
        if not isinstance(data, dict) or type_ not in LEVELLED_TYPES:
            return True
        if data.get(ALERT_FIELD) is True:
            return True
        # A notice without a level is shown as info; so it is filtered as info.
        return (data.get("level") or "info") in self.levels


def redact_url(url: str) -> str:
    """``url`` as a log may show it: scheme and host only (the path of a Slack or Discord
    webhook URL is its secret)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def parse_webhooks(raw: object) -> list[Webhook]:
    """The webhooks of a ``c.SSEApp.webhooks`` value; ``SSEConfigError`` says what is wrong."""
    if not isinstance(raw, list | tuple):
        raise SSEConfigError("c.SSEApp.webhooks must be a list of dicts (see the README)")
    return [_parse(i, entry) for i, entry in enumerate(raw)]


def _parse(index: int, entry: object) -> Webhook:
    where = f"c.SSEApp.webhooks[{index}]"
    if not isinstance(entry, dict):
        raise SSEConfigError(f"{where} must be a dict with at least a 'url'")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise SSEConfigError(f"{where}: unknown key(s) {unknown}; use {sorted(_KEYS)}")
    url = entry.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise SSEConfigError(f"{where}: 'url' must be an http:// or https:// URL")
    fmt = entry.get("format", "generic")
    if fmt not in FORMATS:
        raise SSEConfigError(f"{where}: 'format' must be one of {sorted(FORMATS)}")
    topic = entry.get("topic")
    if fmt == "ntfy" and not (isinstance(topic, str) and topic):
        raise SSEConfigError(f"{where}: the ntfy format needs a 'topic' to publish to")
    try:
        channels = tuple(check_pattern(p) for p in _strings(where, entry, "channels", ("*",)))
        names = _strings(where, entry, "types", DEFAULT_TYPES)
        types = [t if t == ANY_TYPE else check_type(t) for t in names]
    except SSEValueError as e:
        raise SSEConfigError(f"{where}: {e}") from None
    levels = _strings(where, entry, "levels", DEFAULT_LEVELS)
    if not set(levels) <= LEVELS:
        raise SSEConfigError(f"{where}: 'levels' must be some of {sorted(LEVELS)}")
    secret = entry.get("secret")
    if secret is not None and not (isinstance(secret, str) and secret):
        raise SSEConfigError(f"{where}: 'secret' must be a non-empty string")
    name = entry.get("name")
    if name is not None and not isinstance(name, str):
        raise SSEConfigError(f"{where}: 'name' must be a string")
    key = hashlib.sha256(f"{fmt} {url} {topic or ''}".encode()).hexdigest()[:16]
    return Webhook(
        url=cast(str, url),
        format=cast(Format, fmt),
        channels=channels,
        types=frozenset(types),
        levels=frozenset(levels),
        headers=_headers(where, entry.get("headers", {})),
        secret=secret,
        topic=topic if fmt == "ntfy" else None,
        label=name or f"{fmt} webhook {index} ({redact_url(cast(str, url))})",
        key=key,
    )


def _strings(
    where: str, entry: dict[str, Any], key: str, default: tuple[str, ...]
) -> tuple[str, ...]:
    value = entry.get(key, default)
    if isinstance(value, str):
        value = [value]
    if not (isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value)):
        raise SSEConfigError(f"{where}: {key!r} must be a non-empty list of strings")
    return tuple(value)


def _headers(where: str, value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise SSEConfigError(f"{where}: 'headers' must be a dict of strings")
    for k, v in value.items():
        if any(c in k + v for c in "\r\n") or not k:
            raise SSEConfigError(f"{where}: header names and values may not contain line breaks")
    return tuple(value.items())
