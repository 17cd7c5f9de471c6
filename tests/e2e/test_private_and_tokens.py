"""Private indexes, API tokens and logins: what pip, uv and twine meet, and what every worker does.

Requests that must be refused "at once" are repeated on fresh connections, so that both worker
processes of the shared server answer some of them.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, update

from packhouse.config import normalize_database_url
from packhouse.db.tables import AuthGenerationRow, TokenRow
from tests.builders import Dist
from tests.driver import VENV_BIN, Packhouse, ServerProcess, User, installed

APP = Dist("secret-app", "1.0", requires=("secret-lib>=0.2",))
LIB = Dist("secret-lib", "0.2")

#: Requests per check on fresh connections: enough for both workers to answer some.
ROUNDS = 6


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


def statuses(url: str, *, auth: tuple[str, str] | None, rounds: int = ROUNDS) -> list[int]:
    """The status of ``rounds`` GETs, each on a new connection."""
    found = []
    for _ in range(rounds):
        with httpx.Client(timeout=30) as client:
            found.append(client.get(url, auth=auth).status_code)
    return found


def listing(ph: Packhouse, index: str) -> str:
    return f"{ph.url}/pypi/{index}/simple/"


def create_token(
    ph: Packhouse, user: User, index: str | None, role: str, *extra: str
) -> tuple[int, str]:
    """``packhouse token create``: the token's id (from the first line) and its secret (last)."""
    scope = ["--index", index] if index else []
    out = ph.cli("token", "create", "--user", user.name, *scope, "--role", role, *extra).stdout
    lines = out.strip().splitlines()
    match = re.match(r"token (\d+) for ", lines[0])
    assert match, out
    return int(match.group(1)), lines[-1]


def token_auth(secret: str) -> tuple[str, str]:
    return ("__token__", secret)


