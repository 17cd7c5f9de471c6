"""Durability: concurrent identical uploads store one file; a SIGKILL mid-upload loses nothing."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packaging.utils import canonicalize_name

from tests.builders import Dist, make_sdist, make_wheel
from tests.driver import Packhouse, ServerProcess, unique

JSON = {"Accept": "application/vnd.pypi.simple.v1+json"}


def upload_form(dist_name: str, version: str, filename: str, data: bytes) -> dict[str, str]:
    return {
        ":action": "file_upload",
        "protocol_version": "1",
        "metadata_version": "2.1",
        "name": dist_name,
        "version": version,
        "filetype": "bdist_wheel" if filename.endswith(".whl") else "sdist",
        "pyversion": "py3" if filename.endswith(".whl") else "source",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
        "md5_digest": hashlib.md5(data, usedforsecurity=False).hexdigest(),
    }


def upload(
    ph: Packhouse, index: str, auth: tuple[str, str], filename: str, data: bytes, dist: Dist
) -> httpx.Response:
    with httpx.Client(base_url=ph.url, timeout=60) as client:
        return client.post(
            f"/pypi/{index}/legacy/",
            data=upload_form(dist.name, dist.version, filename, data),
            files={"content": (filename, data, "application/octet-stream")},
            auth=auth,
        )


def index_version(ph: Packhouse, index: str) -> int:
    response = ph.http.get(f"/api/v1/indexes/{index}")
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def page_files(ph: Packhouse, index: str, project: str) -> dict[str, dict[str, object]] | None:
    """The files of a project's Simple page, by filename, with their URLs made absolute."""
    response = ph.simple_json(index, canonicalize_name(project))
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    page_url = response.url
    return {
        f["filename"]: {**f, "url": str(page_url.join(f["url"]))} for f in response.json()["files"]
    }


def listed_projects(ph: Packhouse, index: str) -> set[str]:
    response = ph.http.get(f"/pypi/{index}/simple/", headers=JSON)
    assert response.status_code == 200, response.text
    return {p["name"] for p in response.json()["projects"]}


# ---------------------------------------------------------------- (a) concurrent identical uploads


@pytest.mark.timeout(90)
@pytest.mark.parametrize("credential", ["password", "token"])
def test_eight_concurrent_identical_uploads_store_the_file_once(
    ph: Packhouse, credential: str
) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    auth = user.auth if credential == "password" else ("__token__", ph.token(user, index))
    dist = Dist(unique("race"), "1.0", module_source=f"NAME = {unique('src')!r}\n")
    data = make_wheel(dist)
    sha256 = hashlib.sha256(data).hexdigest()
    version_before = index_version(ph, index)
    blobs_before = ph.stored_blobs()
    assert sha256 not in blobs_before

    count = 8
    barrier = threading.Barrier(count, timeout=30)
    results: list[httpx.Response | BaseException | None] = [None] * count

    def worker(slot: int) -> None:
        try:
            with httpx.Client(base_url=ph.url, timeout=60) as client:
                fields = upload_form(dist.name, dist.version, dist.wheel_filename, data)
                barrier.wait()
                results[slot] = client.post(
                    f"/pypi/{index}/legacy/",
                    data=fields,
                    files={"content": (dist.wheel_filename, data, "application/octet-stream")},
                    auth=auth,
                )
        except BaseException as exc:  # reported below, with the slot
            results[slot] = exc

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=75)
    assert not any(t.is_alive() for t in threads), "an upload did not finish in time"

    answers = []
    for slot, result in enumerate(results):
        assert isinstance(result, httpx.Response), f"upload {slot} failed: {result!r}"
        answers.append((result.status_code, result.text.strip()))
    assert all(200 <= status < 300 for status, _ in answers), answers
    made = [text for _, text in answers if "index version" in text]
    assert len(made) == 1, answers  # one upload made the version; the others found the file there

    assert index_version(ph, index) == version_before + 1
    files = page_files(ph, index, dist.name)
    assert files is not None
    assert list(files) == [dist.wheel_filename]
    assert files[dist.wheel_filename]["hashes"] == {"sha256": sha256}
    blobs_root = ph.server.data_dir / "blobs"
    assert len(list(blobs_root.glob(f"??/??/{sha256}"))) == 1
    new_blobs = ph.stored_blobs() - blobs_before
    assert sha256 in new_blobs
    assert len(new_blobs) <= 2  # the file and its core metadata, nothing else
    assert not list((blobs_root / "tmp").iterdir())
    url = str(files[dist.wheel_filename]["url"])
    downloaded = ph.http.get(url, follow_redirects=True)
    assert downloaded.status_code == 200
    assert hashlib.sha256(downloaded.content).hexdigest() == sha256


# ---------------------------------------------------------------- (b) SIGKILL during an upload


def write_large_wheel(path: Path, dist: Dist, *, size: int) -> str:
    """A valid wheel on disk with one big, incompressible, stored member; returns its sha256."""
    dist_info = f"{dist.module}-{dist.version}.dist-info"
    big_name = f"{dist.module}/blob.bin"
    hasher = hashlib.sha256()
    record = []
    chunk = 1024 * 1024
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        small = {
            f"{dist.module}/__init__.py": dist.source(),
            f"{dist_info}/METADATA": dist.metadata(),
            f"{dist_info}/WHEEL": (
                b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
            ),
        }
        for name, content in small.items():
            archive.writestr(name, content)
            digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
            record.append(f"{name},sha256={digest.decode()},{len(content)}")
        info = zipfile.ZipInfo(big_name, date_time=(2024, 1, 1, 0, 0, 0))
        with archive.open(info, "w", force_zip64=True) as member:
            left = size
            while left:
                piece = os.urandom(min(chunk, left))
                hasher.update(piece)
                member.write(piece)
                left -= len(piece)
        digest = base64.urlsafe_b64encode(hasher.digest()).rstrip(b"=")
        record.append(f"{big_name},sha256={digest.decode()},{size}")
        record.append(f"{dist_info}/RECORD,,")
        archive.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return file_sha256(path)


