"""A publisher in any language, the fast way: one WebSocket kept open on
``sse/publish/socket``.

Each message is what ``POST sse/publish`` takes (one event object or a JSON array of
them); each answer, in order, is ``{"ids": [...]}`` or ``{"error", "status"}``, and a
refused message changes nothing and leaves the socket open. The token goes in the
``Authorization`` header of the handshake (a publish token, as kernels have, or a
Jupyter token). The server knows the caller from the handshake, so a message costs it
a third of a POST's time: what the Python publisher uses by itself.

Needs ``websocket-client`` (jupyter_server depends on it), and ``JUPYTER_SSE_URL`` and
``JUPYTER_SSE_TOKEN`` as for ``publish_with_curl.sh``.
"""

import json
import os

import websocket

base = os.environ["JUPYTER_SSE_URL"]
url = base.replace("http", "ws", 1) + "sse/publish/socket"
token = os.environ["JUPYTER_SSE_TOKEN"]
socket = websocket.create_connection(url, header=[f"Authorization: token {token}"])


def publish(body: object) -> dict[str, object]:
    socket.send(json.dumps(body))
    answer: dict[str, object] = json.loads(socket.recv())
    return answer


try:
    for step in range(20):
        data = {"step": step, "values": {"loss": 1 / (step + 1)}}
        answer = publish({"channel": "examples/socket", "type": "metric", "data": data})
        if "error" in answer:
            raise SystemExit(f"refused ({answer['status']}): {answer['error']}")
    # A refused message: the answer says why, and the socket goes on.
    print(json.dumps(publish({"channel": "not a name", "type": "log", "data": {"text": "lost"}})))
    status = {"key": "run", "value": "done", "variant": "success"}
    print(json.dumps(publish({"channel": "examples/socket", "type": "status", "data": status})))
finally:
    socket.close()
