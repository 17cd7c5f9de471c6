"""The competitor servers of the benchmark: devpi-server and pypiserver.

Each is installed from PyPI, pinned, into its own virtual environment under
``out/peers/<name>/venv`` (never into the project's venv), and run on 127.0.0.1 only, on a
free port, with a fresh data folder per start. Neither may reach the internet:

- **devpi-server** (:data:`DEVPI_SERVER_VERSION`) is initialised with ``devpi-init
  --no-root-pypi`` (no mirror of the public index) and run with ``--offline-mode``. It serves
  with waitress in one process, at its documented default of :data:`DEVPI_THREADS` threads
  (``--threads``). The benchmark index ``bench/dev`` is a stage index with no bases, made
  through devpi's JSON HTTP API (no devpi-client needed); it is ``volatile`` so that files
  may be replaced or deleted. Uploads authenticate with a devpi login token (as ``devpi
  login`` would), not the password, which devpi checks with argon2 on every request. Start-up
  takes ~20 s: devpi derives its keys from the server secret with argon2 (512 MiB, t=16).
- **pypiserver** (:data:`PYPISERVER_VERSION`) is run the way its README documents for
  production, as a WSGI app under gunicorn (``gunicorn -w N 'pypiserver:app(...)'``, here with
  :data:`PYPISERVER_WORKERS` sync workers for the 2 cores), with the ``[cache]`` extra
  (watchdog) so that it does not rescan the packages folder on every request, with upload
  authentication disabled (the equivalent of ``-a . -P .``) and with ``disable_fallback``
  (``--disable-fallback``: no redirect to the upstream index for unknown projects). Its
  ``root=`` argument prints a harmless deprecation notice ('root' with 'roots') at start.

Whether a peer serves PEP 691 JSON is found by a real request after start (``json_pages``).

``python -m bench.peers`` installs both, starts both, uploads three tiny wheels with the
project's twine, prints a simple page of each, and stops them.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import (
    OUT,
    ROOT,
    SECRETS,
    Background,
    descendants,
    free_port,
    log,
    run,
    wait_http,
)

#: Newest releases on PyPI when this was written (``pip index versions NAME``).
DEVPI_SERVER_VERSION = "6.20.3"
PYPISERVER_VERSION = "2.4.2"
GUNICORN_VERSION = "27.0.1"

#: What goes into each peer's venv; the key is the server package whose version is reported.
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "devpi-server": (f"devpi-server=={DEVPI_SERVER_VERSION}",),
    "pypiserver": (f"pypiserver[cache]=={PYPISERVER_VERSION}", f"gunicorn=={GUNICORN_VERSION}"),
}

#: devpi-server's waitress threads: its own default (``devpi-server --help``).
DEVPI_THREADS = 50
#: gunicorn sync workers for pypiserver: one per core.
PYPISERVER_WORKERS = 2

DEVPI_USER = "bench"
DEVPI_INDEX = "dev"

PEP691 = "application/vnd.pypi.simple.v1+json"

INSTALL_TIMEOUT = 900.0
START_TIMEOUT = 120.0


@dataclass
class Peer:
    """A running competitor server, as the benchmark talks to it."""

    name: str
    version: str
    base_url: str
    simple_url: str
    upload_url: str
    username: str
    password: str
    proc: Background
    json_pages: bool

    def project_url(self, project: str) -> str:
        """The simple page URL of a (normalized) project name."""
        return f"{self.simple_url}{project}/"

    def stop(self) -> None:
        self.proc.stop()

    def pids(self) -> list[int]:
        """The server's processes: the one started and all its descendants (workers)."""
        if not self.proc.alive():
            return []
        return [self.proc.proc.pid, *descendants(self.proc.proc.pid)]


# ---------------------------------------------------------------------------------------------
# installing


def peer_home(out: Path, name: str) -> Path:
    return out / "peers" / name


def venv_bin(out: Path, name: str) -> Path:
    return peer_home(out, name) / "venv" / "bin"


