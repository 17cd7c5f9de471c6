"""The optional nginx front (docs/nginx/packhouse.conf) against a real nginx and a real server.

Packhouse runs with ``PACKHOUSE_ACCEL_REDIRECT_PREFIX``; nginx runs from the documented template,
rendered into the test's folder. Without nginx on the machine these tests are skipped, saying so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.builders import Dist
from tests.driver import Packhouse, ServerProcess, free_port, installed
from tests.simple_pages import JSON, PIP_ACCEPT, simple_path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docs" / "nginx" / "packhouse.conf"
PREFIX = "/_packhouse_blobs/"
THING = Dist("Front.Thing", "1.0")
THING_2 = Dist("Front.Thing", "2.0")
PROJECT = "front-thing"
#: Headers a page keeps through nginx.
SAME_HEADERS = (
    "content-type",
    "etag",
    "cache-control",
    "content-encoding",
    "x-content-type-options",
    "content-security-policy",
)
#: The microcache keeps a page for one second (whole seconds in nginx): allow for that and load.
FRESH_WITHIN = 3.0


@dataclasses.dataclass(frozen=True)
class Front:
    """nginx in front of the accel-configured server."""

    url: str
    error_log: Path


def _nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def _main_config(root: Path, site: Path) -> str:
    """A whole nginx.conf around the site template: every path under ``root``, no daemon."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the test's folders
    return f"""{user}worker_processes 1;
pid {root}/nginx.pid;
lock_file {root}/nginx.lock;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    default_type application/octet-stream;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {site};
}}
"""


def _render(server: ServerProcess, root: Path, port: int) -> Path:
    site = TEMPLATE.read_text()
    for placeholder, value in {
        "@LISTEN@": f"127.0.0.1:{port}",
        "@UPSTREAM@": server.url.removeprefix("http://"),
        "@BLOB_DIR@": str((server.data_dir / "blobs").resolve()),
        "@CACHE_DIR@": str(root / "cache"),
    }.items():
        site = site.replace(placeholder, value)
    assert not re.search(r"@[A-Z_]+@", site), "a placeholder is left in the template"
    (root / "packhouse.conf").write_text(site)
    main = root / "nginx.conf"
    main.write_text(_main_config(root, root / "packhouse.conf"))
    return main


