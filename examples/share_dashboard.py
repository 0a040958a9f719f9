"""A read-only dashboard link for people without Jupyter access.

Run it in a kernel of a Jupyter server with jupyter-sse (it finds the server itself);
from a terminal, `jupyter sse share 'examples/*' --ttl 2h` does the same.
"""

import jupyter_sse as sse

link = sse.share(["examples/*"], ttl="2h")
print(link.url)  # the viewer sees examples/* live, and nothing else, for two hours
link  # noqa: B018  # in a notebook: the last expression shows as a clickable link
