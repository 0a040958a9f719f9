"""Chat next to the live results: a link that lets a reviewer comment, and a message.

Run it in a terminal of a Jupyter server with jupyter-sse (it finds the server itself).
`sse.share(..., comment=True)` (or `jupyter sse share 'examples/*' --comment --label
Reviewer`) makes a dashboard link whose viewer may also chat on those channels, shown
to everyone watching by its label. Here the reviewer's side is played with the
standard library: open the link (which swaps the token for a cookie), then post to
`sse/chat`. The server stamps who wrote it; the text goes out exactly as typed.
Open the link in a browser to see the chat beside the channel's card, and who watches.
"""

import http.cookiejar
import json
import urllib.request

import jupyter_sse as sse

link = sse.share(["examples/chat"], ttl="1h", comment=True, label="Reviewer")
print("a link that may comment:", link.url)

# The reviewer, in a browser of their own: opening the link keeps its cookie.
browser = urllib.request.build_opener(
    urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
)
browser.open(link.url).read()
base = link.url.split("sse/dashboard")[0]
request = urllib.request.Request(
    base + "sse/chat",
    data=json.dumps(
        {"channel": "examples/chat", "text": "loss spiked at step 4k <b>?</b>"}
    ).encode(),
    headers={"Content-Type": "application/json"},
)
posted = json.loads(browser.open(request).read())
print("posted message", posted["id"], "as", link.label)