def installed_version(python: Path, package: str) -> str | None:
    """The version of a package in a venv, or None when it is not installed there."""
    code = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"
    result = run([str(python), "-c", code, package], timeout=60, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def install_peer(out: Path, name: str, requirements: Sequence[str]) -> str:
    """Install one peer into its own venv unless already done; its installed version."""
    home = peer_home(out, name)
    venv = home / "venv"
    python = venv / "bin" / "python"
    marker = home / "installed.json"
    if python.exists() and marker.exists():
        with contextlib.suppress(ValueError):
            if json.loads(marker.read_text()) == list(requirements):
                version = installed_version(python, name)
                if version:
                    return version
    if venv.exists():
        shutil.rmtree(venv)
    home.mkdir(parents=True, exist_ok=True)
    log(f"installing {' '.join(requirements)} into {venv}")
    run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    run([str(python), "-m", "pip", "install", "--quiet", *requirements], timeout=INSTALL_TIMEOUT)
    version = installed_version(python, name)
    if not version:
        raise RuntimeError(f"{name} is not importable in {venv} after installing it")
    marker.write_text(json.dumps(list(requirements)))
    return version


def install_peers(out: Path) -> dict[str, str]:
    """Install every peer into ``out/peers/<name>/venv`` (idempotent); {package: version}."""
    return {name: install_peer(out, name, reqs) for name, reqs in REQUIREMENTS.items()}


# ---------------------------------------------------------------------------------------------
# starting


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def new_log(path: Path) -> Path:
    path.unlink(missing_ok=True)
    return path


def serves_json(url: str) -> bool:
    """Whether the page answers a PEP 691 Accept header with PEP 691 JSON."""
    response = httpx.get(url, headers={"Accept": PEP691}, timeout=30)
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    return response.status_code == 200 and content_type == PEP691


def expect(response: httpx.Response, *statuses: int) -> None:
    if response.status_code not in statuses:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: HTTP {response.status_code}"
            f" {response.text[:1000]}"
        )


@contextlib.contextmanager
def stopped_on_error(proc: Background) -> Iterator[None]:
    """Stop a freshly started server when setting it up fails."""
    try:
        yield
    except BaseException:
        proc.stop()
        raise


def devpi_setup(base_url: str, user: str, password: str) -> str:
    """Create the benchmark user and its stage index (no bases, volatile) over the JSON API.

    Returns a login token of the user (what ``devpi login`` gets from ``/+login``).
    """
    with httpx.Client(base_url=base_url, timeout=60) as client:
        expect(client.put(f"/{user}", json={"password": password}), 201)
        index = {"type": "stage", "bases": [], "volatile": True}
        expect(client.put(f"/{user}/{DEVPI_INDEX}", json=index, auth=(user, password)), 200, 201)
        login = client.post("/+login", json={"user": user, "password": password})
        expect(login, 200)
        token = str(login.json()["result"]["password"])
    SECRETS.add(token)
    return token


