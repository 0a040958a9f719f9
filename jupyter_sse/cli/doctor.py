"""``jupyter sse doctor``: checks of a set-up, each with what to do when it fails.

Each check answers ``ok``, ``warn`` (works, but not as docs/scaling.md asks) or
``fail`` (something users will hit), with a fix in words. Exit code 3 when any check
fails. The checks read what an admin would: the Jupyter config and data folders of
this user, the running server (through the same discovery as ``share``), and Redis.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import stat
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

from ..wire.assets import DASHBOARD_BOOT, HOW_TO_BUILD, WIDGET_JS
from ..wire.errors import SSEError, describe
from ..wire.redis_keys import MIN_REDIS_VERSION, parse_version, redacted, too_old
from ..wire.runtime import REDIS_URL_ENV
from .connect import FAULTS, OK, Refused, Target, add_server_options, target

EXTENSION: Final = "jupyter_sse"
LABEXTENSION: Final = "jupyter-sse"  # the JupyterLab extension's package name
CLOCK_SKEW: Final = 5.0  # seconds of difference that break token expiry and timestamps
# docs/scaling.md: `client-output-buffer-limit pubsub 64mb 16mb 60`.
PUBSUB_HARD_MIN: Final = 32 * 1024 * 1024

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass
class Check:
    """One finding: what was checked, how it went, what was seen, and what to do."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def register(commands: Any) -> None:
    """Add ``doctor``."""
    doctor = commands.add_parser(
        "doctor",
        help="check the set-up and say how to fix what is wrong",
        description="Check the extension, the front end, the JupyterLab extension, the "
        "running server and its token, Redis (version and the settings docs/scaling.md "
        "asks for), the secret file and the clock. Exit code 3 when a check fails.",
    )
    add_server_options(doctor)
    doctor.add_argument(
        "--redis-url", help=f"Redis the servers use (default: ${REDIS_URL_ENV}, if set)"
    )
    doctor.add_argument(
        "--secret-file", type=Path, help="the server secret file (default: the server's default)"
    )
    doctor.add_argument("--json", action="store_true", help="the findings as a JSON list")
    doctor.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    checks: list[Check] = [
        extension_enabled(),
        front_end_built(),
        labextension_enabled(),
    ]
    server_checks, health = server(args)
    checks += server_checks
    redis_url = args.redis_url or os.environ.get(REDIS_URL_ENV, "")
    if redis_url:
        checks += redis(redis_url)
    elif health is not None and health.get("broker") == "redis":
        checks.append(
            Check("redis", "skip", "the server uses Redis", "pass --redis-url to check it")
        )
    checks.append(secret_file(args.secret_file))
    if args.json:
        print(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}
        for c in checks:
            print(f"[{marks[c.status]}] {c.name}: {c.detail}")
            if c.fix and c.status in ("warn", "fail", "skip"):
                print(f"       fix: {c.fix}")
    return FAULTS if any(c.status == "fail" for c in checks) else OK


# --- installation -----------------------------------------------------------------


def extension_enabled() -> Check:
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    manager = ExtensionConfigManager(read_config_path=jupyter_config_path())
    enabled = manager.get_jpserver_extensions().get(EXTENSION)  # type: ignore[no-untyped-call]
    if enabled:
        return Check("extension", "ok", f"{EXTENSION} is enabled in jupyter_server")
    said = "disabled" if enabled is False else "not enabled"
    return Check(
        "extension",
        "fail",
        f"{EXTENSION} is {said} in jupyter_server",
        f"jupyter server extension enable {EXTENSION}",
    )


def front_end_built() -> Check:
    missing = [p.name for p in (DASHBOARD_BOOT, WIDGET_JS) if not p.exists()]
    if not missing:
        return Check("front end", "ok", f"built ({WIDGET_JS.parent})")
    return Check("front end", "fail", f"not built: {', '.join(missing)} missing", HOW_TO_BUILD)


