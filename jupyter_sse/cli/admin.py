"""``jupyter sse share`` (a read-only dashboard link) and ``jupyter sse rotate-secret``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..wire.runtime import RuntimeInfo
from .connect import OK, add_server_options, target


def register(commands: Any) -> None:
    """Add ``share`` and ``rotate-secret`` to the ``jupyter sse`` subcommands."""
    share_cmd = commands.add_parser(
        "share",
        help="print a read-only dashboard link",
        description="Print a dashboard link for CHANNELS with a scoped, read-only viewer token.",
    )
    share_cmd.add_argument("channels", nargs="+", help="channel names or patterns like 'train/*'")
    share_cmd.add_argument("--ttl", default="1h", help="lifetime: seconds or 90s/15m/2h/7d")
    add_server_options(share_cmd)
    share_cmd.add_argument(
        "--comment", action="store_true", help="the viewer may also chat on these channels"
    )
    share_cmd.add_argument(
        "--label", help="the name the viewer is shown by to everyone watching (default: Guest)"
    )
    share_cmd.set_defaults(run=share)

    rotate = commands.add_parser(
        "rotate-secret",
        help="replace the viewer secret: every viewer link stops working",
        description="Replace the server secret: every viewer link and publish token "
        "signed with it stops working.",
    )
    rotate.add_argument("--file", type=Path, help="secret file (default: the server's default)")
    rotate.set_defaults(run=rotate_secret)


def share(args: argparse.Namespace) -> int:
    from ..kernel.share import share as make_link

    server = target(args)
    link = make_link(
        args.channels,
        args.ttl,
        comment=args.comment,
        label=args.label,
        server_url=server.url,
        token=server.token,
    )
    print(link.url)
    return OK


def rotate_secret(args: argparse.Namespace) -> int:
    from ..kernel.transport.discovery import running_sse_servers
    from ..server.secret import ServerSecret, default_secret_file

    path = Path(args.file or default_secret_file()).resolve()
    ServerSecret(path).rotate()
    print(f"viewer secret replaced in {path}")
    # Whether that revokes anything depends on which servers read this file: say so.
    readers: list[RuntimeInfo] = []
    others: list[RuntimeInfo] = []
    for info in running_sse_servers():
        source = info.get("secret", "")
        (readers if source and Path(source).resolve() == path else others).append(info)
    for info in readers:
        print(f"  {info['url']}: its viewer links are revoked, open ones close within a second")
    for info in others:
        if info.get("secret") == "configured":
            print(
                f"  {info['url']}: not affected, it signs with c.SSEApp.viewer_secret; "
                "change that setting and restart it to revoke its links"
            )
        else:
            print(f"  {info['url']}: not affected, it reads {info.get('secret') or 'another file'}")
    if not readers:
        print("  no running server reads this file: servers started with it later use the new one")
    return OK
