"""``sse/chat``: post (``POST``), edit (``PATCH``) and delete (``DELETE``) chat messages;
``GET sse/chat?channel=C`` tells a page who its caller is there and what they may do.

Who may write:

* a Jupyter user, on any channel they may read (not the server's ``jupyter/``);
* a viewer whose link was minted with ``comment``, on that link's channels;
* no kernel and no publish token: they publish ``notify`` or ``log`` instead.

The author of every event is stamped from the caller's identity (``auth.author_of``):
jupyter_server's user, or a viewer link's label. A message is edited by its author
only; it is deleted by its author or, as moderation, by a Jupyter user of this server
(on hub-wide channels, which every user of the hub shares, by its author only). Only
messages the channel's snapshot still keeps (``chat_snapshot_messages``) may change.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated
from tornado import web

from ...wire.errors import SSEValueError
from ...wire.events import ChatMessage, EventIn
from ...wire.json_text import dumps, escape_line_ends, json_size
from ...wire.names import HUB_NAMESPACE, RESERVED_PREFIX, check_channel, is_reserved
from ..auth import Principal, author_of
from ..broker.base import BrokerUnavailable
from ..handler_base import BodyHandler, RefusedError, publish_or_refuse, rate_refused
from ..limits import TokenBuckets
from ..services import Services
from ..validate import RejectedInput
from .messages import (
    DELETE_FIELDS,
    EDIT_FIELDS,
    POST_FIELDS,
    check_text,
    delete_event,
    edit_event,
    kept_message,
    new_message,
    parse_body,
    same_person,
)


@dataclass(frozen=True)
class ChatLimits:
    """The chat settings the route enforces, and its rate buckets (one per person)."""

    max_chars: int
    rate_limit: float
    rate: TokenBuckets


class ChatHandler(BodyHandler):
    """``POST``/``PATCH``/``DELETE sse/chat`` (see the module docstring)."""

    # Publishers are let in to be told, in words, that they cannot chat.
    callers = ("user", "viewer", "publisher")
    chat: ChatLimits

    def initialize(self, services: Services, chat: ChatLimits) -> None:  # type: ignore[override]
        super().initialize(services)
        self.chat = chat

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.principal.kind == "publisher":
            raise web.HTTPError(
                403, "kernels and publish tokens cannot chat: publish a notify or log event"
            )

    @allow_unauthenticated
    async def get(self) -> None:
        """``{"author", "may_chat", "may_moderate", "max_chars"}`` on ``?channel=C``: the
        author the caller's messages will carry (a page shows edit and delete on its
        own), and whether they may write there at all."""
        channel = self.get_query_argument("channel", "")
        try:
            check_channel(channel)
        except SSEValueError as e:
            raise web.HTTPError(400, str(e)) from None
        principal = await self.authorize("user", "viewer", patterns=[channel])
        if not principal.may_read(channel):
            raise web.HTTPError(403, f"this viewer link does not cover {channel!r}")
        may_chat = not is_reserved(channel) and (principal.kind == "user" or principal.comment)
        self.write_json(
            {
                "author": author_of(principal, self.services.tenant),
                "may_chat": may_chat,
                "may_moderate": may_chat and self._moderates(principal, channel),
                "max_chars": self.chat.max_chars,
            }
        )

    @allow_unauthenticated
    async def post(self) -> None:
        body = self._parse(POST_FIELDS)
        channel = body["channel"]
        principal = await self._writer(channel)
        text = self._text(body["text"])
        message = new_message(
            author_of(principal, self.services.tenant), text, body.get("reply_to"), time.time()
        )
        event: EventIn = {"channel": channel, "type": "chat", "data": message}
        await self._publish(principal, event, message["id"])

    @allow_unauthenticated
    async def patch(self) -> None:
        body = self._parse(EDIT_FIELDS)
        channel = body["channel"]
        principal = await self._writer(channel)
        text = self._text(body["text"])
        message = await self._kept(channel, body["id"])
        me = author_of(principal, self.services.tenant)
        if not same_person(message["author"], me):
            raise web.HTTPError(403, "only its author edits a message")
        edit, edited = edit_event(message, me, text, time.time())
        event: EventIn = {"channel": channel, "type": "chat_edit", "data": edit}
        event["state_json"] = edited
        await self._publish(principal, event, message["id"])

    @allow_unauthenticated
    async def delete(self) -> None:
        body = self._parse(DELETE_FIELDS)
        channel = body["channel"]
        principal = await self._writer(channel)
        message = await self._kept(channel, body["id"])
        me = author_of(principal, self.services.tenant)
        if not same_person(message["author"], me) and not self._moderates(principal, channel):
            raise web.HTTPError(
                403, "only its author, or a Jupyter user of this server, deletes a message"
            )
        delete = delete_event(message, me, time.time())
        event: EventIn = {"channel": channel, "type": "chat_delete", "data": delete}
        await self._publish(principal, event, delete["id"])

    # --- the rules --------------------------------------------------------------------

    def _parse(self, fields: Any) -> dict[str, Any]:
        try:
            return parse_body(self.body, fields)
        except RejectedInput as e:
            raise web.HTTPError(e.status, e.message) from None

    def _text(self, text: object) -> str:
        try:
            return check_text(text, self.chat.max_chars)
        except RejectedInput as e:
            raise web.HTTPError(e.status, e.message) from None

    async def _writer(self, channel: str) -> Principal:
        """The caller, if they may write on ``channel``; else 403."""
        if is_reserved(channel):
            raise web.HTTPError(403, f"only the server writes to {RESERVED_PREFIX} channels")
        # Asked again now that the channel is known: of a browser's viewer links, the
        # one that covers it (and may chat) is the caller.
        principal = await self.authorize("user", "viewer", patterns=[channel])
        if principal.kind == "viewer":
            if not principal.may_read(channel):
                raise web.HTTPError(403, f"this viewer link does not cover {channel!r}")
            if not principal.comment:
                raise web.HTTPError(
                    403, "this viewer link may read but not chat: ask for a link with comment"
                )
        return principal

    def _moderates(self, principal: Principal, channel: str) -> bool:
        # A hub-wide channel is every tenant's: no one server's user moderates it.
        shared = bool(self.services.tenant) and channel.startswith(HUB_NAMESPACE)
        return principal.kind == "user" and not shared

    async def _kept(self, channel: str, message_id: str) -> ChatMessage:
        try:
            found = await self.services.broker.chat_message(channel, message_id)
        except BrokerUnavailable as e:
            raise RefusedError(503, f"broker unavailable: {e}", {"Retry-After": "1"}) from None
        message = kept_message(found)
        if message is None:
            raise web.HTTPError(
                404,
                f"no message {message_id!r} among the last messages of {channel!r} (deleted, "
                "or older than c.SSEApp.chat_snapshot_messages)",
            )
        return message

    async def _publish(self, principal: Principal, event: EventIn, message_id: str) -> None:
        """Publish ``event`` if it fits and the caller is within the rate; answer."""
        data_json = escape_line_ends(dumps(event["data"]))
        most = self.services.limits.max_event_bytes
        if json_size(data_json) > most:
            raise web.HTTPError(413, f"this message is over {most} bytes of JSON (max_event_bytes)")
        wait = self.chat.rate.admit(principal.key, 1)
        if wait > 0:
            raise rate_refused(
                "chat",
                f"chat rate limit of {self.chat.rate_limit:g} messages/s reached; wait a moment",
                wait,
            )
        event["data_json"] = data_json
        ids = await publish_or_refuse(self.services, [event])
        self.write_json({"id": message_id, "event_id": ids[0]})