def start_devpi(out: Path, *, threads: int = DEVPI_THREADS, token: bool = True) -> Peer:
    """Initialise a fresh devpi-server (no root/pypi mirror) and run it offline.

    With ``token`` (the default) the peer's upload password is a devpi login token, checked
    by a signature, like Packhouse's API tokens; without it, the user's password, which
    devpi checks with argon2 on every request (about 0.4 s each: uploads are ~4x slower).
    """
    name = "devpi-server"
    home = peer_home(out, name)
    bindir = venv_bin(out, name)
    version = installed_version(bindir / "python", name) or "unknown"
    server_dir = home / "server"
    if server_dir.exists():
        shutil.rmtree(server_dir)
    root_password = secrets.token_urlsafe(16)
    password = secrets.token_urlsafe(16)
    SECRETS.update({root_password, password})
    init = [str(bindir / "devpi-init"), "--serverdir", str(server_dir), "--no-root-pypi"]
    # --opt=value: a secret may begin with "-", which argparse would take for an option
    run([*init, f"--root-passwd={root_password}"], timeout=300)
    port = free_port()
    command = [
        str(bindir / "devpi-server"),
        "--serverdir",
        str(server_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--threads",
        str(threads),
        "--offline-mode",
    ]
    proc = Background.start(name, command, log_path=new_log(home / "server.log"), cwd=home)
    base = f"http://127.0.0.1:{port}"
    with stopped_on_error(proc):
        wait_http(f"{base}/+api", proc=proc, timeout=START_TIMEOUT)
        login_token = devpi_setup(base, DEVPI_USER, password)
        simple = f"{base}/{DEVPI_USER}/{DEVPI_INDEX}/+simple/"
        json_pages = serves_json(simple)
    return Peer(
        name=name,
        version=version,
        base_url=base,
        simple_url=simple,
        upload_url=f"{base}/{DEVPI_USER}/{DEVPI_INDEX}/",
        username=DEVPI_USER,
        password=login_token if token else password,
        proc=proc,
        json_pages=json_pages,
    )


def start_pypiserver(out: Path, *, workers: int = PYPISERVER_WORKERS) -> Peer:
    """Run pypiserver under gunicorn on an empty packages folder, open uploads, no fallback."""
    name = "pypiserver"
    home = peer_home(out, name)
    bindir = venv_bin(out, name)
    version = installed_version(bindir / "python", name) or "unknown"
    packages = fresh_dir(home / "packages")
    app = (
        f"pypiserver:app(root={str(packages)!r}, authenticate=[], password_file='.',"
        " disable_fallback=True)"
    )
    port = free_port()
    command = [
        str(bindir / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]
    proc = Background.start(name, command, log_path=new_log(home / "server.log"), cwd=home)
    base = f"http://127.0.0.1:{port}"
    with stopped_on_error(proc):
        wait_http(f"{base}/health", proc=proc, timeout=START_TIMEOUT)
        simple = f"{base}/simple/"
        json_pages = serves_json(simple)
    return Peer(
        name=name,
        version=version,
        base_url=base,
        simple_url=simple,
        upload_url=f"{base}/",
        username="",
        password="",
        proc=proc,
        json_pages=json_pages,
    )


# ---------------------------------------------------------------------------------------------
# uploading

#: Files per twine invocation (keeps the command line short).
UPLOAD_BATCH = 500


def upload(peer: Peer, files: list[Path], *, twine: Path) -> float:
    """Upload files with the real twine, in as few invocations as fit; files per second."""
    if not files:
        return 0.0
    # twine wants credentials even where the server checks none (pypiserver with -a .).
    username = peer.username or "bench"
    password = peer.password or "unused"
    start = time.perf_counter()
    for first in range(0, len(files), UPLOAD_BATCH):
        batch = files[first : first + UPLOAD_BATCH]
        command = [
            str(twine),
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            peer.upload_url,
            f"--username={username}",
            f"--password={password}",
            *map(str, batch),
        ]
        run(command, timeout=120 + 2 * len(batch), files=len(batch))
    return len(files) / (time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------
# a real try


def build_wheels(directory: Path) -> list[Path]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.builders import Dist, make_wheel, write

    dists = [Dist("peer-probe-a", "1.0"), Dist("peer-probe-a", "1.1"), Dist("peer-probe-b", "0.1")]
    return [write(directory, d.wheel_filename, make_wheel(d)) for d in dists]


def show_pages(peer: Peer, project: str) -> None:
    url = peer.project_url(project)
    html = httpx.get(url, timeout=30)
    log(f"--- {peer.name} {url} HTTP {html.status_code} {html.headers.get('content-type')}")
    log(html.text)
    if peer.json_pages:
        page = httpx.get(url, headers={"Accept": PEP691}, timeout=30)
        log(f"--- {peer.name} {url} (JSON) HTTP {page.status_code}")
        log(json.dumps(page.json(), indent=1))
    else:
        log(f"--- {peer.name} does not serve PEP 691 JSON")


def try_peer(peer: Peer, wheels: list[Path], twine: Path) -> None:
    rate = upload(peer, wheels, twine=twine)
    log(f"{peer.name} {peer.version}: uploaded {len(wheels)} files, {rate:.1f} files/s")
    show_pages(peer, "peer-probe-a")


def main() -> None:
    twine = ROOT / ".venv" / "bin" / "twine"
    versions = install_peers(OUT)
    log(f"installed: {versions}")
    with tempfile.TemporaryDirectory() as tmp:
        wheels = build_wheels(Path(tmp))
        for start in (start_devpi, start_pypiserver):
            peer = start(OUT)
            try:
                log(f"{peer.name} at {peer.base_url}: json_pages={peer.json_pages}")
                log(f"{peer.name} pids: {peer.pids()}")
                try_peer(peer, wheels, twine)
            finally:
                peer.stop()


if __name__ == "__main__":
    main()
