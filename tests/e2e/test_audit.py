"""The audit log: who did what, when and from where, for every kind of change; who may read it.

HTTP changes are recorded from ``127.0.0.1`` under the caller's user name; CLI changes from
``cli`` under ``operator``. Owners read their index's log at ``/api/v1/indexes/{i}/audit``,
admins the whole log at ``/api/v1/audit``; both are newest first and paginated.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.builders import Dist, make_wheel
from tests.driver import Packhouse, User, unique

API = "/api/v1"
OLD = Dist("audited", "1.0")
NEW = Dist("audited", "2.0")
HTTP = "127.0.0.1"
#: Clock skew allowed between this process and the server (same machine) around a test.
SLACK = timedelta(seconds=5)

Auth = tuple[str, str] | None


def upload(ph: Packhouse, index: str, dist: Dist, auth: Auth) -> httpx.Response:
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
    return ph.http.post(f"/pypi/{index}/legacy/", data=fields, files=files, auth=auth)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json() if response.content else None


def api(ph: Packhouse, method: str, path: str, auth: Auth, **kwargs: Any) -> httpx.Response:
    return ph.http.request(method, API + path, auth=auth, **kwargs)


def newest_id(ph: Packhouse, admin: User) -> int:
    items = ok(api(ph, "GET", "/audit", admin.auth, params={"limit": 1}))["items"]
    return int(items[0]["id"]) if items else 0


def log_since(ph: Packhouse, admin: User, mark: int) -> tuple[list[dict[str, Any]], str]:
    """Every global entry newer than ``mark`` (newest first), and the raw JSON text read."""
    entries: list[dict[str, Any]] = []
    raw = []
    offset = 0
    while True:
        response = api(ph, "GET", "/audit", admin.auth, params={"offset": offset, "limit": 200})
        page = ok(response)
        raw.append(response.text)
        newer = [e for e in page["items"] if e["id"] > mark]
        entries += newer
        if len(newer) < len(page["items"]) or not page["items"]:
            return entries, "".join(raw)
        offset += len(page["items"])


def when(entry: dict[str, Any]) -> datetime:
    at = datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
    assert at.tzinfo is not None, entry
    return at


def check_times(entries: Iterable[dict[str, Any]], start: datetime, end: datetime) -> None:
    for entry in entries:
        assert start - SLACK <= when(entry) <= end + SLACK, entry


def summary(entries: Iterable[dict[str, Any]]) -> list[tuple[str | None, str, str, str | None]]:
    """(actor, action, target, remote_addr) of each entry, in the order given."""
    return [(e["actor"], e["action"], e["target"], e["remote_addr"]) for e in entries]


def token_id(ph: Packhouse, user: str) -> int:
    """The id of the newest token of a user, from ``packhouse token list``."""
    tokens = json.loads(ph.cli("token", "list", "--user", user, "--json").stdout)
    return max(int(token["id"]) for token in tokens)


# ---------------------------------------------------------------- every change, over HTTP


def test_every_change_over_http_is_audited(ph: Packhouse) -> None:
    admin = ph.create_user(admin=True)
    owner, maintainer, uploader = ph.create_user(), ph.create_user(), ph.create_user()
    mark = newest_id(ph, admin)
    start = datetime.now(UTC)
    index = unique("aud")

    ok(api(ph, "POST", "/indexes", admin.auth, json={"name": index}), 201)
    grants = "/indexes/{}/grants/users/{}"
    ok(api(ph, "PUT", grants.format(index, owner.name), admin.auth, json={"role": "owner"}))
    for user, role in ((uploader, "uploader"), (maintainer, "maintainer")):
        ok(api(ph, "PUT", grants.format(index, user.name), owner.auth, json={"role": role}))
    issued = ok(
        api(ph, "POST", "/tokens", uploader.auth, json={"index": index, "role": "uploader"}), 201
    )
    token = ("__token__", issued["token"])
    assert upload(ph, index, OLD, token).status_code == 200
    assert upload(ph, index, NEW, uploader.auth).status_code == 200  # version 2
    release = f"/indexes/{index}/projects/audited/releases/1.0"
    ok(api(ph, "POST", release + "/yank", maintainer.auth, json={"reason": "bad"}))  # 3
    ok(api(ph, "POST", release + "/unyank", maintainer.auth))  # 4
    ok(api(ph, "DELETE", f"/indexes/{index}/files/{NEW.wheel_filename}", maintainer.auth))  # 5
    ok(api(ph, "POST", f"/indexes/{index}/rollback", maintainer.auth, json={"version": 2}))  # 6
    ok(api(ph, "PATCH", f"/indexes/{index}", maintainer.auth, json={"private": True}))
    ok(api(ph, "DELETE", grants.format(index, uploader.name), owner.auth), 204)
    ok(api(ph, "DELETE", f"/tokens/{issued['id']}", uploader.auth), 204)
    wrong = "Wr0ng-" + secrets.token_urlsafe(12)
    assert api(ph, "GET", "/me", (uploader.name, wrong)).status_code == 401

    # The owner reads the index's log: every change to the index, newest first.
    log = ok(api(ph, "GET", f"/indexes/{index}/audit", owner.auth))
    end = datetime.now(UTC)
    assert summary(reversed(log["items"])) == [
        (admin.name, "index.create", index, HTTP),
        (admin.name, "grant", f"user {owner.name}", HTTP),
        (owner.name, "grant", f"user {uploader.name}", HTTP),
        (owner.name, "grant", f"user {maintainer.name}", HTTP),
        (uploader.name, "token.create", f"token {issued['id']}", HTTP),
        (uploader.name, "project.owner.add", "audited", HTTP),
        (uploader.name, "upload", OLD.wheel_filename, HTTP),
        (uploader.name, "upload", NEW.wheel_filename, HTTP),
        (maintainer.name, "yank", "yank audited 1.0", HTTP),
        (maintainer.name, "unyank", "unyank audited 1.0", HTTP),
        (maintainer.name, "delete", NEW.wheel_filename, HTTP),
        (maintainer.name, "rollback", "version 2", HTTP),
        (maintainer.name, "index.update", index, HTTP),
        (owner.name, "revoke", f"user {uploader.name}", HTTP),
        (uploader.name, "token.revoke", f"token {issued['id']}", HTTP),
    ]
    assert log["total"] == 15
    assert all(e["index"] == index for e in log["items"])
    check_times(log["items"], start, end)
    details = {e["action"]: e["detail"] for e in log["items"]}
    assert details["index.update"] == "private=True"
    assert details["index.create"] == "private=False"
    assert details["rollback"] == "version 6: rollback to version 2"
    assert details["delete"] == f"version 5: delete {NEW.wheel_filename}"
    assert "uploader" in details["token.create"]
    ids = [e["id"] for e in log["items"]]
    assert ids == sorted(ids, reverse=True)

    # Deleting the index; the admin reads everything, including what has no index.
    ok(api(ph, "DELETE", f"/indexes/{index}", admin.auth), 204)
    entries, raw = log_since(ph, admin, mark)
    check_times(entries, start, datetime.now(UTC))
    mine = [e for e in entries if e["index"] == index]
    assert summary(mine[:1]) == [(admin.name, "index.delete", index, HTTP)]
    assert [e["id"] for e in mine[1:]] == ids  # the index's log is the global log filtered
    (revoked,) = [e for e in entries if e["action"] == "token.revoke"]
    assert summary([revoked]) == [(uploader.name, "token.revoke", f"token {issued['id']}", HTTP)]
    assert revoked["index"] == index  # a token limited to the index shows in its log
    (failed,) = [e for e in entries if e["action"] == "login.failed"]
    assert summary([failed]) == [(None, "login.failed", uploader.name, HTTP)]
    for secret in (wrong, issued["token"], uploader.password, owner.password):
        assert secret not in raw


# ---------------------------------------------------------------- every change, from the CLI


def test_every_change_from_the_cli_is_audited(ph: Packhouse) -> None:
    admin = ph.create_user(admin=True)
    mark = newest_id(ph, admin)
    start = datetime.now(UTC)
    index = ph.create_index()
    user = ph.create_user()
    team = unique("team")
    ph.cli("team", "create", team)
    ph.cli("team", "add", team, user.name)
    ph.grant("uploader", index, user)
    ph.cli("grant", "reader", "--index", index, "--team", team)
    secret = ph.token(user, index)
    number = token_id(ph, user.name)
    assert upload(ph, index, OLD, ("__token__", secret)).status_code == 200  # version 1
    assert upload(ph, index, NEW, user.auth).status_code == 200  # version 2
    ph.cli("yank", "--index", index, "audited", "1.0", "--reason", "bad")  # 3
    ph.cli("unyank", "--index", index, "audited", "1.0")  # 4
    ph.cli("remove", "--index", index, NEW.wheel_filename)  # 5
    ph.cli("index", "rollback", index, "2")  # 6
    ph.cli("index", "set", index, "--private")
    ph.cli("revoke", "--index", index, "--team", team)
    ph.cli("token", "revoke", str(number))
    cli_log = ph.cli("audit", "--index", index, "--limit", "100").stdout
    ph.cli("index", "delete", index, "--yes")
    end = datetime.now(UTC)

    entries, _ = log_since(ph, admin, mark)
    check_times(entries, start, end)
    op = "operator"
    assert summary(reversed([e for e in entries if e["index"] == index])) == [
        (op, "index.create", index, "cli"),
        (op, "grant", f"user {user.name}", "cli"),
        (op, "grant", f"team {team}", "cli"),
        (op, "token.create", f"token {number}", "cli"),
        (user.name, "project.owner.add", "audited", HTTP),
        (user.name, "upload", OLD.wheel_filename, HTTP),
        (user.name, "upload", NEW.wheel_filename, HTTP),
        (op, "yank", "yank audited 1.0", "cli"),
        (op, "unyank", "unyank audited 1.0", "cli"),
        (op, "delete", NEW.wheel_filename, "cli"),
        (op, "rollback", "version 2", "cli"),
        (op, "index.update", index, "cli"),
        (op, "revoke", f"team {team}", "cli"),
        (op, "token.revoke", f"token {number}", "cli"),
        (op, "index.delete", index, "cli"),
    ]
    others = summary(reversed([e for e in entries if e["index"] is None]))
    assert (op, "user.create", user.name, "cli") in others
    assert (op, "team.create", team, "cli") in others
    assert (op, "team.add", f"{team}/{user.name}", "cli") in others

    # The CLI's own view: tab-separated under a header, with who and from where.
    header, *lines = cli_log.strip().splitlines()
    assert header == "AT\tACTOR\tREMOTE_ADDR\tACTION\tINDEX\tTARGET\tDETAIL"
    assert len(lines) == 14  # everything above but the deletion
    assert f"\t{op}\tcli\tyank\t{index}\tyank audited 1.0\t" in cli_log
    assert f"\t{user.name}\t{HTTP}\tupload\t{index}\t{OLD.wheel_filename}\t" in cli_log
    assert secret not in cli_log


# ---------------------------------------------------------------- login failures


def test_login_failures_are_audited_without_the_password(ph: Packhouse) -> None:
    admin = ph.create_user(admin=True)
    user = ph.create_user()
    index = ph.create_index(private=True)
    ph.grant("reader", index, user)
    mark = newest_id(ph, admin)
    start = datetime.now(UTC)
    wrong = "Wr0ng-" + secrets.token_urlsafe(16)
    bogus_token = "pkh_" + secrets.token_urlsafe(32)
    ghost = unique("ghost")

    assert api(ph, "GET", "/me", (user.name, wrong)).status_code == 401
    refused = ph.http.get(f"/pypi/{index}/simple/", auth=(user.name, wrong + "2"))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert upload(ph, index, OLD, (user.name, wrong + "3")).status_code == 401
    assert api(ph, "GET", "/me", (ghost, wrong + "4")).status_code == 401
    assert api(ph, "GET", "/me", ("__token__", bogus_token)).status_code == 401
    assert api(ph, "GET", "/me", user.auth).status_code == 200  # a success is no failure
    end = datetime.now(UTC)

    entries, raw = log_since(ph, admin, mark)
    failures = [e for e in reversed(entries) if e["action"] == "login.failed"]
    assert summary(failures) == [
        (None, "login.failed", user.name, HTTP),
        (None, "login.failed", user.name, HTTP),
        (None, "login.failed", user.name, HTTP),
        (None, "login.failed", ghost, HTTP),
        (None, "login.failed", "__token__", HTTP),
    ]
    check_times(failures, start, end)
    assert [e["detail"] for e in failures[:4]] == ["wrong user name or password"] * 4
    cli_log = ph.cli("audit", "--limit", "1000").stdout
    for text in (raw, cli_log):
        assert wrong not in text
        assert bogus_token not in text
        assert user.password not in text
    assert f"\t-\t{HTTP}\tlogin.failed\t-\t{ghost}\t" in cli_log


# ---------------------------------------------------------------- who reads the log


@pytest.fixture
def audited_index(ph: Packhouse) -> tuple[str, dict[str, User]]:
    """A public index with one user per role, a stranger, an admin without grants."""
    index = ph.create_index()
    users = {"admin": ph.create_user(admin=True), "stranger": ph.create_user()}
    for role in ("reader", "uploader", "maintainer", "owner"):
        users[role] = ph.create_user()
        ph.grant(role, index, users[role])
    return index, users


def test_owners_and_admins_read_an_index_log_others_do_not(
    ph: Packhouse, audited_index: tuple[str, dict[str, User]]
) -> None:
    index, users = audited_index
    path = f"/indexes/{index}/audit"
    for who in ("owner", "admin"):
        log = ok(api(ph, "GET", path, users[who].auth))
        assert log["total"] == 5  # index.create and four grants
        assert {e["action"] for e in log["items"]} == {"index.create", "grant"}
    for who in ("maintainer", "uploader", "reader", "stranger"):
        response = api(ph, "GET", path, users[who].auth)
        assert response.status_code == 403, (who, response.text)
        assert isinstance(response.json()["detail"], str)
    anonymous = api(ph, "GET", path, None)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")

    # An owner's token reads the log only with the owner role.
    owner = users["owner"]
    for role, status in (("owner", 200), ("maintainer", 403)):
        body = {"index": index, "role": role}
        secret = ok(api(ph, "POST", "/tokens", owner.auth, json=body), 201)["token"]
        assert api(ph, "GET", path, ("__token__", secret)).status_code == status, role


def test_only_admins_read_the_whole_log(
    ph: Packhouse, audited_index: tuple[str, dict[str, User]]
) -> None:
    _index, users = audited_index
    assert ok(api(ph, "GET", "/audit", users["admin"].auth))["total"] > 0
    for who in ("owner", "maintainer", "stranger"):
        response = api(ph, "GET", "/audit", users[who].auth)
        assert response.status_code == 403, (who, response.text)
        assert isinstance(response.json()["detail"], str)
    assert api(ph, "GET", "/audit", None).status_code == 401


def test_an_admins_token_limited_to_one_index_cannot_read_the_whole_log(
    ph: Packhouse, audited_index: tuple[str, dict[str, User]]
) -> None:
    """A token limited to one index acts on that index only, even an admin's."""
    index, users = audited_index
    admin = users["admin"]
    body = {"index": index, "role": "reader"}
    secret = ok(api(ph, "POST", "/tokens", admin.auth, json=body), 201)["token"]
    token = ("__token__", secret)
    assert api(ph, "GET", f"/indexes/{index}/audit", token).status_code == 403  # reader ceiling
    response = api(ph, "GET", "/audit", token)
    assert response.status_code == 403, (response.status_code, response.text[:200])


