"""``jupyter sse …``: the terminal's way in.

A room of its own rather than a part of either side: it composes the kernel side
(server discovery, share links) and the server side (the secret file), and talks to a
running server over HTTP. Every command has ``--help``; exit codes are in ``connect``.
"""

from __future__ import annotations

import argparse
import sys

from ..wire.errors import SSEError
from . import admin, doctor, feed
from .connect import FAILED, INTERRUPTED, USAGE, BadInput


def parser() -> argparse.ArgumentParser:
    """The ``jupyter sse`` argument parser, with every subcommand."""
    top = argparse.ArgumentParser(
        prog="jupyter sse",
        description="Live events of jupyter-sse from a terminal: tail, publish, list "
        "channels, check the set-up, share links.",
        epilog="exit codes: 0 done; 1 refused, unreachable or no server found; 2 bad "
        "usage or input; 3 doctor found a fault; 130 interrupted",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    feed.register(commands)
    doctor.register(commands)
    admin.register(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except BadInput as e:
        print(f"jupyter sse {args.command}: {e}", file=sys.stderr)
        return USAGE
    except SSEError as e:
        print(f"jupyter sse {args.command}: {e}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        return INTERRUPTED
    return code
