"""No password or token is ever kept in clear: not in the data folder, the log or the database.

A dedicated server sees every way a secret reaches it: uploads with passwords and tokens (twine,
uv), installs with credentials in the index URL (pip, uv), failed logins with wrong passwords and
bad tokens, password changes and token creation through the CLI and the API. Afterwards every
file of its data folder (the SQLite database with its WAL, the blobs), its log, and for
PostgreSQL every row of every table, is searched byte by byte for each secret: in clear, as hex,
and as the base64 of the ``user:password`` pair of a Basic header.

Then: the answers of the API and of the upload endpoint never echo a submitted secret.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine, text

from packhouse.config import normalize_database_url
from tests.builders import Dist
from tests.driver import VENV_BIN, Packhouse, ServerProcess, User, clean_env, free_port, installed

POSTGRES_URL = os.environ.get("PACKHOUSE_TEST_POSTGRES_URL", "")

#: sqlite: PACKHOUSE_* as the driver sets it (no access log, the default);
#: sqlite-access-log: the same with ``serve --access-log``, which logs every request line.
VARIANTS = ["sqlite", "sqlite-access-log", *(["postgres"] if POSTGRES_URL else [])]

APP = Dist("vault-app", "1.0", requires=("vault-lib",))
LIB = Dist("vault-lib", "1.0")


def twine_safe_user(ph: Packhouse, *, admin: bool = False) -> User:
    """``ph.create_user``, minus passwords with a leading '-': ``twine -p -abc`` takes it for an
    option (the driver's ``token_urlsafe`` passwords start with '-' one time in 64)."""
    while True:
        user = ph.create_user(admin=admin)
        if not user.password.startswith("-"):
            return user


def twine_safe_uploader(ph: Packhouse, index: str) -> User:
    user = twine_safe_user(ph)
    ph.grant("uploader", index, user)
    return user


def launch(data_dir: Path, *, env: dict[str, str], access_log: bool) -> ServerProcess:
    """``ServerProcess.launch``, with the choice of ``--access-log``."""
    if not access_log:
        return ServerProcess.launch(data_dir, env=env, workers=2)
    port = free_port()
    full_env = clean_env(PACKHOUSE_DATA_DIR=str(data_dir), **env)
    log = data_dir.parent / f"{data_dir.name}-server-{port}.log"
    command = [str(VENV_BIN / "packhouse"), "serve", "--port", str(port), "--workers", "2"]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*command, "--access-log"],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ServerProcess(proc, f"http://127.0.0.1:{port}", data_dir, full_env, log)
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A PostgreSQL database of this test's own, dropped afterwards."""
    name = f"packhouse_secrets_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Secrets:
    """Every secret the server was shown, and the Basic headers that carried them."""

    passwords: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)
    pairs: set[tuple[str, str]] = field(default_factory=set)

    def password(self, user: str, password: str) -> str:
        self.passwords.add(password)
        self.pairs.add((user, password))
        return password

    def token(self, token: str) -> str:
        self.tokens.add(token)
        self.pairs.add(("__token__", token))
        return token

    def needles(self) -> dict[bytes, str]:
        """Byte strings that must not be found, each with what it is."""
        found: dict[bytes, str] = {}
        for value in self.passwords | self.tokens:
            raw = value.encode()
            found[raw] = f"secret {value!r}"
            found[raw.hex().encode()] = f"hex of secret {value!r}"
        for value in self.passwords:  # tokens are kept as their SHA-256, by design
            digest = hashlib.sha256(value.encode()).hexdigest().encode()
            found[digest] = f"unsalted sha256 of password {value!r}"
        for user, value in self.pairs:
            basic = base64.b64encode(f"{user}:{value}".encode())
            found[basic] = f"Basic header of {user!r} with {value!r}"
        return found


def wrong_secret() -> str:
    return "wrong-" + secrets.token_urlsafe(12)


def create_token(ph: Packhouse, user: User, index: str, role: str) -> tuple[int, str]:
    out = ph.cli("token", "create", "--user", user.name, "--index", index, "--role", role)
    lines = out.stdout.strip().splitlines()
    match = re.match(r"token (\d+) for ", lines[0])
    assert match, out.stdout
    return int(match.group(1)), lines[-1]


