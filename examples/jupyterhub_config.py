"""JupyterHub with jupyter-sse on one Redis shared by every user, users kept apart.

    JUPYTER_SSE_REDIS_ADMIN_URL=redis://:ADMIN_PASSWORD@redis.internal:6379/0 \\
        jupyterhub -f examples/jupyterhub_config.py

Each user's server gets a Redis user of its own (see docs/scaling.md, "JupyterHub"):
its channels are its own, channels under hub/ are shared, kernels publish through
their server. The servers need `pip install 'jupyter-sse[redis]'`; so does the hub.
"""

import os

from jupyter_sse.hub import RedisTenants

c = get_config()  # noqa: F821  (JupyterHub's config object)

# The URL people reach the hub at: share links are built from it.
c.JupyterHub.public_url = os.environ.get("JUPYTERHUB_PUBLIC_URL", "http://127.0.0.1:8000")

# Passed in the hub's environment, never on a command line, and never to a server.
tenants = RedisTenants(os.environ["JUPYTER_SSE_REDIS_ADMIN_URL"])
c.Spawner.pre_spawn_hook = tenants.pre_spawn_hook
c.Spawner.post_stop_hook = tenants.post_stop_hook
