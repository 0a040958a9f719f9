"""Alerts out: POST chosen events to webhooks (a generic receiver, Slack, Discord, ntfy).

``config`` reads ``c.SSEApp.webhooks``, ``formats`` makes each format's body, ``delivery``
sends with retries from a bounded queue, ``feed`` subscribes to the broker like a
stream, and ``service`` (``Webhooks``) puts them together; ``settings`` holds the
settings.
"""
