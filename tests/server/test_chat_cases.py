"""The chat and presence cases the browser's checks are pinned to
(``tests/wire/chat_cases.json``) have the shapes of ``jupyter_sse.wire.events``, and the
first valid case of each is what the server's own code makes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NotRequired, get_origin, get_type_hints

import pytest

from jupyter_sse.server.chat.messages import delete_event, edit_event, new_message
from jupyter_sse.server.chat.watchers import WatcherBoard
from jupyter_sse.wire.events import (
    Author,
    ChatDelete,
    ChatEdit,
    ChatMessage,
    Presence,
    Watcher,
)

CASES = json.loads((Path(__file__).parents[1] / "wire" / "chat_cases.json").read_text())
SHAPES: dict[str, Any] = {
    "chat": ChatMessage,
    "chat_edit": ChatEdit,
    "chat_delete": ChatDelete,
    "presence": Presence,
}


def fits(value: dict[str, Any], shape: Any) -> bool:
    # From the type hints: with postponed annotations, a TypedDict's own
    # __required_keys__ cannot see NotRequired.
    hints = get_type_hints(shape, include_extras=True)
    required = {key for key, hint in hints.items() if get_origin(hint) is not NotRequired}
    return required <= set(value) <= set(hints)


def shape_of(value: Any) -> Any:
    """The value with every leaf replaced by its JSON type: what two cases share."""
    if isinstance(value, dict):
        return {k: shape_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape_of(v) for v in value[:1]]
    return "number" if isinstance(value, int | float) else type(value).__name__


@pytest.mark.parametrize("type_", sorted(SHAPES))
def test_valid_cases_have_the_servers_shapes(type_: str) -> None:
    for case in CASES[type_]["valid"]:
        assert fits(case, SHAPES[type_]), case
        if type_ == "presence":
            assert all(fits(w, Watcher) for w in case["watchers"])
        else:
            assert fits(case["author"], Author)


def test_the_first_valid_cases_are_what_the_server_makes() -> None:
    author: Author = {"name": "alice", "display_name": "Alice", "kind": "user"}
    message = new_message(author, "loss spiked at step 4k", None, 1764000000.123)
    edit, _ = edit_event(message, author, "fixed the typo", 1764000100.25)
    board = WatcherBoard(max_watchers=10)
    board.add("stream", author, ["talk"], 1764000000.1)
    board.add("other", {**author, "name": "bob"}, ["talk"], 1764000001.1)
    made = {
        "chat": message,
        "chat_edit": edit,
        "chat_delete": delete_event(message, author, 1764000200.5),
        "presence": json.loads(board.presence_json("talk")),
    }
    for type_, value in made.items():
        assert shape_of(value) == shape_of(CASES[type_]["valid"][0]), type_
