"""A notebook output that outlives its page and its kernel (the JupyterLab extension).

In a notebook, `ch` as a cell's last value (or `display(ch)`) shows the channel's live
view. In JupyterLab and Notebook 7 the extension draws it straight from the server's
stream: reload the page or restart the kernel while the cell runs and the output is
live again; the last state is saved in the notebook with the output. This script
prints what such an output carries, then publishes a short run for it to show.
"""

import json
import time

import jupyter_sse as sse

ch = sse.channel("examples/lab")
bundle = ch._repr_mimebundle_()  # what IPython asks for when a cell shows `ch`
data = bundle[0] if isinstance(bundle, tuple) else bundle
print("view:", json.dumps(data["application/vnd.jupyter-sse.view+json"]))

ch.status("phase", "running", variant="info")
for _ in ch.progress(range(50), label="steps"):
    time.sleep(0.01)
ch.status("phase", "done", variant="success")
ch.notify("Run finished", level="success")  # JupyterLab's own notification, where shown
sse.flush()
