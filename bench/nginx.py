"""nginx for the benchmark: a static folder (the baseline), and the documented front of Packhouse.

Each nginx runs in the foreground in its own folder ``OUT/nginx-<name>/`` (configuration, pid
file, error log, temporary files and cache), on a free port of 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
from pathlib import Path

from bench.common import OUT, ROOT, Background, free_port, rmtree, wait_http

#: The documented template that ``start_front`` renders.
TEMPLATE = ROOT / "docs" / "nginx" / "packhouse.conf"
#: The internal location of the template: start Packhouse with this as
#: ``PACKHOUSE_ACCEL_REDIRECT_PREFIX`` for ``start_front``.
ACCEL_REDIRECT_PREFIX = "/_packhouse_blobs/"

_TYPES = "types { text/html html; application/vnd.pypi.simple.v1+json json; }"


def nginx_binary() -> str:
    """The nginx executable (Debian keeps it in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("nginx")
    if found is None and os.access("/usr/sbin/nginx", os.X_OK):
        found = "/usr/sbin/nginx"
    if found is None:
        raise RuntimeError("nginx is not installed: apt-get install nginx-light")
    return found


def start_static(root: Path, *, workers: int = 2) -> tuple[Background, int]:
    """nginx serving ``root`` as files: ``index.html`` for folders, ``.gz`` twins when asked."""
    port = free_port()
    site = f"""server {{
    listen 127.0.0.1:{port};
    root {root.resolve()};
    index index.html;
    {_TYPES}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    gzip_static on;
    gzip_vary on;
}}
"""
    return _start("static", site, port=port, workers=workers, ready_path="/")


def start_front(upstream_port: int, blob_dir: Path, *, workers: int = 2) -> tuple[Background, int]:
    """nginx from docs/nginx/packhouse.conf in front of Packhouse on ``upstream_port``."""
    port = free_port()
    folder = OUT / "nginx-front"
    values = {
        "@LISTEN@": f"127.0.0.1:{port}",
        "@UPSTREAM@": f"127.0.0.1:{upstream_port}",
        "@BLOB_DIR@": str(blob_dir.resolve()),
        "@CACHE_DIR@": str(folder / "cache"),
    }
    site = TEMPLATE.read_text()
    for placeholder, value in values.items():
        site = site.replace(placeholder, value)
    left = re.findall(r"@[A-Z_]+@", site)
    if left:
        raise RuntimeError(f"{TEMPLATE} has placeholders start_front does not fill: {left}")
    return _start("front", site, port=port, workers=workers, ready_path="/healthz")


def _start(
    name: str, site: str, *, port: int, workers: int, ready_path: str
) -> tuple[Background, int]:
    folder = OUT / f"nginx-{name}"
    rmtree(folder)  # no cache or pid file left from an earlier run
    folder.mkdir(parents=True)
    (folder / "site.conf").write_text(site)
    config = folder / "nginx.conf"
    config.write_text(_main_config(folder, workers=workers))
    command = [
        nginx_binary(),
        "-e", str(folder / "error.log"),
        "-c", str(config),
        "-p", f"{folder}/",
        "-g", "daemon off;",
    ]  # fmt: skip
    server = Background.start(f"nginx-{name}", command, log_path=folder / "stdout.log")
    try:
        wait_http(f"http://127.0.0.1:{port}{ready_path}", proc=server, ok=lambda s: s < 500)
    except BaseException:
        server.stop()
        raise
    return server, port


def _main_config(folder: Path, *, workers: int) -> str:
    """The whole nginx.conf: every path under ``folder``, no access log, long keep-alives."""
    # As root, nginx's workers would run as nobody and could not read 0700 folders or the blobs.
    user = "user root;\n" if os.geteuid() == 0 else ""
    soft_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    connections = 4096 if soft_limit == resource.RLIM_INFINITY else min(4096, soft_limit // 2)
    return f"""{user}worker_processes {workers};
pid {folder}/nginx.pid;
lock_file {folder}/nginx.lock;
error_log {folder}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    default_type application/octet-stream;
    # wrk keeps its connections: do not close them every 1000 requests (nginx's default).
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
"""
