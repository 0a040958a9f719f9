"""Python logging into a channel: every record a `log` event, exceptions included.

Run it in a notebook cell, or as a script with JUPYTER_SSE_URL and JUPYTER_SSE_TOKEN set.
"""

import logging

import jupyter_sse as sse

handler = sse.LogHandler("examples/logging", level=logging.INFO)
handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
logging.getLogger().addHandler(handler)  # every library's records, from INFO up
logging.getLogger().setLevel(logging.INFO)

log = logging.getLogger("examples.train")
log.debug("not sent: below the handler's level")
log.info("epoch %d started", 1)
log.warning("learning rate %.0e looks high", 1e-1)
try:
    {}["checkpoint"]
except KeyError:
    log.exception("no checkpoint to resume from")  # the traceback goes too

sse.flush()
logging.getLogger().removeHandler(handler)
