"""A publish's events from its body to the broker: the checks and the order every way
in shares (``POST sse/publish`` and the publish socket)."""

from __future__ import annotations

import asyncio

from tornado import web

from ..wire.events import Author, EventIn
from ..wire.json_text import dumps
from ..wire.names import HUB_NAMESPACE, RESERVED_PREFIX, is_reserved
from .auth import Principal, author_of
from .handler_base import publish_or_refuse, rate_refused
from .services import Services
from .validate import RejectedInput, parse_publish_body


async def publish_body(services: Services, principal: Principal, body: bytes) -> list[str]:
    """Publish the events of ``body`` (one event or a JSON array) as ``principal``; the
    ids the broker assigned, in order. Refused (``HTTPError``: 400, 403, 413, 429, 503)
    before anything is stored, and then nothing is."""
    limits = services.limits
    try:
        events = parse_publish_body(
            body, max_event_bytes=limits.max_event_bytes, max_request_bytes=limits.body_bytes
        )
    except RejectedInput as e:
        raise web.HTTPError(e.status, e.message) from None
    if any(is_reserved(event["channel"]) for event in events):
        raise web.HTTPError(403, f"only the server publishes to {RESERVED_PREFIX} channels")
    if services.tenant:
        stamp_hub_authors(events, author_of(principal, services.tenant))
    wait = services.rate.admit(principal.key, len(events))
    if wait > 0:
        raise rate_refused(
            "publish", f"publish rate limit of {limits.publish_rate_limit:g} events/s reached", wait
        )
    ids = await publish_or_refuse(services, events)
    # Answered on the loop's next turn: an idle server's sweep, due at the end of this
    # one, then writes the events to the streams before the publisher is answered and
    # the request logged; a held sweep (a busy server) is not waited for. Answered
    # first, the publisher woke to read its answer just as the events went out, and
    # on two cores its wake-up met the viewers': a POST's event reached a stream read
    # by another process 0.80-0.82 ms p50 after the send, 0.59-0.64 with the sweep
    # first (bench/README.md).
    await asyncio.sleep(0)
    return ids


def stamp_hub_authors(events: list[EventIn], author: Author) -> None:
    """Stamp ``author`` on every event of the hub-wide namespace, replacing whatever
    author the client sent; 400 for such an event whose data is not an object."""
    for index, event in enumerate(events):
        if not event["channel"].startswith(HUB_NAMESPACE):
            continue
        data = event["data"]
        if type(data) is not dict:
            raise web.HTTPError(
                400,
                f"event {index}: events of hub/ channels carry a JSON object (the server adds "
                "their author to it)",
            )
        stamped = {**data, "author": author}
        event["data"] = stamped
        event["data_json"] = dumps(stamped)
