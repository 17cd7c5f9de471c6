"""Request bodies must arrive in time: a stalled or trickling upload is answered 408 and closed.

Neither granian nor uvicorn bounds the time a body takes (only the headers'), so Packhouse does
(``PACKHOUSE_BODY_TIMEOUT`` seconds plus one per ``PACKHOUSE_BODY_MIN_RATE`` bytes). These
tests speak HTTP over raw sockets, as a slow or hostile client would.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.builders import Dist, make_wheel
from tests.driver import Packhouse, ServerProcess

TIMEOUT = 2.0
ENV = {"PACKHOUSE_BODY_TIMEOUT": str(TIMEOUT), "PACKHOUSE_BODY_MIN_RATE": "16384"}
STALLED = 100


@pytest.fixture(scope="module", params=["granian", "uvicorn"])
def slow_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("data-deadline")
    args = ["--server", request.param]
    with ServerProcess.start(data_dir, env=ENV, args=args) as server:
        yield server


def upload_bytes(
    ph: Packhouse, index: str, auth: tuple[str, str], dist: Dist
) -> tuple[bytes, bytes]:
    """The head (request line and headers) and body of a real upload, as twine sends it."""
    data = make_wheel(dist)
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": dist.name,
        "version": dist.version,
        "filetype": "bdist_wheel",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
    }
    files = {"content": (dist.wheel_filename, data, "application/octet-stream")}
    request = httpx.Request("POST", ph.upload_url(index), data=fields, files=files)
    body = request.read()
    credentials = base64.b64encode(":".join(auth).encode()).decode()
    head = (
        f"POST /pypi/{index}/legacy/ HTTP/1.1\r\nHost: {request.url.netloc.decode()}\r\n"
        f"Content-Type: {request.headers['content-type']}\r\n"
        f"Content-Length: {len(body)}\r\nAuthorization: Basic {credentials}\r\n\r\n"
    )
    return head.encode(), body


def connect(ph: Packhouse) -> socket.socket:
    host, port = ph.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=TIMEOUT + 15)


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


@pytest.fixture
def ph(slow_server: ServerProcess, tmp_path: Path) -> Iterator[Packhouse]:
    driver = Packhouse(slow_server, tmp_path)
    yield driver
    driver.http.close()


def test_a_stalled_upload_is_answered_408_and_closed(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    head, body = upload_bytes(ph, index, user.auth, Dist("Stalled", "1.0"))
    with connect(ph) as sock:
        started = time.monotonic()
        sock.sendall(head + body[:100])  # and then nothing
        answer = read_all(sock)  # the server closes the connection
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"arrived too slowly" in answer
    assert TIMEOUT - 0.5 < took < TIMEOUT + 5, took
    assert ph.http.get(f"/pypi/{index}/simple/stalled/").status_code == 404


def test_a_trickling_upload_is_cut_off_too(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    head, body = upload_bytes(ph, index, user.auth, Dist("Trickle", "1.0"))
    with connect(ph) as sock:
        sock.sendall(head)
        started = time.monotonic()
        answer = b""
        for byte in body:  # a byte every 0.2 s earns nothing like enough time
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.2)
            if time.monotonic() - started > TIMEOUT + 5:
                break
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer


def test_a_slow_but_steady_upload_finishes(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    source = "".join(f"# {os.urandom(60).hex()}\n" for _ in range(1500))  # ~180 kB zipped
    dist = Dist("Steady", "1.0", module_source=source)
    head, body = upload_bytes(ph, index, user.auth, dist)
    with connect(ph) as sock:
        sock.sendall(head)
        started = time.monotonic()
        for offset in range(0, len(body), 4096):  # ~40 kB/s: above the minimum rate
            sock.sendall(body[offset : offset + 4096])
            time.sleep(0.1)
        took = time.monotonic() - started
        response = sock.recv(65536)
    assert took > TIMEOUT * 1.5, f"the body took {took:.1f} s: not slower than the timeout"
    assert response.startswith(b"HTTP/1.1 200 "), response


def test_stalled_uploads_do_not_block_other_clients(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    # A token: checking it costs a hash, where 100 first password checks cost seconds of CPU.
    token = ("__token__", ph.token(user, index))
    head, body = upload_bytes(ph, index, token, Dist("Blocker", "1.0"))
    stalled = [connect(ph) for _ in range(STALLED)]
    try:
        for sock in stalled:
            sock.sendall(head + body[:100])
        # meanwhile, on a server with one worker, others are served as usual
        started = time.monotonic()
        assert ph.http.get("/healthz").status_code == 200
        ph.publish(index, user, Dist("Unblocked", "1.0"))
        assert ph.http.get(f"/pypi/{index}/simple/unblocked/").status_code == 200
        assert time.monotonic() - started < TIMEOUT + 30
        for sock in stalled:
            assert read_all(sock).startswith(b"HTTP/1.1 408 ")
    finally:
        for sock in stalled:
            sock.close()


def test_a_stalled_management_api_body_is_cut_off(ph: Packhouse) -> None:
    admin = ph.create_user(admin=True)
    credentials = base64.b64encode(":".join(admin.auth).encode()).decode()
    head = (
        "POST /api/v1/users HTTP/1.1\r\nHost: packhouse\r\nContent-Type: application/json\r\n"
        f"Content-Length: 100\r\nAuthorization: Basic {credentials}\r\n\r\n"
    )
    with connect(ph) as sock:
        started = time.monotonic()
        sock.sendall(head.encode() + b'{"name": "slow')
        answer = read_all(sock)
        took = time.monotonic() - started
    # FastAPI answers any failure to read a body 400; the connection is closed all the same.
    assert answer.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 408 ")), answer
    assert b"connection: close" in answer.lower()
    assert took < TIMEOUT + 5, took