@contextlib.contextmanager
def _running_nginx(binary: str, server: ServerProcess, root: Path) -> Iterator[Front]:
    port = free_port()
    config = _render(server, root, port)
    command = [binary, "-e", str(root / "error.log"), "-c", str(config), "-p", f"{root}/"]
    with (root / "nginx.out").open("ab") as out:
        proc = subprocess.Popen(
            [*command, "-g", "daemon off;"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    front = Front(f"http://127.0.0.1:{port}", root / "error.log")
    try:
        _wait_ready(proc, front)
        yield front
    finally:
        _stop(proc)


def _wait_ready(proc: subprocess.Popen[bytes], front: Front, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited: {_read(front.error_log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(front.url + "/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not answer: {_read(front.error_log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _read(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


@pytest.fixture(scope="module")
def accel_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own that answers downloads with X-Accel-Redirect."""
    data_dir = tmp_path_factory.mktemp("data-accel")
    env = {
        "PACKHOUSE_ACCEL_REDIRECT_PREFIX": PREFIX,
        "PACKHOUSE_FORWARDED_ALLOW_IPS": "127.0.0.1",  # as docs/nginx.md says
        "PACKHOUSE_LOGIN_FAILURE_LIMIT": "100000",
    }
    with ServerProcess.start(data_dir, env=env, workers=1) as proc:
        yield proc


@pytest.fixture(scope="module")
def front(accel_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    """nginx from docs/nginx/packhouse.conf in front of ``accel_server``."""
    binary = _nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed: apt-get install nginx-light (.ci/run does as root)")
    with _running_nginx(binary, accel_server, tmp_path_factory.mktemp("nginx")) as running:
        yield running


@pytest.fixture
def direct(accel_server: ServerProcess, tmp_path: Path) -> Iterator[Packhouse]:
    """The story driver on the accel server itself (no nginx)."""
    driver = Packhouse(accel_server, tmp_path)
    yield driver
    driver.http.close()


@pytest.fixture
def proxied(accel_server: ServerProcess, front: Front, tmp_path: Path) -> Iterator[Packhouse]:
    """The story driver whose clients (httpx, twine, pip, uv) all go through nginx."""
    driver = Packhouse(dataclasses.replace(accel_server, url=front.url), tmp_path)
    yield driver
    driver.http.close()


def _published(ph: Packhouse, *, private: bool = False) -> tuple[str, Path]:
    index = ph.create_index(private=private)
    (wheel,) = ph.publish(index, ph.uploader(index), THING)
    return index, wheel


def _file_path(index: str, wheel: Path) -> str:
    return f"/pypi/{index}/files/{hashlib.sha256(wheel.read_bytes()).hexdigest()}/{wheel.name}"


def _blob_target(sha256: str) -> str:
    return f"{PREFIX}{sha256[:2]}/{sha256[2:4]}/{sha256}"


def test_server_sends_x_accel_redirect_only_when_configured(
    ph: Packhouse, direct: Packhouse
) -> None:
    for driver, configured in ((direct, True), (ph, False)):
        index, wheel = _published(driver)
        path = _file_path(index, wheel)
        sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
        response = driver.http.get(path)
        assert response.status_code == 200
        assert response.headers["etag"] == f'"{sha256}"'
        assert response.headers["content-type"] == "application/zip"
        assert "immutable" in response.headers["cache-control"]
        assert "content-disposition" not in response.headers
        if configured:
            assert response.headers["x-accel-redirect"] == _blob_target(sha256)
            assert response.content == b""
        else:
            assert "x-accel-redirect" not in response.headers
            assert response.content == wheel.read_bytes()

    # .metadata points at its own blob; refusals and 304s never point anywhere.
    index, wheel = _published(direct)
    path = _file_path(index, wheel)
    metadata = direct.http.get(path + ".metadata")
    metadata_sha256 = metadata.headers["etag"].strip('"')
    assert metadata.headers["x-accel-redirect"] == _blob_target(metadata_sha256)
    assert metadata.headers["content-type"].startswith("text/plain")
    assert metadata.headers["x-content-type-options"] == "nosniff"
    etag = direct.http.get(path).headers["etag"]
    not_modified = direct.http.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert "x-accel-redirect" not in not_modified.headers
    other_name = path.rsplit("/", 1)[0] + "/other-0.1-py3-none-any.whl"
    assert "x-accel-redirect" not in direct.http.get(other_name).headers
    private, private_wheel = _published(direct, private=True)
    refused = direct.http.get(_file_path(private, private_wheel))
    assert refused.status_code == 401
    assert "x-accel-redirect" not in refused.headers


def test_pages_through_nginx_equal_pages_from_packhouse(
    direct: Packhouse, proxied: Packhouse
) -> None:
    index, _ = _published(direct)

    for path in (
        simple_path(index),
        simple_path(index, PROJECT),
        simple_path(index, PROJECT, version=1),
    ):
        for accept in (JSON, PIP_ACCEPT, "text/html"):
            for encoding in ("gzip", "identity"):
                headers = {"Accept": accept, "Accept-Encoding": encoding}
                own = direct.http.get(path, headers=headers)
                first = proxied.http.get(path, headers=headers)
                again = proxied.http.get(path, headers=headers)
                assert own.status_code == first.status_code == again.status_code == 200
                for name in SAME_HEADERS:
                    assert own.headers.get(name) == first.headers.get(name), name
                assert own.content == first.content == again.content
                assert again.headers["x-cache-status"] == "HIT"
                revalidated = proxied.http.get(
                    path, headers={**headers, "If-None-Match": own.headers["etag"]}
                )
                assert revalidated.status_code == 304
                assert revalidated.headers["etag"] == own.headers["etag"]

    # Redirects are cached too, and never name the Host the client sent (a path on this server).
    for _ in range(2):
        moved = proxied.http.get(
            f"/pypi/{index}/simple/Front.Thing/", headers={"Host": "packages.example"}
        )
        assert moved.status_code == 301
        assert moved.headers["location"] == simple_path(index, PROJECT)
    assert moved.headers["x-cache-status"] == "HIT"


def test_files_through_nginx(direct: Packhouse, proxied: Packhouse) -> None:
    index, wheel = _published(direct)
    data = wheel.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    path = _file_path(index, wheel)

    response = proxied.http.get(path)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["etag"] == f'"{sha256}"'
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "x-accel-redirect" not in response.headers
    assert "content-disposition" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")

    ranged = proxied.http.get(path, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert ranged.content == data[:10]
    assert ranged.headers["content-range"] == f"bytes 0-9/{len(data)}"
    resumed = proxied.http.get(path, headers={"Range": "bytes=10-", "If-Range": f'"{sha256}"'})
    assert resumed.status_code == 206
    assert resumed.content == data[10:]
    assert proxied.http.get(path, headers={"If-None-Match": f'"{sha256}"'}).status_code == 304

    metadata = proxied.http.get(path + ".metadata")
    assert metadata.status_code == 200
    assert metadata.content == THING.metadata()  # as stored from the wheel
    assert metadata.headers["etag"] == f'"{hashlib.sha256(metadata.content).hexdigest()}"'
    assert metadata.headers["content-type"].startswith("text/plain")
    assert metadata.headers["x-content-type-options"] == "nosniff"

    # The blob folder is reachable only through Packhouse's answer, never by its own URL.
    assert proxied.http.get(_blob_target(sha256)).status_code == 404
    assert proxied.http.get(path.rsplit("/", 1)[0] + "/other-0.1.tar.gz").status_code == 404


def test_private_index_is_never_served_from_the_cache(
    direct: Packhouse, proxied: Packhouse
) -> None:
    index, wheel = _published(direct, private=True)
    reader = direct.create_user()
    direct.grant("reader", index, reader)
    page = simple_path(index, PROJECT)

    for _ in range(3):
        for accept in (JSON, "text/html"):
            allowed = proxied.http.get(page, headers={"Accept": accept}, auth=reader.auth)
            assert allowed.status_code == 200
            assert allowed.headers["x-cache-status"] == "BYPASS"
            assert allowed.headers["cache-control"].startswith("private")
            etag = allowed.headers["etag"]
            again = proxied.http.get(
                page, headers={"Accept": accept, "If-None-Match": etag}, auth=reader.auth
            )
            assert again.status_code == 304
            anonymous = proxied.http.get(page, headers={"Accept": accept})
            assert anonymous.status_code == 401
            assert PROJECT not in anonymous.text
            assert "www-authenticate" in anonymous.headers
        assert proxied.http.get(simple_path(index), auth=reader.auth).status_code == 200
        assert proxied.http.get(simple_path(index)).status_code == 401

    path = _file_path(index, wheel)
    downloaded = proxied.http.get(path, auth=reader.auth)
    assert downloaded.content == wheel.read_bytes()
    assert downloaded.headers["cache-control"].startswith("private")
    assert proxied.http.get(path).status_code == 401
    stranger = direct.create_user()
    assert proxied.http.get(path, auth=stranger.auth).status_code == 404
    assert proxied.http.get(page, auth=stranger.auth).status_code == 404


def test_a_page_changes_within_seconds_of_an_upload(proxied: Packhouse) -> None:
    index = proxied.create_index()
    user = proxied.uploader(index)
    proxied.publish(index, user, THING)  # twine through nginx
    page = simple_path(index, PROJECT)

    def files() -> set[str]:
        response = proxied.http.get(page, headers={"Accept": JSON})
        assert response.status_code == 200
        return {f["filename"] for f in response.json()["files"]}

    assert files() == {THING.wheel_filename}
    assert files() == {THING.wheel_filename}  # now in the microcache
    proxied.publish(index, user, THING_2)
    published = time.monotonic()
    while files() != {THING.wheel_filename, THING_2.wheel_filename}:
        assert time.monotonic() - published < FRESH_WITHIN, "the page stayed stale"
        time.sleep(0.05)


def test_pip_and_uv_install_through_nginx(proxied: Packhouse) -> None:
    index = proxied.create_index()
    proxied.publish(index, proxied.uploader(index), THING)
    _, target = proxied.pip_install(proxied.index_url(index), "front-thing")
    assert installed(target) == {"front_thing==1.0"}
    _, venv = proxied.uv_install(proxied.index_url(index), "front-thing")
    assert installed(venv) == {"front_thing==1.0"}
