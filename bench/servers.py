"""Packhouse under test: a ``packhouse serve`` subprocess, its CLI, and the static nginx copy."""

from __future__ import annotations

import gzip
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import (
    OUT,
    SECRETS,
    VENV_BIN,
    Background,
    clean_env,
    free_port,
    log,
    run,
    wait_http,
    worker_pids,
)

JSON = "application/vnd.pypi.simple.v1+json"
HTML = "text/html"
INDEX = "bench"


@dataclass
class Packhouse:
    """A running ``packhouse serve`` with an index, an uploader and a token."""

    data_dir: Path
    proc: Background
    url: str
    port: int
    user: str
    password: str
    token: str
    startup_s: float

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    def index_url(self, index: str = INDEX) -> str:
        return f"{self.url}/pypi/{index}/simple/"

    def upload_url(self, index: str = INDEX) -> str:
        return f"{self.url}/pypi/{index}/legacy/"

    def page_url(self, project: str | None = None, index: str = INDEX) -> str:
        return self.index_url(index) + (f"{project}/" if project else "")

    def workers(self) -> list[int]:
        return worker_pids(self.proc.proc.pid)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        return cli(self.data_dir, *args, stdin=stdin)

    def create_index(self, name: str) -> None:
        self.cli("index", "create", name)
        self.cli("grant", "uploader", "--index", name, "--user", self.user)


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    env = clean_env(PACKHOUSE_DATA_DIR=str(data_dir))
    return run([str(VENV_BIN / "packhouse"), *args], env=env, stdin=stdin).stdout


def start_packhouse(data_dir: Path, *, workers: int) -> Packhouse:
    """Serve a fresh data folder with ``workers`` processes; create the bench index and user."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = clean_env(PACKHOUSE_DATA_DIR=str(data_dir))
    command = [str(VENV_BIN / "packhouse"), "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    proc = Background.start("packhouse", command, env=env, log_path=data_dir.parent / "serve.log")
    url = f"http://127.0.0.1:{port}"
    startup = wait_http(url + "/healthz", proc=proc, interval=0.01)
    password = secrets.token_urlsafe(16)
    SECRETS.add(password)
    user = "bench"
    cli(data_dir, "user", "create", user, "--password-stdin", stdin=password + "\n")
    cli(data_dir, "index", "create", INDEX)
    cli(data_dir, "grant", "uploader", "--index", INDEX, "--user", user)
    out = cli(data_dir, "token", "create", "--user", user, "--role", "uploader")
    token = out.strip().splitlines()[-1]
    SECRETS.add(token)
    return Packhouse(data_dir, proc, url, port, user, password, token, startup)


def twine_upload(url: str, files: list[Path], *, username: str, password: str) -> None:
    command = [str(VENV_BIN / "twine"), "upload", "--repository-url", url]
    # --opt=value: a secret may begin with "-", which argparse would take for an option
    command += [f"--username={username}", f"--password={password}"]
    command += ["--disable-progress-bar", "--non-interactive"]
    run([*command, *map(str, files)], files=len(files), timeout=1800)


def uv_publish(url: str, files: list[Path], *, username: str, password: str) -> None:
    command = [str(VENV_BIN / "uv"), "publish", "--publish-url", url]
    command += [f"--username={username}", f"--password={password}", "--no-attestations"]
    run([*command, *map(str, files)], files=len(files), timeout=1800)


def warm(url: str, *, headers: dict[str, str], rounds: int = 12) -> bytes:
    """Fetch a URL on fresh connections, so every worker process has it cached; the body."""
    body = b""
    for _ in range(rounds):
        response = httpx.get(url, headers=headers, timeout=60)
        response.raise_for_status()
        body = response.content
    return body


def build_static_tree(ph: Packhouse, projects: list[str], *, with_files: list[str]) -> Path:
    """The same pages (and, for ``with_files``, files and .metadata) as a static folder.

    Laid out as Packhouse's URLs, so the pages' relative links work from nginx too: the
    HTML page as ``index.html``, the PEP 691 JSON as ``index.json``, each with a gzip copy.
    """
    root = OUT / "static"
    pages = root / "pypi" / INDEX / "simple"
    plain = {"Accept-Encoding": "identity"}
    for project in [None, *projects]:
        folder = pages / project if project else pages
        folder.mkdir(parents=True, exist_ok=True)
        for accept, name in ((HTML, "index.html"), (JSON, "index.json")):
            body = httpx.get(ph.page_url(project), headers={**plain, "Accept": accept}).content
            _write(folder / name, body)
            _write(folder / (name + ".gz"), gzip.compress(body, compresslevel=6, mtime=0))
    for project in with_files:
        page = httpx.get(ph.page_url(project), headers={"Accept": JSON}).json()
        for entry in page["files"]:
            _copy_file(ph, root, project, entry)
    log(f"static tree for nginx: {root}")
    return root


def _copy_file(ph: Packhouse, root: Path, project: str, entry: dict[str, object]) -> None:
    page_url = ph.page_url(project)
    file_url = httpx.URL(page_url).join(str(entry["url"]))
    target = root / file_url.path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    _write(target, httpx.get(file_url, timeout=60).content)
    if entry.get("core-metadata"):
        meta = httpx.get(str(file_url) + ".metadata", timeout=60).content
        _write(target.with_name(target.name + ".metadata"), meta)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
