"""The server channels' names: the reserved namespace and the event bus mapping."""

from __future__ import annotations

import pytest

from jupyter_sse.wire.errors import SSEValueError
from jupyter_sse.wire.names import check_publishable, is_channel, is_reserved
from jupyter_sse.wire.server_channels import (
    ACTIVITY_CHANNEL,
    SYSTEM_CHANNEL,
    bus_event_type,
    events_channel,
)


def test_the_server_channels_are_in_the_reserved_namespace() -> None:
    for name in (SYSTEM_CHANNEL, ACTIVITY_CHANNEL, "jupyter/events/x"):
        assert is_reserved(name)
        with pytest.raises(SSEValueError, match="only the Jupyter server publishes"):
            check_publishable(name)
    for name in ("jupyter", "jupyterlab/x", "train/jupyter/x"):
        assert not is_reserved(name)
        assert check_publishable(name) == name


@pytest.mark.parametrize(
    ("schema_id", "channel"),
    [
        (
            "https://events.jupyter.org/jupyter_server/contents_service/v1",
            "jupyter/events/jupyter_server/contents_service",
        ),
        (
            "https://events.jupyter.org/jupyter_server/kernel_actions/v1",
            "jupyter/events/jupyter_server/kernel_actions",
        ),
        (
            "https://events.example.com/my ext/thing/v12",
            "jupyter/events/events.example.com/my_ext/thing",
        ),
        ("http://myextension.org/my-event", "jupyter/events/myextension.org/my-event"),
        ("my.extension.event", "jupyter/events/my.extension.event"),
        ("https://events.jupyter.org/v1", "jupyter/events/v1"),
    ],
)
def test_an_event_schema_maps_to_one_channel(schema_id: str, channel: str) -> None:
    assert events_channel(schema_id) == channel


def test_a_long_schema_id_gets_a_valid_channel_of_its_own() -> None:
    a = "https://events.example.com/" + "x" * 200 + "/a/v1"
    b = "https://events.example.com/" + "x" * 200 + "/b/v1"
    assert is_channel(events_channel(a))
    assert is_channel(events_channel(b))
    assert events_channel(a) != events_channel(b)


def test_a_bridged_event_is_typed_by_its_action_unless_that_would_mislead() -> None:
    assert bus_event_type({"action": "save", "path": "a.ipynb"}) == "save"
    assert bus_event_type({"action": "start"}) == "start"
    for action in ("status", "notify", "reset", "snapshot", "a b", 3, None):
        assert bus_event_type({"action": action}) == "event"
    assert bus_event_type({}) == "event"