def assert_clean_failure(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """A non-zero exit with the expected words, and no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert all(text in output for text in expected), output


@pytest.fixture
def private_index(ph: Packhouse) -> tuple[str, User]:
    """A private index with APP and LIB published, and a reader of it."""
    index = ph.create_index(private=True)
    ph.publish(index, twine_safe_uploader(ph, index), APP, LIB)
    reader = ph.create_user()
    ph.grant("reader", index, reader)
    return index, reader


# installing from a private index


def test_pip_and_uv_install_with_a_password_or_a_token_in_the_url(
    ph: Packhouse, private_index: tuple[str, User]
) -> None:
    index, reader = private_index
    _, secret = create_token(ph, reader, index, "reader")
    expected = {"secret_app==1.0", "secret_lib==0.2"}

    for auth in (reader.auth, token_auth(secret)):
        url = ph.index_url(index, auth=auth)
        _, target = ph.pip_install(url, "--no-input", "secret-app")
        assert installed(target) == expected
        _, venv = ph.uv_install(url, "secret-app")
        assert installed(venv) == expected


def test_pip_and_uv_fail_cleanly_without_credentials_or_with_wrong_ones(
    ph: Packhouse, private_index: tuple[str, User]
) -> None:
    index, reader = private_index
    anonymous = ph.index_url(index)
    wrong = ph.index_url(index, auth=(reader.name, "not-" + reader.password))

    # --no-input: on a 401 pip otherwise asks for a user name, and with no terminal it dies
    # with an EOFError traceback of its own.
    result, target = ph.pip_install(anonymous, "--no-input", "secret-app", check=False)
    assert_clean_failure(result, "No matching distribution found for secret-app")
    assert not installed(target)
    result, _ = ph.pip_install(wrong, "--no-input", "secret-app", check=False)
    assert_clean_failure(
        result, "401 Error, Credentials not correct", "No matching distribution found"
    )

    for url in (anonymous, wrong):
        result, venv = ph.uv_install(url, "secret-app", check=False)
        assert_clean_failure(result, "lack of valid authentication credentials (401 Unauthorized)")
        assert not installed(venv)
        assert reader.password not in result.stdout + result.stderr


def test_anonymous_reads_of_a_private_index_are_challenged(
    ph: Packhouse, private_index: tuple[str, User]
) -> None:
    index, _ = private_index
    for path in ("simple/", "simple/secret-app/", "pypi/secret-app/json"):
        response = ph.http.get(f"/pypi/{index}/{path}")
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Basic")
        assert "secret-lib" not in response.text


# token scope


def test_twine_with_another_index_token_is_refused(ph: Packhouse) -> None:
    index_a, index_b = ph.create_index(), ph.create_index()
    user = ph.uploader(index_a)
    ph.grant("uploader", index_b, user)
    _, secret_a = create_token(ph, user, index_a, "uploader")
    wheel = ph.build(LIB)

    result = ph.twine_upload(index_b, [wheel], username="__token__", password=secret_a, check=False)
    assert result.returncode != 0
    assert "403" in result.stdout + result.stderr
    assert ph.http.get(f"/pypi/{index_b}/simple/secret-lib/").status_code == 404

    ph.twine_upload(index_a, [wheel], username="__token__", password=secret_a)
    assert ph.http.get(f"/pypi/{index_a}/simple/secret-lib/").status_code == 200


def test_a_token_for_one_index_cannot_read_another_private_index(ph: Packhouse) -> None:
    index_a, index_b = ph.create_index(private=True), ph.create_index(private=True)
    user = ph.create_user()
    ph.grant("reader", index_a, user)
    ph.grant("reader", index_b, user)
    _, secret = create_token(ph, user, index_a, "reader")

    assert statuses(listing(ph, index_a), auth=token_auth(secret)) == [200] * ROUNDS
    assert statuses(listing(ph, index_b), auth=token_auth(secret)) == [404] * ROUNDS
    assert statuses(listing(ph, index_b), auth=user.auth, rounds=1) == [200]


def test_a_token_role_cannot_exceed_the_user_role(ph: Packhouse) -> None:
    index = ph.create_index(private=True)
    reader, stranger = ph.create_user(), ph.create_user()
    ph.grant("reader", index, reader)

    for user, role, holds in ((reader, "uploader", "reader"), (stranger, "reader", "no role")):
        args = ["token", "create", "--user", user.name, "--index", index, "--role", role]
        result = ph.cli(*args, check=False)
        assert result.returncode != 0
        assert result.stderr.count("\n") == 1, result.stderr  # one line
        assert "a token's role cannot exceed its user's" in result.stderr
        assert f"holds {holds} on {index!r}" in result.stderr
        assert "pkh_" not in result.stdout
        assert json.loads(ph.cli("token", "list", "--user", user.name, "--json").stdout) == []

    # The installed command says the same, on one line of its standard error.
    binary = subprocess.run(
        [str(VENV_BIN / "packhouse"), *args],
        env=ph.server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert binary.returncode == 1
    assert binary.stdout == ""
    assert binary.stderr == result.stderr


# revocation, expiry and password changes take effect at once in every worker


def test_a_revoked_token_is_refused_at_once(ph: Packhouse, private_index: tuple[str, User]) -> None:
    index, reader = private_index
    token_id, secret = create_token(ph, reader, index, "reader")
    assert statuses(listing(ph, index), auth=token_auth(secret)) == [200] * ROUNDS

    ph.cli("token", "revoke", str(token_id))

    assert statuses(listing(ph, index), auth=token_auth(secret)) == [401] * ROUNDS
    response = httpx.get(listing(ph, index), auth=token_auth(secret), timeout=30)
    assert "revoked" in response.text
    assert response.headers["www-authenticate"].startswith("Basic")


def set_token_expiry(server: ServerProcess, token_id: int, moment: datetime) -> None:
    """Write ``tokens.expires_at`` straight into the server's database (SQLite or PostgreSQL).

    The auth generation is bumped with it, as every write of the server's own does: a token's
    expiry only changes that way; the passing of time is covered by the PrincipalCache tests.
    """
    default = f"sqlite:///{server.data_dir / 'packhouse.sqlite3'}"
    url = normalize_database_url(server.env.get("PACKHOUSE_DATABASE_URL", default))
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            changed = connection.execute(
                update(TokenRow).where(TokenRow.id == token_id).values(expires_at=moment)
            )
            assert changed.rowcount == 1
            connection.execute(
                update(AuthGenerationRow)
                .where(AuthGenerationRow.id == 1)
                .values(value=AuthGenerationRow.value + 1)
            )
    finally:
        engine.dispose()


def test_an_expired_token_is_refused_at_once(
    ph: Packhouse, private_index: tuple[str, User]
) -> None:
    index, reader = private_index
    token_id, secret = create_token(ph, reader, index, "reader", "--expires-days", "1")
    assert statuses(listing(ph, index), auth=token_auth(secret)) == [200] * ROUNDS

    set_token_expiry(ph.server, token_id, datetime.now(UTC) - timedelta(seconds=1))

    assert statuses(listing(ph, index), auth=token_auth(secret)) == [401] * ROUNDS
    response = httpx.get(listing(ph, index), auth=token_auth(secret), timeout=30)
    assert "expired" in response.text


def test_a_password_change_is_effective_at_once_in_every_worker(
    ph: Packhouse, private_index: tuple[str, User]
) -> None:
    index, reader = private_index
    url = listing(ph, index)
    assert statuses(url, auth=reader.auth) == [200] * ROUNDS  # verified, and cached, everywhere

    # through the CLI
    new_password = secrets.token_urlsafe(12)
    ph.cli("user", "password", reader.name, "--password-stdin", stdin=new_password + "\n")
    assert statuses(url, auth=reader.auth) == [401] * ROUNDS
    assert statuses(url, auth=(reader.name, new_password)) == [200] * ROUNDS

    # through the API, by the user themself
    third_password = secrets.token_urlsafe(12)
    response = ph.http.put(
        f"/api/v1/users/{reader.name}/password",
        json={"password": third_password, "current_password": new_password},
        auth=(reader.name, new_password),
    )
    assert response.status_code == 204, response.text
    assert statuses(url, auth=(reader.name, new_password)) == [401] * ROUNDS
    assert statuses(url, auth=(reader.name, third_password)) == [200] * ROUNDS


def test_revoking_a_role_is_effective_at_once_in_every_worker(
    ph: Packhouse, private_index: tuple[str, User]
) -> None:
    index, reader = private_index
    url = listing(ph, index)
    _, secret = create_token(ph, reader, index, "reader")
    for auth in (reader.auth, token_auth(secret)):
        assert statuses(url, auth=auth) == [200] * ROUNDS  # cached in every worker

    ph.cli("revoke", "--index", index, "--user", reader.name)
    for auth in (reader.auth, token_auth(secret)):
        assert statuses(url, auth=auth) == [404] * ROUNDS


def test_leaving_a_team_is_effective_at_once_in_every_worker(ph: Packhouse) -> None:
    index = ph.create_index(private=True)
    ph.publish(index, twine_safe_uploader(ph, index), LIB)
    member = ph.create_user()
    team = f"team-{secrets.token_hex(4)}"
    ph.cli("team", "create", team)
    ph.cli("team", "add", team, member.name)
    ph.cli("grant", "reader", "--index", index, "--team", team)
    url = listing(ph, index)
    assert statuses(url, auth=member.auth) == [200] * ROUNDS

    ph.cli("team", "remove", team, member.name)
    assert statuses(url, auth=member.auth) == [404] * ROUNDS


# listing tokens


def test_token_list_shows_name_scope_and_last_use_but_never_the_secret(
    ph: Packhouse, private_index: tuple[str, User]
) -> None:
    index, reader = private_index
    used_id, used = create_token(ph, reader, index, "reader", "--name", "ci-bot")
    unused_id, unused = create_token(ph, reader, None, "reader")
    revoked_id, revoked = create_token(ph, reader, index, "reader", "--name", "old")
    ph.cli("token", "revoke", str(revoked_id))
    assert statuses(listing(ph, index), auth=token_auth(used), rounds=1) == [200]

    out = ph.cli("token", "list", "--user", reader.name).stdout
    header, *lines = out.splitlines()
    assert header == "ID\tNAME\tINDEX\tROLE\tSTATE\tEXPIRES_AT\tLAST_USED_AT"
    rows = {int(line.split("\t")[0]): line.split("\t")[1:] for line in lines}
    name, scope, role, state, expires, last_used = rows[used_id]
    assert (name, scope, role, state, expires) == ("ci-bot", index, "reader", "active", "-")
    assert datetime.strptime(last_used, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) > datetime.now(
        UTC
    ) - timedelta(minutes=10)
    assert rows[unused_id] == ["-", "*", "reader", "active", "-", "-"]
    assert rows[revoked_id][:4] == ["old", index, "reader", "revoked"]

    response = ph.http.get("/api/v1/tokens", auth=reader.auth)
    assert response.status_code == 200
    listed = response.json()
    assert {t["id"] for t in listed} == {used_id, unused_id, revoked_id}
    assert all("token" not in t for t in listed)
    for secret in (used, unused, revoked):
        assert secret not in out
        assert secret not in response.text
        assert secret.removeprefix("pkh_") not in out + response.text


# the login throttle


def test_failed_logins_are_throttled_even_for_correct_credentials(tmp_path: Path) -> None:
    env = {"PACKHOUSE_LOGIN_FAILURE_LIMIT": "5", "PACKHOUSE_LOGIN_FAILURE_WINDOW": "10"}
    with ServerProcess.start(tmp_path / "data", env=env, workers=1) as server:
        ph = Packhouse(server, tmp_path)
        try:
            _throttle_story(ph)
        finally:
            ph.http.close()


def _throttle_story(ph: Packhouse) -> None:
    index, public = ph.create_index(private=True), ph.create_index()
    user = ph.create_user()
    ph.grant("uploader", index, user)
    _, secret = create_token(ph, user, index, "reader")
    url = listing(ph, index)
    wrong = (user.name, "wrong-" + user.password)
    assert statuses(url, auth=user.auth, rounds=1) == [200]  # successes are not counted

    assert statuses(url, auth=wrong, rounds=5) == [401] * 5
    response = ph.http.get(url, auth=wrong)
    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 11
    assert "too many failed logins" in response.text

    # Correct credentials too, on every surface, while the client is throttled.
    for auth in (user.auth, token_auth(secret)):
        throttled = ph.http.get(url, auth=auth)
        assert throttled.status_code == 429
        assert "retry-after" in throttled.headers
    api = ph.http.get("/api/v1/me", auth=user.auth)
    assert api.status_code == 429
    assert "too many failed logins" in api.json()["detail"]
    assert "retry-after" in api.headers
    upload = ph.http.post(f"/pypi/{index}/legacy/", auth=user.auth, files={"content": b"x"})
    assert upload.status_code == 429
    # Anonymous reads send no credentials: they are not logins and are not refused.
    assert ph.http.get(f"/pypi/{public}/simple/").status_code == 200

    time.sleep(retry_after + 0.5)
    assert ph.http.get(url, auth=user.auth).status_code == 200


# behind a proxy: X-Forwarded-For from a trusted address names the client

THROTTLE_OF_THREE = {"PACKHOUSE_LOGIN_FAILURE_LIMIT": "3", "PACKHOUSE_LOGIN_FAILURE_WINDOW": "60"}


@contextlib.contextmanager
def private_reader(
    tmp_path: Path, env: dict[str, str], args: tuple[str, ...] = ()
) -> Iterator[tuple[Packhouse, str, User, tuple[str, str]]]:
    """A server, a private index's listing, a reader of it and wrong credentials for them."""
    with ServerProcess.start(tmp_path / "data", env=env, workers=1, args=args) as server:
        ph = Packhouse(server, tmp_path)
        try:
            index = ph.create_index(private=True)
            user = ph.create_user()
            ph.grant("reader", index, user)
            yield ph, listing(ph, index), user, (user.name, "wrong-" + user.password)
        finally:
            ph.http.close()


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_a_trusted_proxy_names_the_client_to_the_throttle(tmp_path: Path, server: str) -> None:
    # As the nginx front talks to the server: from 127.0.0.1, trusted as docs/nginx.md says.
    env = {**THROTTLE_OF_THREE, "PACKHOUSE_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with private_reader(tmp_path, env, ("--server", server)) as (ph, url, user, wrong):
        attacker = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(3):
            assert ph.http.get(url, auth=wrong, headers=attacker).status_code == 401
        assert ph.http.get(url, auth=user.auth, headers=attacker).status_code == 429
        # Another client behind the same proxy, and the proxy itself, are not throttled.
        other = {"X-Forwarded-For": "198.51.100.4"}
        assert ph.http.get(url, auth=user.auth, headers=other).status_code == 200
        assert ph.http.get(url, auth=user.auth).status_code == 200
        # In a chain, the nearest hop that is not a trusted proxy is the client.
        chain = {"X-Forwarded-For": "198.51.100.4, 203.0.113.7, 127.0.0.1"}
        assert ph.http.get(url, auth=user.auth, headers=chain).status_code == 429


@pytest.mark.parametrize(
    ("server", "trusted"),
    [
        ("granian", None),  # the default: no proxy is trusted, not even 127.0.0.1
        ("uvicorn", None),  # uvicorn's own default (FORWARDED_ALLOW_IPS=127.0.0.1) is off
        ("granian", "192.0.2.1"),  # a proxy that is not us
    ],
)
def test_forwarding_headers_from_an_untrusted_address_are_ignored(
    tmp_path: Path, server: str, trusted: str | None
) -> None:
    env = dict(THROTTLE_OF_THREE)
    if trusted is not None:
        env["PACKHOUSE_FORWARDED_ALLOW_IPS"] = trusted
    with private_reader(tmp_path, env, ("--server", server)) as (ph, url, user, wrong):
        # A client cannot spread its failures over made-up addresses...
        for n in range(3):
            spoofed = {"X-Forwarded-For": f"203.0.113.{n}"}
            assert ph.http.get(url, auth=wrong, headers=spoofed).status_code == 401
        # ...nor escape the throttle by claiming to be someone else.
        other = {"X-Forwarded-For": "198.51.100.4"}
        assert ph.http.get(url, auth=user.auth, headers=other).status_code == 429
        assert ph.http.get(url, auth=user.auth).status_code == 429
