"""The bounds both sides of the wire agree on.

The snapshot bounds are what a late viewer's ``snapshot`` event carries at most, per
channel; both brokers keep exactly these (the embedded one in ``ChannelState``, the
Redis one in the ``PUBLISH`` script). The browser keeps bounds of its own for live
data (``js/src/lib/state/channel-store.svelte.ts``, named ``KEPT_*``): a viewer that
stays connected may hold more rows than a snapshot carries.
"""

from __future__ import annotations

from typing import Final

# --- snapshots: each is a choice between what a late viewer sees and what every
# connect costs ---------------------------------------------------------------------
SNAPSHOT_KEYS: Final = 1000  # progress bars / statuses / tables / custom types per channel
SNAPSHOT_METRIC_POINTS: Final = 1000  # enough for a chart to show the trend so far
SNAPSHOT_TABLE_ROWS: Final = 100  # "newest rows, bounded", as the live table shows them
SNAPSHOT_LOG_LINES: Final = 200
# Chat messages a snapshot carries: a setting (c.SSEApp.chat_snapshot_messages); this is
# its default, and what a publisher that writes to Redis itself passes along.
DEFAULT_CHAT_SNAPSHOT_MESSAGES: Final = 100

# --- requests -------------------------------------------------------------------------
MAX_BATCH: Final = 1000  # events in one publish request (or one kernel batch)
DEFAULT_MAX_EVENT_BYTES: Final = 262_144  # JSON bytes of one event's data (server setting)
MAX_PATTERNS_PER_STREAM: Final = 64  # channels and patterns one stream may name
MAX_CURSOR_LENGTH: Final = 256  # characters of a Last-Event-ID the server will parse