# ---------------------------------------------------------------- pagination


def test_audit_pages(ph: Packhouse) -> None:
    admin = ph.create_user(admin=True)
    user = ph.create_user()
    index = unique("pages")
    ok(api(ph, "POST", "/indexes", admin.auth, json={"name": index}), 201)
    grant = f"/indexes/{index}/grants/users/{user.name}"
    roles = ["reader", "uploader", "maintainer", "owner", "reader", "uploader"]
    for role in roles:
        ok(api(ph, "PUT", grant, admin.auth, json={"role": role}))
    path = f"/indexes/{index}/audit"

    whole = ok(api(ph, "GET", path, admin.auth))
    assert whole["total"] == 7
    assert (whole["offset"], whole["limit"]) == (0, 100)
    assert [e["detail"] for e in whole["items"][:6]] == list(reversed(roles))  # newest first
    assert whole["items"][-1]["action"] == "index.create"

    pages = []
    for offset in (0, 3, 6, 9):
        page = ok(api(ph, "GET", path, admin.auth, params={"offset": offset, "limit": 3}))
        assert (page["total"], page["offset"], page["limit"]) == (7, offset, 3)
        pages.append(page["items"])
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    assert [e for p in pages for e in p] == whole["items"]

    # The global log pages the same way.
    first = ok(api(ph, "GET", "/audit", admin.auth, params={"limit": 2}))
    second = ok(api(ph, "GET", "/audit", admin.auth, params={"offset": 1, "limit": 2}))
    assert first["total"] >= 7
    assert (first["offset"], first["limit"], second["offset"]) == (0, 2, 1)
    assert len(first["items"]) == 2
    assert first["items"][1] == second["items"][0]
    assert first["items"][0]["id"] > first["items"][1]["id"]
