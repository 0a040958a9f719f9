"""Start and stop the servers under test, each pinned to the server core.

Every server listens on 127.0.0.1 on a free port, logs to a file in the run's temp
dir, and is stopped (terminate, then kill) by the bench that started it.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from loadgen import Target

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOKEN = "bench-token"
START_TIMEOUT = 60.0  # seconds a server may take to answer its first request
NCHAN_MODULE = Path("/usr/lib/nginx/modules/ngx_nchan_module.so")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    target: Target
    proc: subprocess.Popen[bytes]
    log: Path
    extra: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss(self) -> int:
        """Resident bytes of the server: the process and its children (nginx workers)."""
        try:
            proc = psutil.Process(self.proc.pid)
            return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
        except psutil.NoSuchProcess:
            return 0

    def cpu(self) -> float:
        """CPU seconds (user + system) the server has used: contention on the machine
        stretches wall-clock figures, much less this."""
        try:
            proc = psutil.Process(self.proc.pid)
            times = [p.cpu_times() for p in [proc, *proc.children(recursive=True)]]
            return sum(t.user + t.system for t in times)
        except psutil.NoSuchProcess:
            return 0.0

    def worker_pids(self) -> list[int]:
        """The processes that do the work (for profiling)."""
        try:
            proc = psutil.Process(self.proc.pid)
            return [self.proc.pid, *(p.pid for p in proc.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        for proc in [self.proc, *self.extra]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [self.proc, *self.extra]:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _pinned(cmd: list[str], core: int) -> list[str]:
    return ["taskset", "-c", str(core), *cmd]


def _spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    try:
        return subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    finally:
        out.close()


def _wait_ready(server: Server, path: str, headers: dict[str, str] | None = None) -> None:
    import http.client

    deadline = time.monotonic() + START_TIMEOUT
    last: object = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            conn = http.client.HTTPConnection(server.target.host, server.target.port, timeout=5)
            conn.request("GET", path, headers=headers or {})
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
            last = status
        except OSError as e:
            last = e
        time.sleep(0.1)
    server.stop()
    tail = server.log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"{server.name} did not start ({last}); log tail:\n{tail}")


def start_jupyter_sse(
    tmp: Path,
    core: int,
    *,
    redis_url: str = "",
    name: str = "jupyter-sse",
    history_size: int = 20_000,
    sse: dict[str, object] | None = None,
) -> Server:
    """``sse``: more ``SSEApp`` settings (over the bench's)."""
    port = free_port()
    home = tmp / f"{name}-{port}"
    for sub in ("config", "data", "runtime", "root"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    config = {
        "ServerApp": {
            "ip": "127.0.0.1",
            "port": port,
            "port_retries": 0,
            "open_browser": False,
            "allow_root": True,
            "root_dir": str(home / "root"),
            "log_level": "WARN",
            "jpserver_extensions": {"jupyter_sse": True},
        },
        "IdentityProvider": {"token": TOKEN},
        "SSEApp": {
            "history_size": history_size,
            # Room for the resume figure's 10,000 missed events (~1.1 MB of frames): the
            # default keeps 1 MiB per channel, and a cursor older than that gets a reset.
            "history_bytes": 16 * 1024 * 1024,
            "max_connections": 20_000,
            "max_connections_per_user": 20_000,
            "redis_url": redis_url,
            **(sse or {}),
        },
    }
    (home / "config" / "jupyter_server_config.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    log = tmp / f"{name}-{port}.log"
    proc = _spawn(_pinned([sys.executable, "-m", "jupyter_server"], core), log, env)
    target = Target(
        name,
        "127.0.0.1",
        port,
        "/sse/stream?channel={channel}",
        "/sse/publish",
        headers={"Authorization": f"token {TOKEN}"},
    )
    server = Server(name, target, proc, log)
    _wait_ready(server, "/sse/health", target.headers)
    return server


def start_blaster(tmp: Path, core: int, streams: int, events_per_write: int = 1000) -> Server:
    """The ceiling source (peers/blaster.py): measures the load generator. It writes
    once ``streams`` streams are open, ``events_per_write`` events per write."""
    port = free_port()
    log = tmp / f"blaster-{port}.log"
    cmd = [
        sys.executable,
        str(HERE / "peers" / "blaster.py"),
        str(port),
        str(streams),
        str(events_per_write),
    ]
    proc = _spawn(_pinned(cmd, core), log)
    target = Target("blaster", "127.0.0.1", port, "/stream?channel={channel}", "/publish")
    server = Server("blaster", target, proc, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("the ceiling source did not start")


def start_tornado_peer(tmp: Path, core: int, *, heartbeat: float = 0.0) -> Server:
    """``heartbeat``: seconds between ``: ping`` comments on every stream (0: none)."""
    port = free_port()
    log = tmp / f"tornado-{port}.log"
    cmd = [sys.executable, str(HERE / "peers" / "tornado_peer.py"), str(port), str(heartbeat)]
    proc = _spawn(_pinned(cmd, core), log)
    target = Target("tornado", "127.0.0.1", port, "/stream?channel={channel}", "/publish")
    server = Server("tornado", target, proc, log)
    _wait_ready(server, "/health")
    return server


def start_starlette_peer(tmp: Path, core: int) -> Server:
    port = free_port()
    log = tmp / f"starlette-{port}.log"
    cmd = [sys.executable, str(HERE / "peers" / "starlette_peer.py"), str(port)]
    proc = _spawn(_pinned(cmd, core), log)
    target = Target("sse-starlette", "127.0.0.1", port, "/stream?channel={channel}", "/publish")
    server = Server("sse-starlette", target, proc, log)
    _wait_ready(server, "/health")
    return server


def nchan_unavailable() -> str | None:
    """Why nchan cannot run here, or None."""
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        return "nginx is not installed (bench/setup.sh installs it)"
    if not NCHAN_MODULE.exists():
        return "libnginx-mod-nchan is not installed (bench/setup.sh installs it)"
    return None


NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile {nofile};
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
load_module {module};
events {{ worker_connections {nofile}; }}
http {{
  access_log off;
  keepalive_requests 100000000;  # the publisher keeps one connection for every POST
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  nchan_shared_memory_size 512M;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location = /health {{ return 200 "ok"; }}
    location ~ ^/sub/([\\w.-]+)$ {{
      nchan_subscriber eventsource;
      nchan_channel_id $1;
      nchan_eventsource_event tick;
      nchan_eventsource_ping_interval {ping};
    }}
    location ~ ^/pub/([\\w.-]+)$ {{
      nchan_publisher;
      nchan_channel_id $1;
      nchan_message_buffer_length 20000;
      nchan_message_timeout 1h;
    }}
  }}
}}
"""


NCHAN_MAX_CONNECTIONS = 200_000


def nchan_connections() -> int:
    """The ``worker_connections`` (and descriptors) nchan's worker gets here: nginx cannot
    raise its descriptor limit past the hard one it inherits."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return (
        NCHAN_MAX_CONNECTIONS
        if hard == resource.RLIM_INFINITY
        else min(NCHAN_MAX_CONNECTIONS, hard)
    )


def nchan_holds(connections: int) -> int:
    """How many idle streams nchan keeps open with ``connections`` worker connections.

    Once fewer than 1/16 of them are free, nginx closes idle ("reusable") connections
    to make room, and an idle subscriber is one: with 20,000 it held 18,700 streams
    and closed some of 18,800 ("20000 worker_connections are not enough, reusing
    connections" in its error log)."""
    return connections - connections // 16


def start_nchan(tmp: Path, core: int, *, heartbeat: int = 0) -> Server:
    """``heartbeat``: seconds between pings on every stream (0: none)."""
    port = free_port()
    home = tmp / f"nchan-{port}"
    home.mkdir(parents=True, exist_ok=True)
    conf = home / "nginx.conf"
    nofile = nchan_connections()
    conf.write_text(
        NGINX_CONF.format(tmp=home, port=port, module=NCHAN_MODULE, ping=heartbeat, nofile=nofile)
    )
    log = tmp / f"nchan-{port}.log"
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = _spawn(_pinned([nginx, "-c", str(conf), "-p", str(home)], core), log)

    def body(channel: str, events: list[dict[str, object]]) -> bytes:
        (event,) = events
        return json.dumps(event["data"]).encode()

    target = Target(
        "nchan",
        "127.0.0.1",
        port,
        "/sub/{channel}",
        "/pub/{channel}",
        batch_publish=False,
        publish_body=body,
    )
    server = Server("nchan", target, proc, log)
    _wait_ready(server, "/health")
    return server


def start_redis(tmp: Path, core: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed (bench/setup.sh installs it)")
    log = tmp / f"redis-{port}.log"
    cmd = [
        exe,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp),
    ]
    proc = _spawn(_pinned(cmd, core), log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")