def file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1024 * 1024):
            hasher.update(block)
    return hasher.hexdigest()


class SlowMultipart:
    """A multipart/form-data body streamed from disk in small pieces, with pauses."""

    def __init__(self, fields: dict[str, str], filename: str, path: Path) -> None:
        self.boundary = "packhouse-test-" + os.urandom(8).hex()
        self.path = path
        head = b""
        for key, value in fields.items():
            head += (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                f"{value}\r\n"
            ).encode()
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="content"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self.head = head
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.length = len(head) + path.stat().st_size + len(self.tail)
        self.sent = 0
        #: Set once a good part of the file is on the wire.
        self.midway = threading.Event()

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(self.length),
        }

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        self.sent += len(self.head)
        with self.path.open("rb") as f:
            while block := f.read(256 * 1024):
                yield block
                self.sent += len(block)
                if self.sent > self.length // 4:
                    self.midway.set()
                    time.sleep(0.05)  # slow down: the server must be mid-request when killed
        yield self.tail


@pytest.mark.timeout(120)
def test_sigkill_during_a_large_upload_loses_nothing_and_lists_nothing_partial(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    env: dict[str, str] = {}
    server = ServerProcess.launch(data_dir, env=env, workers=1)
    ph = Packhouse(server, tmp_path)
    try:
        index = ph.create_index()
        user = ph.uploader(index)
        project = unique("durable")
        earlier = [Dist(project, "1.0"), Dist(project, "1.1")]
        earlier_files: dict[str, bytes] = {}
        for dist in earlier:
            for filename, data in (
                (dist.wheel_filename, make_wheel(dist)),
                (dist.sdist_filename, make_sdist(dist)),
            ):
                response = upload(ph, index, user.auth, filename, data, dist)
                assert response.status_code == 200, response.text
                earlier_files[filename] = data
        version_before = index_version(ph, index)
        assert version_before == len(earlier_files)

        big = Dist(project, "2.0")
        big_path = tmp_path / big.wheel_filename
        big_sha256 = write_large_wheel(big_path, big, size=40 * 1024 * 1024)
        fields = {
            ":action": "file_upload",
            "protocol_version": "1",
            "name": big.name,
            "version": big.version,
            "filetype": "bdist_wheel",
            "sha256_digest": big_sha256,
        }
        body = SlowMultipart(fields, big.wheel_filename, big_path)
        outcome: list[object] = []

        def send() -> None:
            try:
                with httpx.Client(base_url=ph.url, timeout=30) as client:
                    outcome.append(
                        client.post(
                            f"/pypi/{index}/legacy/",
                            content=iter(body),
                            headers=body.headers,
                            auth=user.auth,
                        )
                    )
            except BaseException as exc:  # the connection dies with the server
                outcome.append(exc)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        assert body.midway.wait(timeout=30), "the large upload never got going"
        assert body.sent < body.length, "the upload finished before the kill"
        server.kill()
        sender.join(timeout=30)
        assert not sender.is_alive()
        assert outcome, "the upload thread ended without a result"
        assert not isinstance(outcome[0], httpx.Response) or outcome[0].status_code >= 400, (
            f"the killed upload was answered: {outcome[0]!r}"
        )
    finally:
        server.stop()
        ph.http.close()

    server = ServerProcess.launch(data_dir, env=env, workers=1)
    ph = Packhouse(server, tmp_path)
    try:
        assert ph.http.get("/healthz").status_code == 200
        assert index_version(ph, index) == version_before

        # every earlier file is listed, nothing else, and downloads intact
        files = page_files(ph, index, project)
        assert files is not None
        assert set(files) == set(earlier_files)
        for filename, data in earlier_files.items():
            expected = hashlib.sha256(data).hexdigest()
            assert files[filename]["hashes"] == {"sha256": expected}
            downloaded = ph.http.get(str(files[filename]["url"]), follow_redirects=True)
            assert downloaded.status_code == 200, filename
            assert hashlib.sha256(downloaded.content).hexdigest() == expected
            assert expected in ph.stored_blobs()
        assert listed_projects(ph, index) == {canonicalize_name(project)}
        json_api = ph.http.get(f"/pypi/{index}/pypi/{canonicalize_name(project)}/json")
        assert json_api.status_code == 200
        assert set(json_api.json()["releases"]) == {"1.0", "1.1"}
        assert big_sha256 not in ph.stored_blobs()

        # uploads still work, and make the next version
        after = Dist(project, "1.2")
        data = make_wheel(after)
        response = upload(ph, index, user.auth, after.wheel_filename, data, after)
        assert response.status_code == 200, response.text
        assert index_version(ph, index) == version_before + 1
        files = page_files(ph, index, project)
        assert files is not None
        assert set(files) == {*earlier_files, after.wheel_filename}
    finally:
        server.stop()
        ph.http.close()


def _workers(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    with ServerProcess.start(tmp_path / "data", workers=2) as server:
        deadline = time.monotonic() + 30
        while len(_workers(server.proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        before = _workers(server.proc.pid)
        assert len(before) == 2
        victim = min(before)
        os.kill(victim, 9)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _workers(server.proc.pid)
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.1)
        now = _workers(server.proc.pid)
        assert victim not in now
        assert len(now) == 2, f"workers now {now}, before {before}"
        for _ in range(6):  # new connections, so both workers answer
            with httpx.Client(timeout=10) as client:
                assert client.get(server.url + "/healthz").status_code == 200
