"""jupyter sse: share links and secret rotation from a terminal.

A top-level entry point rather than a module of either room: it composes the kernel
side (share links, server discovery) and the server side (the secret file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .wire.errors import SSEError
from .wire.runtime import RuntimeInfo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jupyter sse", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    share_cmd = commands.add_parser("share", help="print a read-only dashboard link")
    share_cmd.add_argument("channels", nargs="+", help="channel names or patterns like 'train/*'")
    share_cmd.add_argument("--ttl", default="1h", help="lifetime: seconds or 90s/15m/2h/7d")
    share_cmd.add_argument(
        "--url", help="server URL (default: the server of this terminal, else the newest running)"
    )
    share_cmd.add_argument("--token", help="Jupyter token of that server")
    share_cmd.add_argument(
        "--comment", action="store_true", help="the viewer may also chat on these channels"
    )
    share_cmd.add_argument(
        "--label", help="the name the viewer is shown by to everyone watching (default: Guest)"
    )

    rotate = commands.add_parser(
        "rotate-secret", help="replace the viewer secret: every viewer link stops working"
    )
    rotate.add_argument("--file", type=Path, help="secret file (default: the server's default)")

    args = parser.parse_args(argv)
    try:
        if args.command == "share":
            return _share(args)
        return _rotate(args)
    except SSEError as e:
        print(f"jupyter sse: {e}", file=sys.stderr)
        return 1


def _share(args: argparse.Namespace) -> int:
    from .kernel.share import share
    from .kernel.transport.discovery import find_server

    url, token = args.url, args.token
    if url is None:
        server = find_server()
        url, token = server["url"], token or server.get("token", "")
    link = share(
        args.channels,
        args.ttl,
        comment=args.comment,
        label=args.label,
        server_url=url,
        token=token or "",
    )
    print(link.url)
    return 0


def _rotate(args: argparse.Namespace) -> int:
    from .kernel.transport.discovery import running_sse_servers
    from .server.secret import ServerSecret, default_secret_file

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
