"""The peers the bench compares jupyter-sse with, each a small standalone server."""