def labextension_enabled() -> Check:
    try:
        from jupyter_core.paths import jupyter_path
        from jupyterlab_server.config import get_federated_extensions, get_page_config
    except ImportError:
        return Check("labextension", "skip", "JupyterLab is not installed here")
    paths = jupyter_path("labextensions")
    found = get_federated_extensions(paths)
    if LABEXTENSION not in found:
        return Check(
            "labextension",
            "warn",
            f"{LABEXTENSION} is not installed: notebooks use the widget",
            "reinstall jupyter-sse from a wheel that carries the JupyterLab extension",
        )
    # What `jupyter labextension disable` writes: the extension's name, or one plugin's id.
    disabled = get_page_config(paths, logger=None).get("disabledExtensions") or {}
    if isinstance(disabled, list):  # older page configs list the names
        disabled = dict.fromkeys(disabled, True)
    if any(on and name.partition(":")[0] == LABEXTENSION for name, on in disabled.items()):
        return Check(
            "labextension",
            "fail",
            f"{LABEXTENSION} is disabled in JupyterLab",
            f"jupyter labextension enable {LABEXTENSION}",
        )
    return Check("labextension", "ok", f"{LABEXTENSION} {found[LABEXTENSION].get('version', '')}")


# --- the running server -------------------------------------------------------------


def server(args: argparse.Namespace) -> tuple[list[Check], dict[str, Any] | None]:
    """Reachable with this token, its health, and its clock against ours."""
    try:
        found = target(args)
    except SSEError as e:
        return [Check("server", "fail", str(e), "start a server: jupyter lab")], None
    asked = time.time()
    try:
        health, date = _health(found)
    except Refused as e:
        if e.status in (401, 403):
            fix = "pass the server's token with --token (jupyter server list shows it)"
        elif e.status == 404:
            fix = f"the extension is not loaded there: jupyter server extension enable {EXTENSION}"
        else:
            fix = "start it, or pass its URL with --url"
        return [Check("server", "fail", str(e), fix)], None
    checks = [Check("server", "ok", f"{found.url} answers with this token")]
    if health.get("state") == "ok":
        checks.append(Check("health", "ok", f"{health.get('broker')} broker, ok"))
    else:
        checks.append(
            Check(
                "health",
                "fail",
                f"{health.get('broker')} broker degraded: {health.get('reason')}",
                "see the reason; the server's log says the same",
            )
        )
    checks.append(_clock(asked, date))
    return checks, health


def _health(server: Target) -> tuple[dict[str, Any], str]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(server.url + "sse/health", headers=server.headers())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read()), response.headers.get("Date", "")
    except urllib.error.HTTPError as e:
        raise Refused(f"sse/health answered {e.code}", e.code) from None
    except OSError as e:
        raise Refused(f"cannot reach the server at {server.url}: {e}") from None


def _clock(asked: float, date: str) -> Check:
    try:
        theirs = email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return Check("clock", "skip", "the server sent no Date header")
    now = time.time()
    # The Date header has whole seconds: allow for that and the request itself.
    skew = max(asked - 1 - theirs, theirs - now, 0.0)
    if skew > CLOCK_SKEW:
        return Check(
            "clock",
            "fail",
            f"this machine and the server differ by {skew:.0f} s",
            "synchronise the clocks (NTP): viewer links expire by them",
        )
    return Check("clock", "ok", "this machine and the server agree")


# --- Redis --------------------------------------------------------------------------


def redis(url: str) -> list[Check]:
    where = redacted(url)
    try:
        import redis as redis_py
    except ImportError:
        return [
            Check(
                "redis", "fail", "the redis package is missing", "pip install 'jupyter-sse[redis]'"
            )
        ]
    client = redis_py.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
    try:
        client.ping()
        info = client.info("server")
        version = parse_version(str(info.get("redis_version", "")))
        checks = [_version(where, version)]
        checks += _settings(client)
        checks.append(_redis_clock(client))
        return checks
    except redis_py.RedisError as e:
        return [
            Check(
                "redis",
                "fail",
                f"{where}: {describe(e)}",
                "start Redis, or check the URL and its password",
            )
        ]
    finally:
        client.close()


