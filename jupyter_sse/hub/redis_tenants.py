"""Per-server Redis ACL users, provisioned by JupyterHub's spawn hooks (see ``__init__``)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Final
from urllib.parse import quote, urlsplit, urlunsplit

from ..wire.redis_keys import DEFAULT_PREFIX, KeyLayout, glob_escaped, hub_prefix, tenant_prefix
from ..wire.runtime import REDIS_URL_ENV

# Every command the extension sends, or that its scripts run; nothing else. Scripts run
# with their caller's rights, so the script commands must be allowed too: they reach
# only this tenant's keys, the hub's, and (below) the counter and the epoch.
COMMANDS: Final = (
    # connection: redis-py's handshake, keep-alive and scripts
    "auth",
    "hello",
    "ping",
    "client|setname",
    "evalsha",
    "eval",
    "script|load",
    "script|exists",
    "psubscribe",
    "punsubscribe",
    # what the scripts and the listing run
    "get",
    "set",
    "hmget",
    "hget",
    "hset",
    "hincrby",
    "hdel",
    "xadd",
    "xlen",
    "xrange",
    "xtrim",
    "zadd",
    "zcard",
    "zpopmin",
    "zrange",
    "zrangebylex",
    "rpush",
    "ltrim",
    "lrange",
    "del",
    "publish",
    "time",
    # chat (a kept message looked up, edited, deleted) and presence (each server's
    # watchers, renewed and expired in its tenant's space and the hub's)
    "hexists",
    "hgetall",
    "zrem",
    "zrangebyscore",
    "zremrangebyscore",
)


def tenant_of(user: str, server_name: str = "") -> str:
    """A server's tenant, as the extension derives it from JupyterHub's environment."""
    return f"{user}/{server_name}" if server_name else user


def acl_user_name(prefix: str, tenant: str) -> str:
    """The Redis ACL user of a tenant: a digest, so no user name needs escaping."""
    digest = hashlib.sha256(f"{prefix}\0{tenant}".encode()).hexdigest()[:24]
    return f"jupyter-sse-{digest}"


def acl_rules(prefix: str, tenant: str, password: str) -> list[str]:
    """The ``ACL SETUSER`` rules of ``tenant``'s server: its keys and channels, the hub's,
    the commands the extension uses, and the counter only ever incremented."""
    own = glob_escaped(tenant_prefix(prefix, tenant)) + "*"
    hub = glob_escaped(hub_prefix(prefix)) + "*"
    # PSUBSCRIBE is allowed only for a pattern that is literally one of the user's
    # channel patterns (so it cannot widen itself): the server's own are listed as such.
    subscriptions = KeyLayout(prefix, tenant).live_patterns
    return [
        "reset",  # no rule of an earlier spawn survives
        "on",
        f">{password}",
        f"~{own}",
        f"~{hub}",
        f"&{own}",
        f"&{hub}",
        *(f"&{pattern}" for pattern in subscriptions),
        *(f"+{command}" for command in COMMANDS),
        # Selectors (Redis 7): the shared counter may be read and incremented, never set
        # back; the epoch read and set (a server that finds data lost draws a new one).
        f"(~{glob_escaped(prefix + 'seq')} +get +incr)",
        f"(~{glob_escaped(prefix + 'epoch')} +get +set)",
    ]


class RedisTenants:
    """Spawn hooks that give each user's server Redis credentials of its own.

    ``admin_url`` is a Redis URL whose user may run ``ACL SETUSER`` and ``ACL DELUSER``
    (it stays in the hub process); ``prefix`` is the servers' ``c.SSEApp.redis_prefix``.
    """

    def __init__(self, admin_url: str, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.admin_url = admin_url
        self.prefix = prefix

    def _client(self) -> Any:
        import redis  # the hub needs the `redis` extra; imported where it is used

        return redis.Redis.from_url(self.admin_url)

    def provision(self, tenant: str) -> str:
        """Create or renew ``tenant``'s ACL user with a new password; its Redis URL."""
        password = secrets.token_urlsafe(32)
        user = acl_user_name(self.prefix, tenant)
        rules = acl_rules(self.prefix, tenant, password)
        with self._client() as client:
            client.execute_command("ACL", "SETUSER", user, *rules)
        parts = urlsplit(self.admin_url)
        netloc = f"{quote(user)}:{quote(password)}@{parts.hostname or '127.0.0.1'}"
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))

    def remove(self, tenant: str) -> None:
        """Delete ``tenant``'s ACL user (its server stopped): its password is worthless."""
        with self._client() as client:
            client.execute_command("ACL", "DELUSER", acl_user_name(self.prefix, tenant))

    def pre_spawn_hook(self, spawner: Any) -> None:
        """``c.Spawner.pre_spawn_hook``: the server's own Redis URL, in its environment."""
        tenant = tenant_of(spawner.user.name, spawner.name)
        environment = dict(spawner.environment or {})
        environment[REDIS_URL_ENV] = self.provision(tenant)
        spawner.environment = environment

    def post_stop_hook(self, spawner: Any) -> None:
        """``c.Spawner.post_stop_hook``: the stopped server's Redis user goes away."""
        self.remove(tenant_of(spawner.user.name, spawner.name))
