"""People on a channel: chat messages (``sse/chat``) and presence (who watches now).

``service`` decides who may write what and publishes chat events through the broker,
like any event (history, resume, snapshots, Redis fan-out); ``route`` is its HTTP side.
``watchers`` knows who watches which channel, on this server and (through the broker)
on the others; ``presence`` tells this server's streams when that changes.
"""