def _version(where: str, version: tuple[int, ...]) -> Check:
    need = ".".join(map(str, MIN_REDIS_VERSION))
    shown = ".".join(map(str, version)) or "unknown"
    if too_old(version):
        return Check(
            "redis", "fail", f"{where} is Redis {shown}", f"upgrade to Redis {need} or later"
        )
    return Check("redis", "ok", f"{where} answers, Redis {shown}")


def _settings(client: Any) -> list[Check]:
    def setting(name: str) -> str:
        value = client.config_get(name).get(name)
        return "" if value is None else str(value)

    checks = []
    found: dict[str, Callable[[], Check]] = {
        "appendonly": lambda: Check(
            "redis appendonly",
            "ok" if setting("appendonly") == "yes" else "fail",
            f"appendonly {setting('appendonly')}",
            "appendonly yes (docs/scaling.md): without it a Redis restart loses every "
            "history and every stream gets reset",
        ),
        "maxmemory-policy": lambda: Check(
            "redis maxmemory-policy",
            "ok" if setting("maxmemory-policy") == "noeviction" else "fail",
            f"maxmemory-policy {setting('maxmemory-policy')}",
            "maxmemory-policy noeviction (docs/scaling.md): eviction breaks history "
            "and the sequence counter",
        ),
        "pubsub": lambda: _pubsub(setting("client-output-buffer-limit")),
    }
    from redis.exceptions import ResponseError

    for check in found.values():
        try:
            checks.append(check())
        except ResponseError as e:  # CONFIG refused (a managed Redis, an ACL user)
            checks.append(Check("redis settings", "skip", f"CONFIG GET is not allowed: {e}", ""))
            break
    return checks


def _pubsub(limits: str) -> Check:
    words = limits.split()
    hard = None
    for i, word in enumerate(words):
        if word == "pubsub" and i + 1 < len(words) and words[i + 1].isdigit():
            hard = int(words[i + 1])
    fix = "client-output-buffer-limit pubsub 64mb 16mb 60 (docs/scaling.md)"
    if hard is None:
        return Check("redis pubsub buffer", "warn", "not read", fix)
    if hard != 0 and hard < PUBSUB_HARD_MIN:
        return Check(
            "redis pubsub buffer",
            "warn",
            f"pub/sub connections are cut at {hard // (1024 * 1024)} MiB: bursts make "
            "servers reconnect and catch up",
            fix,
        )
    return Check("redis pubsub buffer", "ok", f"hard limit {hard // (1024 * 1024)} MiB")


def _redis_clock(client: Any) -> Check:
    from redis.exceptions import ResponseError

    try:
        seconds, micros = client.time()
    except ResponseError as e:  # TIME refused (an ACL user)
        return Check("redis clock", "skip", f"TIME is not allowed: {e}")
    skew = abs(seconds + micros / 1e6 - time.time())
    if skew > CLOCK_SKEW:
        return Check(
            "redis clock",
            "fail",
            f"Redis and this machine differ by {skew:.0f} s",
            "synchronise the clocks (NTP): history expiry and presence use Redis time",
        )
    return Check("redis clock", "ok", "Redis and this machine agree")


# --- the secret file -----------------------------------------------------------------


def secret_file(path: Path | None) -> Check:
    from ..server.secret import default_secret_file

    file = Path(path or default_secret_file())
    try:
        info = file.stat()
    except FileNotFoundError:
        return Check(
            "secret file",
            "fail",
            f"{file} is missing: links and publish tokens change at every restart",
            "start the server once (it creates it), or run jupyter sse rotate-secret",
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077 or info.st_uid != os.getuid():
        return Check(
            "secret file",
            "fail",
            f"{file} is readable by others (mode {mode:o}) or not yours",
            f"chmod 600 {file}, then jupyter sse rotate-secret (it may have leaked)",
        )
    return Check("secret file", "ok", f"{file} is present and private")
