"""What runs in the JupyterHub process: Redis credentials of its own for each user's server.

In ``jupyterhub_config.py``::

    from jupyter_sse.hub import RedisTenants

    tenants = RedisTenants(os.environ["JUPYTER_SSE_REDIS_ADMIN_URL"])
    c.Spawner.pre_spawn_hook = tenants.pre_spawn_hook
    c.Spawner.post_stop_hook = tenants.post_stop_hook

Before each server starts, the hook creates (or renews) a Redis ACL user for it that
reaches only its tenant's keys and pub/sub channels, the hub-wide namespace, and the
shared sequence counter (which it may only increment), with only the commands the
extension uses: no SELECT, FLUSHDB, KEYS, CONFIG or any other database's keys. The
server gets that user's URL in its environment (``JUPYTER_SSE_REDIS_URL``), never on a
command line; it keeps it from its kernels and terminals, which publish through it.

Imports ``jupyter_sse.wire`` only (and redis, lazily).
"""

from .redis_tenants import RedisTenants, acl_rules, tenant_of

__all__ = ["RedisTenants", "acl_rules", "tenant_of"]
