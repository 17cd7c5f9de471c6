"""The story driver: a real server process and the real clients (twine, uv, pip) around it."""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from packhouse.cli import app as cli_app
from packhouse.errors import PackhouseError
from tests.builders import Dist, make_sdist, make_wheel, write

VENV_BIN = Path(sys.executable).parent
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for clients: no pip configuration that could reach another index."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_", "TWINE_", "PACKHOUSE_"))
    }
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", UV_NO_CONFIG="1")
    env.update(extra)
    return env


@dataclass
class ServerProcess:
    """``packhouse serve`` in a subprocess on 127.0.0.1."""

    proc: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    env: dict[str, str]
    log: Path

    @classmethod
    @contextlib.contextmanager
    def start(
        cls,
        data_dir: Path,
        *,
        env: dict[str, str] | None = None,
        workers: int = 1,
        args: Sequence[str] = (),
    ) -> Iterator[ServerProcess]:
        server = cls.launch(data_dir, env=env, workers=workers, args=args)
        try:
            yield server
        finally:
            server.stop()

    @classmethod
    def launch(
        cls,
        data_dir: Path,
        *,
        env: dict[str, str] | None = None,
        workers: int = 1,
        args: Sequence[str] = (),
    ) -> ServerProcess:
        """Start ``packhouse serve`` on a free port; ``args`` are more ``serve`` options."""
        port = free_port()
        full_env = clean_env(PACKHOUSE_DATA_DIR=str(data_dir), **(env or {}))
        log = data_dir.parent / f"{data_dir.name}-server-{port}.log"
        command = [
            str(VENV_BIN / "packhouse"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            *args,
        ]
        with log.open("ab") as out:
            proc = subprocess.Popen(
                command, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        server = cls(proc, f"http://127.0.0.1:{port}", data_dir, full_env, log)
        try:
            server.wait_ready()
        except BaseException:
            server.stop()  # never leave a half-started server behind
            raise
        return server

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def kill(self) -> None:
        """SIGKILL the whole server, workers included: no clean shutdown."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class User:
    name: str
    password: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.name, self.password)


@dataclass
class Packhouse:
    """Stories read as calls on this: create_index, upload, yank, pip_install, uv_install."""

    server: ServerProcess
    tmp: Path
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.server.url, timeout=60)

    @property
    def url(self) -> str:
        return self.server.url

    def index_url(self, index: str, *, auth: tuple[str, str] | None = None) -> str:
        base = self.url
        if auth:
            base = base.replace("http://", f"http://{auth[0]}:{auth[1]}@")
        return f"{base}/pypi/{index}/simple/"

    def upload_url(self, index: str) -> str:
        return f"{self.url}/pypi/{index}/legacy/"

    # administration through the real CLI

    def cli(self, *args: str, stdin: str | None = None, check: bool = True) -> CliResult:
        """Run a ``packhouse`` command in this process (imports once; same code as the binary)."""
        result = CliRunner().invoke(cli_app, list(args), input=stdin, env=self.server.env)
        error = result.exception
        if error is not None and not isinstance(error, (PackhouseError, SystemExit)):
            raise error
        stderr = f"error: {error.message}\n" if isinstance(error, PackhouseError) else ""
        code = 1 if isinstance(error, PackhouseError) else result.exit_code
        outcome = CliResult(code, result.stdout, stderr + (result.stderr or ""))
        if check and outcome.returncode != 0:
            raise AssertionError(f"packhouse {' '.join(args)} failed: {outcome.stderr}")
        return outcome

    def create_index(self, *, private: bool = False) -> str:
        name = unique("idx")
        self.cli("index", "create", name, *(["--private"] if private else []))
        return name

    def create_user(self, *, admin: bool = False) -> User:
        user = User(unique("user"), "p" + secrets.token_urlsafe(12))
        self.cli(
            "user",
            "create",
            user.name,
            "--password-stdin",
            *(["--admin"] if admin else []),
            stdin=user.password + "\n",
        )
        return user

    def grant(self, role: str, index: str, user: User) -> None:
        self.cli("grant", role, "--index", index, "--user", user.name)

    def token(self, user: User, index: str, role: str = "uploader") -> str:
        return (
            self.cli("token", "create", "--user", user.name, "--index", index, "--role", role)
            .stdout.strip()
            .splitlines()[-1]
        )

    def uploader(self, index: str) -> User:
        user = self.create_user()
        self.grant("uploader", index, user)
        return user

    # building and publishing

    def build(self, dist: Dist, *, sdist: bool = False) -> Path:
        if sdist:
            return write(self.tmp, dist.sdist_filename, make_sdist(dist))
        return write(self.tmp, dist.wheel_filename, make_wheel(dist))

    def twine_upload(
        self, index: str, files: Sequence[Path], *, username: str, password: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = self._run(
            [
                str(VENV_BIN / "twine"),
                "upload",
                "--verbose",
                "--disable-progress-bar",
                "--non-interactive",
                "--repository-url",
                self.upload_url(index),
                "-u",
                username,
                "-p",
                password,
                *map(str, files),
            ]
        )
        if check and result.returncode != 0:
            raise AssertionError(f"twine failed: {result.stdout}\n{result.stderr}")
        return result

    def uv_publish(
        self, index: str, files: Sequence[Path], *, username: str, password: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = self._run(
            [
                str(VENV_BIN / "uv"),
                "publish",
                "--publish-url",
                self.upload_url(index),
                "--username",
                username,
                "--password",
                password,
                *map(str, files),
            ]
        )
        if check and result.returncode != 0:
            raise AssertionError(f"uv publish failed: {result.stdout}\n{result.stderr}")
        return result

    def publish(self, index: str, user: User, *dists: Dist, sdist: bool = False) -> list[Path]:
        files = [self.build(d, sdist=sdist) for d in dists]
        self.twine_upload(index, files, username=user.name, password=user.password)
        return files

    # installing

    def pip_install(
        self, index_url: str, *requirements: str, check: bool = True
    ) -> tuple[subprocess.CompletedProcess[str], Path]:
        target = self.tmp / unique("pip-target")
        result = self._run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--no-cache-dir",
                "--disable-pip-version-check",
                "--no-input",
                "--target",
                str(target),
                "--index-url",
                index_url,
                *requirements,
            ]
        )
        if check and result.returncode != 0:
            raise AssertionError(f"pip failed: {result.stdout}\n{result.stderr}")
        return result, target

    def uv_install(
        self, index_url: str, *requirements: str, check: bool = True
    ) -> tuple[subprocess.CompletedProcess[str], Path]:
        venv = self.tmp / unique("uv-venv")
        self._run([str(VENV_BIN / "uv"), "venv", "--quiet", str(venv)])
        result = self._run(
            [
                str(VENV_BIN / "uv"),
                "pip",
                "install",
                "--no-cache",
                "--python",
                str(venv / "bin" / "python"),
                "--index-url",
                index_url,
                *requirements,
            ]
        )
        if check and result.returncode != 0:
            raise AssertionError(f"uv failed: {result.stdout}\n{result.stderr}")
        return result, venv

    def _run(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=300,
            cwd=self.tmp,
            **kwargs,
        )

    # reading

    def simple_json(self, index: str, project: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(
            f"/pypi/{index}/simple/{project}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"},
            **kwargs,
        )

    def stored_blobs(self) -> set[str]:
        root = self.server.data_dir / "blobs"
        return {p.name for p in root.glob("??/??/*")}


def installed(target: Path) -> set[str]:
    """``name==version`` of what pip put in a --target folder or a venv's site-packages."""
    found = set()
    for dist_info in list(target.glob("*.dist-info")) + list(
        target.glob("lib/python*/site-packages/*.dist-info")
    ):
        name, _, version = dist_info.name.removesuffix(".dist-info").partition("-")
        found.add(f"{name}=={version}")
    return found
