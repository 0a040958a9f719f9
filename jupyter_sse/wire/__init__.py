"""The contract that kernels, scripts and servers speak: names, event shapes, JSON, the
SSE encoding, the bounds both sides enforce, and the Redis layout.

Standard library only, and nothing here imports ``jupyter_sse.kernel`` or
``jupyter_sse.server``: both of those import this room, never each other.
"""