def get(url: str, *, auth: tuple[str, str] | None = None, **kwargs: object) -> httpx.Response:
    with httpx.Client(timeout=60) as client:
        return client.get(url, auth=auth, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_secret_is_kept_in_clear(
    variant: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = {}
    if variant == "postgres":
        env["PACKHOUSE_DATABASE_URL"] = request.getfixturevalue("fresh_postgres")
    server = launch(tmp_path / "data", env=env, access_log=variant.endswith("access-log"))
    seen = Secrets()
    try:
        ph = Packhouse(server, tmp_path)
        try:
            stranger = _story(ph, seen)
        finally:
            ph.http.close()
        database = _database_dump(server) if variant == "postgres" else {}
        _check_hashes(server, seen)
        running = _files(server)  # with the SQLite WAL, which is there while the server runs
    finally:
        server.stop()
    stopped = _files(server)
    if variant != "postgres":
        assert any(name.endswith("packhouse.sqlite3-wal") for name in running), sorted(running)
    leaks = [leak for found in (running, stopped, database) for leak in _search(found, seen)]
    assert not leaks, "secrets found in clear:\n" + "\n".join(sorted(set(leaks)))
    # The search does see what the server stores: failed logins are audited with the user name.
    assert any(stranger.encode() in data for data in (stopped | database).values())
    assert server.log.stat().st_size > 0
    if variant.endswith("access-log"):
        assert "/legacy/" in server.log.read_text()  # the access log did log requests


def _story(ph: Packhouse, seen: Secrets) -> str:
    """Show the server secrets in every way; the unknown user name of a failed login."""
    admin = ph.create_user(admin=True)
    seen.password(admin.name, admin.password)
    index = ph.create_index(private=True)
    uploader, reader = twine_safe_uploader(ph, index), ph.create_user()
    ph.grant("reader", index, reader)
    for user in (uploader, reader):
        seen.password(user.name, user.password)
    _, upload_token = create_token(ph, uploader, index, "uploader")
    _, read_token = create_token(ph, reader, index, "reader")
    seen.token(upload_token)
    seen.token(read_token)

    # uploads with a password and with a token, through twine and uv
    ph.twine_upload(index, [ph.build(LIB)], username=uploader.name, password=uploader.password)
    ph.twine_upload(index, [ph.build(LIB, sdist=True)], username="__token__", password=upload_token)
    ph.uv_publish(index, [ph.build(APP)], username="__token__", password=upload_token)

    # failed uploads and logins: wrong passwords, unknown users, bad and malformed tokens
    for username, password in (
        (uploader.name, seen.password(uploader.name, wrong_secret())),
        ("__token__", seen.token("pkh_" + secrets.token_urlsafe(32))),
    ):
        result = ph.twine_upload(
            index, [ph.build(APP, sdist=True)], username=username, password=password, check=False
        )
        assert result.returncode != 0
    listing = f"{ph.url}/pypi/{index}/simple/"
    nobody = "nobody-" + uuid.uuid4().hex[:8]
    seen.pairs.add((reader.name, read_token))  # a token given as a password
    for auth in (
        (reader.name, seen.password(reader.name, wrong_secret())),
        (nobody, seen.password(nobody, wrong_secret())),
        ("__token__", seen.token("pkh_" + secrets.token_urlsafe(32))),
        ("__token__", seen.token(secrets.token_urlsafe(24))),
        (reader.name, read_token),
    ):
        assert get(listing, auth=auth).status_code == 401
    bearer = seen.token("pkh_" + secrets.token_urlsafe(32))
    assert get(listing, headers={"Authorization": f"Bearer {bearer}"}).status_code == 401
    no_colon = seen.token("pkh_" + secrets.token_urlsafe(32))
    header = "Basic " + base64.b64encode(no_colon.encode()).decode()
    seen.tokens.add(header.split()[1])
    assert get(listing, headers={"Authorization": header}).status_code == 401

    # a revoked token, used again
    revoked_id, revoked = create_token(ph, reader, index, "reader")
    seen.token(revoked)
    ph.cli("token", "revoke", str(revoked_id))
    assert get(listing, auth=("__token__", revoked)).status_code == 401

    # accounts through the API and the CLI: new users, changed passwords, a new token
    api_user = "api-" + uuid.uuid4().hex[:8]
    first = seen.password(api_user, secrets.token_urlsafe(12))
    response = ph.http.post(
        "/api/v1/users", json={"name": api_user, "password": first}, auth=admin.auth
    )
    assert response.status_code == 201, response.text
    ph.grant("reader", index, User(api_user, first))
    assert get(listing, auth=(api_user, first)).status_code == 200
    second = seen.password(api_user, secrets.token_urlsafe(12))
    response = ph.http.put(
        f"/api/v1/users/{api_user}/password",
        json={"password": second, "current_password": first},
        auth=(api_user, first),
    )
    assert response.status_code == 204, response.text
    third = seen.password(api_user, secrets.token_urlsafe(12))
    ph.cli("user", "password", api_user, "--password-stdin", stdin=third + "\n")
    assert get(listing, auth=(api_user, third)).status_code == 200
    response = ph.http.post(
        "/api/v1/tokens", json={"index": index, "role": "reader"}, auth=(api_user, third)
    )
    assert response.status_code == 201, response.text
    api_token = seen.token(response.json()["token"])
    assert get(listing, auth=("__token__", api_token)).status_code == 200

    # installs with credentials in the index URL; one with wrong ones
    _, target = ph.pip_install(ph.index_url(index, auth=reader.auth), "--no-input", "vault-app")
    assert installed(target) == {"vault_app==1.0", "vault_lib==1.0"}
    url = ph.index_url(index, auth=("__token__", read_token))
    _, target = ph.pip_install(url, "--no-input", "vault-app")
    assert installed(target) == {"vault_app==1.0", "vault_lib==1.0"}
    _, venv = ph.uv_install(url, "vault-app")
    assert installed(venv) == {"vault_app==1.0", "vault_lib==1.0"}
    wrong = (reader.name, seen.password(reader.name, wrong_secret()))
    result, _ = ph.pip_install(
        ph.index_url(index, auth=wrong), "--no-input", "vault-app", check=False
    )
    assert result.returncode != 0
    return nobody


def _check_hashes(server: ServerProcess, seen: Secrets) -> None:
    """Passwords are argon2 hashes; tokens are the SHA-256 of their secret."""
    default = f"sqlite:///{server.data_dir / 'packhouse.sqlite3'}"
    engine = create_engine(
        normalize_database_url(server.env.get("PACKHOUSE_DATABASE_URL", default))
    )
    try:
        with engine.connect() as connection:
            hashes = connection.execute(text("SELECT password_hash FROM users")).scalars().all()
            tokens = set(connection.execute(text("SELECT secret_sha256 FROM tokens")).scalars())
    finally:
        engine.dispose()
    assert hashes
    assert all(h.startswith("$argon2") for h in hashes), hashes
    issued = {hashlib.sha256(v.encode()).hexdigest() for v in seen.tokens}
    assert len(tokens & issued) == 4  # the CLI's three (one revoked) and the API's one


def _database_dump(server: ServerProcess) -> dict[str, bytes]:
    """Every row of every table of the server's PostgreSQL database, as COPY text."""
    dump: dict[str, bytes] = {}
    with psycopg.connect(server.env["PACKHOUSE_DATABASE_URL"]) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
        assert len(tables) > 5
        for (table,) in tables:
            query = sql.SQL("COPY (SELECT * FROM {}) TO STDOUT").format(sql.Identifier(table))
            with connection.cursor().copy(query) as copy:
                dump[f"postgres table {table}"] = b"".join(bytes(chunk) for chunk in copy)
    return dump


def _files(server: ServerProcess) -> dict[str, bytes]:
    """Every file of the data folder, and the server's log."""
    contents = {
        str(path): path.read_bytes() for path in server.data_dir.rglob("*") if path.is_file()
    }
    assert len(contents) > 3, f"what is in {server.data_dir}?"
    contents[str(server.log)] = server.log.read_bytes()
    return contents


def _search(contents: dict[str, bytes], seen: Secrets) -> list[str]:
    needles = seen.needles()
    return [
        f"{what} in {where}"
        for where, data in contents.items()
        for needle, what in needles.items()
        if needle in data
    ]


# what the server answers to a submitted secret


def test_answers_never_echo_a_submitted_password_or_token(ph: Packhouse) -> None:
    index = ph.create_index(private=True)
    admin, user = ph.create_user(admin=True), ph.uploader(index)
    token = ph.token(user, index)
    api, upload = "/api/v1", f"/pypi/{index}/legacy/"
    password_url = f"{api}/users/{user.name}/password"
    short, long = "S" + secrets.token_urlsafe(6)[:6], secrets.token_urlsafe(800)[:1025]
    bad_token = "pkh_" + secrets.token_urlsafe(32)
    good = secrets.token_urlsafe(12)
    as_json = {"content-type": "application/json"}
    wheel = {"content": (LIB.wheel_filename, b"not really a wheel")}
    form = {":action": "file_upload", "name": "vault-lib", "version": "1.0"}
    # (the secret, method, path, request options); requests carry the user's credentials
    # unless they say otherwise.
    attempts: list[tuple[str, str, str, dict[str, Any]]] = [
        # passwords in API bodies the API refuses
        (short, "PUT", password_url, {"json": {"password": short}}),
        (long, "PUT", password_url, {"json": {"password": long}}),
        (good, "PUT", password_url, {"json": {"password": [good]}}),
        (good, "PUT", password_url, {"json": good}),
        (good, "PUT", password_url, {"json": {"pasword": good}}),
        (good, "PUT", password_url, {"content": f'{{"password": "{good}"', "headers": as_json}),
        (
            good,
            "POST",
            f"{api}/users",
            {"json": {"name": "a b", "password": good}, "auth": admin.auth},
        ),
        (
            good,
            "POST",
            f"{api}/users",
            {"json": {"name": user.name, "password": good}, "auth": admin.auth},
        ),
        (
            short,
            "POST",
            f"{api}/users",
            {"json": {"name": "newcomer", "password": short}, "auth": admin.auth},
        ),
        # wrong credentials on the API, the upload endpoint and the Simple API
        (good, "GET", f"{api}/me", {"auth": (user.name, good)}),
        (bad_token, "GET", f"{api}/me", {"auth": ("__token__", bad_token)}),
        (token, "GET", f"{api}/me", {"auth": (user.name, token)}),
        (bad_token, "GET", f"{api}/me", {"headers": {"Authorization": f"Bearer {bad_token}"}}),
        (bad_token, "GET", f"{api}/me", {"headers": {"Authorization": f"Basic {bad_token}"}}),
        (good, "POST", upload, {"auth": (user.name, good), "data": form, "files": wheel}),
        (
            bad_token,
            "POST",
            upload,
            {"auth": ("__token__", bad_token), "data": form, "files": wheel},
        ),
        (token, "POST", upload, {"auth": (user.name, token), "data": form, "files": wheel}),
        (bad_token, "POST", upload, {"headers": {"Authorization": f"Bearer {bad_token}"}}),
        (good, "GET", f"/pypi/{index}/simple/", {"auth": (user.name, good)}),
        (bad_token, "GET", f"/pypi/{index}/simple/", {"auth": ("__token__", bad_token)}),
        # a good token on an upload the endpoint refuses
        (token, "POST", upload, {"auth": ("__token__", token), "data": form, "files": wheel}),
    ]
    echoed = []
    for secret, method, path, options in attempts:
        if "Authorization" not in options.get("headers", {}):
            options.setdefault("auth", user.auth)
        response = ph.http.request(method, path, **options)
        assert response.status_code >= 400, (method, path, response.text)
        answer = response.text + "".join(f"{k}: {v}\n" for k, v in response.headers.items())
        if secret in answer or secret[:24] in answer:
            sent = repr({k: v for k, v in options.items() if k not in ("auth", "files")})
            echoed.append(
                f"{method} {path} {sent[:120]} -> {response.status_code} {response.text[:300]}"
            )
    assert not echoed, "answers echo the submitted secret:\n" + "\n".join(echoed)
