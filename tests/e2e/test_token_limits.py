"""Stories of issue 15: a token never does more than it was made for; index names are never
reused; who may create indexes; Bearer tokens; the last admin; who may list grants.

Hand-written, so they pin the issue's cases independently of ``domain/policy.RULES`` (from which
``test_policy_matrix.py`` is generated).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import Dist
from tests.driver import Packhouse, ServerProcess, User, unique

API = "/api/v1"
APP = Dist("limits-app", "1.0")


def token(ph: Packhouse, user: User, index: str | None, role: str) -> str:
    body = {"index": index, "role": role}
    made = ph.http.post(f"{API}/tokens", json=body, auth=user.auth)
    assert made.status_code == 201, made.text
    secret: str = made.json()["token"]
    return secret


def as_token(secret: str) -> tuple[str, str]:
    return ("__token__", secret)


def refused(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert all(word in detail for word in words), detail


# ---------------------------------------------------------------- the cases


def test_a_reader_token_cannot_change_its_users_password(ph: Packhouse) -> None:
    user = ph.create_user()
    secret = token(ph, user, None, "reader")
    body = {"password": "new-password-1", "current_password": user.password}

    response = ph.http.put(f"{API}/users/{user.name}/password", json=body, auth=as_token(secret))

    refused(response, 403, "token", "password")
    assert ph.http.get(f"{API}/me", auth=user.auth).status_code == 200  # unchanged
    assert ph.http.get(f"{API}/me", auth=(user.name, "new-password-1")).status_code == 401


def test_a_reader_token_cannot_mint_a_higher_or_wider_token(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.create_user()
    ph.grant("owner", index, user)
    unscoped_reader = as_token(token(ph, user, None, "reader"))
    scoped_uploader = as_token(token(ph, user, index, "uploader"))

    for auth, body in (
        (unscoped_reader, {"index": None, "role": "owner"}),
        (unscoped_reader, {"index": index, "role": "owner"}),
        (scoped_uploader, {"index": index, "role": "maintainer"}),
        (scoped_uploader, {"index": None, "role": "reader"}),
    ):
        response = ph.http.post(f"{API}/tokens", json=body, auth=auth)
        refused(response, 403, "no wider and no higher")
        assert "pkh_" not in response.text
    # Narrower is fine: a scoped reader token from the scoped uploader token.
    narrower = {"index": index, "role": "reader"}
    assert ph.http.post(f"{API}/tokens", json=narrower, auth=scoped_uploader).status_code == 201


def test_an_admins_reader_token_cannot_create_an_admin(ph: Packhouse) -> None:
    admin = ph.create_user(admin=True)
    name = unique("usurper")
    body = {"name": name, "password": "a-long-password", "admin": True}
    for role in ("reader", "owner"):  # no token manages users, whatever its role
        response = ph.http.post(
            f"{API}/users", json=body, auth=as_token(token(ph, admin, None, role))
        )
        refused(response, 403, "token", "create user")
    assert ph.http.get(f"{API}/users/{name}", auth=admin.auth).status_code == 404
    assert ph.http.post(f"{API}/users", json=body, auth=admin.auth).status_code == 201


def test_a_scoped_uploader_token_cannot_create_an_index(ph: Packhouse) -> None:
    admin = ph.create_user(admin=True)
    index = ph.create_index()
    scoped = as_token(token(ph, admin, index, "uploader"))
    name = unique("made-by-token")

    response = ph.http.post(f"{API}/indexes", json={"name": name}, auth=scoped)

    refused(response, 403, "unscoped owner token")
    assert ph.http.get(f"{API}/indexes/{name}", auth=admin.auth).status_code == 404
    # The admin's password or unscoped owner token may (PACKHOUSE_INDEX_CREATORS=admins).
    owner_token = as_token(token(ph, admin, None, "owner"))
    assert ph.http.post(f"{API}/indexes", json={"name": name}, auth=owner_token).status_code == 201


# ---------------------------------------------------------------- passwords


def test_changing_ones_own_password_needs_the_current_one(ph: Packhouse) -> None:
    user = ph.create_user()
    path = f"{API}/users/{user.name}/password"

    missing = ph.http.put(path, json={"password": "brand-new-pw"}, auth=user.auth)
    refused(missing, 400, "current_password")
    wrong = {"password": "brand-new-pw", "current_password": "not-" + user.password}
    refused(ph.http.put(path, json=wrong, auth=user.auth), 403, "current password is wrong")
    assert ph.http.get(f"{API}/me", auth=user.auth).status_code == 200

    right = {"password": "brand-new-pw", "current_password": user.password}
    assert ph.http.put(path, json=right, auth=user.auth).status_code == 204
    assert ph.http.get(f"{API}/me", auth=(user.name, "brand-new-pw")).status_code == 200


def test_admins_reset_others_passwords_with_a_password_login_only(ph: Packhouse) -> None:
    admin, user = ph.create_user(admin=True), ph.create_user()
    path = f"{API}/users/{user.name}/password"
    owner_token = as_token(token(ph, admin, None, "owner"))

    refused(ph.http.put(path, json={"password": "reset-by-token"}, auth=owner_token), 403, "token")
    assert (
        ph.http.put(path, json={"password": "reset-by-admin"}, auth=admin.auth).status_code == 204
    )
    assert ph.http.get(f"{API}/me", auth=(user.name, "reset-by-admin")).status_code == 200
    # Another user may not, and learns nothing about who exists.
    other = ph.create_user()
    for name in (user.name, unique("nobody")):
        response = ph.http.put(
            f"{API}/users/{name}/password", json={"password": "x" * 12}, auth=other.auth
        )
        refused(response, 403, "only admins")


# ---------------------------------------------------------------- grants


def test_listing_grants_needs_maintainer_even_on_a_public_index(ph: Packhouse) -> None:
    index = ph.create_index()
    reader, uploader, maintainer = ph.create_user(), ph.create_user(), ph.create_user()
    for role, user in (("reader", reader), ("uploader", uploader), ("maintainer", maintainer)):
        ph.grant(role, index, user)
    stranger = ph.create_user()
    path = f"{API}/indexes/{index}/grants"

    for user in (stranger, reader, uploader):
        refused(ph.http.get(path, auth=user.auth), 403, "list grants")
    assert ph.http.get(path).status_code == 401
    listed = ph.http.get(path, auth=maintainer.auth)
    assert listed.status_code == 200
    assert {g["name"] for g in listed.json()} == {reader.name, uploader.name, maintainer.name}


# ---------------------------------------------------------------- retired index names


def publish_one(ph: Packhouse, index: str) -> None:
    ph.publish(index, ph.uploader(index), APP)


def test_a_deleted_index_name_is_retired_until_an_admin_purges_it(ph: Packhouse) -> None:
    admin = ph.create_user(admin=True)
    name = ph.create_index()
    publish_one(ph, name)
    pinned = f"/pypi/{name}/versions/1/simple/limits-app/"
    assert ph.http.get(pinned).status_code == 200

    assert ph.http.delete(f"{API}/indexes/{name}", auth=admin.auth).status_code == 204

    for _ in range(3):  # every worker
        assert ph.http.get(pinned).status_code == 404
    again = ph.http.post(f"{API}/indexes", json={"name": name}, auth=admin.auth)
    refused(again, 409, "not available")
    assert "limits-app" not in ph.cli("index", "list").stdout
    with_cli = ph.cli("index", "create", name, check=False)
    assert with_cli.returncode == 1
    assert "not available" in with_cli.stderr
    retired = ph.http.get(f"{API}/retired-indexes", auth=admin.auth).json()
    assert name in {r["name"] for r in retired}

    # Only an admin purges, and it is audited.
    user = ph.create_user()
    purge = f"{API}/retired-indexes/{name}/purge"
    refused(ph.http.post(purge, auth=user.auth), 403, "only admins")
    assert ph.http.post(purge, auth=admin.auth).status_code == 204
    refused(ph.http.post(purge, auth=admin.auth), 404, "no deleted index")
    log = ph.http.get(f"{API}/audit", auth=admin.auth, params={"limit": 50}).json()["items"]
    assert any(e["action"] == "index.purge" and e["index"] == name for e in log)
    assert ph.http.post(f"{API}/indexes", json={"name": name}, auth=admin.auth).status_code == 201


def test_the_cli_purges_a_retired_name_only_when_confirmed(ph: Packhouse) -> None:
    name = ph.create_index()
    ph.cli("index", "delete", name, "--yes")
    unconfirmed = ph.cli("index", "purge", name, check=False)
    assert unconfirmed.returncode != 0
    assert "--yes" in unconfirmed.stderr
    assert ph.cli("index", "create", name, check=False).returncode == 1

    ph.cli("index", "purge", name, "--yes")
    ph.cli("index", "create", name)
    # In the whole log: the new index's own log starts at its creation.
    newest = json.loads(ph.cli("audit", "--json", "--limit", "5").stdout)
    assert ("index.purge", name) in {(e["action"], e["index"]) for e in newest}
    assert "index.purge" not in ph.cli("audit", "--index", name).stdout


# ---------------------------------------------------------------- Bearer tokens and OpenAPI


def test_bearer_tokens_work_on_the_api_the_package_paths_and_uploads(ph: Packhouse) -> None:
    index = ph.create_index(private=True)
    user = ph.uploader(index)
    bearer = {"Authorization": "Bearer " + token(ph, user, index, "uploader")}

    me = ph.http.get(f"{API}/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["name"] == user.name
    ph.publish(index, user, APP)
    for _ in range(4):  # the routes first, then the hot path's cache, in both workers
        assert ph.http.get(f"/pypi/{index}/simple/limits-app/", headers=bearer).status_code == 200
    wrong = {"Authorization": "Bearer pkh_not-a-token"}
    assert ph.http.get(f"/pypi/{index}/simple/", headers=wrong).status_code == 401
    refused(ph.http.get(f"{API}/me", headers=wrong), 401, "invalid or revoked")
    other = ph.http.get(f"{API}/me", headers={"Authorization": "Digest x"})
    refused(other, 401, "Bearer")


def test_the_openapi_document_declares_basic_and_bearer(ph: Packhouse) -> None:
    document: dict[str, Any] = ph.http.get(f"{API}/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["basic"] == {**schemes["basic"], "type": "http", "scheme": "basic"}
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    operations = {
        op["operationId"]: op for item in document["paths"].values() for op in item.values()
    }
    assert all(op["security"][:2] == [{"basic": []}, {"bearer": []}] for op in operations.values())
    assert {} in operations["show_index"]["security"]  # anonymous reads of public indexes
    assert {} not in operations["create_index"]["security"]


def test_the_docs_page_needs_nothing_from_elsewhere(ph: Packhouse) -> None:
    response = ph.http.get(f"{API}/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text.lower()
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page
    assert "create_index" in page


# ---------------------------------------------------------------- PACKHOUSE_INDEX_CREATORS=users


@pytest.fixture(scope="module")
def users_create(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Packhouse]:
    """A server of its own (SQLite) where every user may create indexes, and one admin."""
    root = tmp_path_factory.mktemp("creators")
    env = {"PACKHOUSE_INDEX_CREATORS": "users", "PACKHOUSE_LOGIN_FAILURE_LIMIT": "100000"}
    with ServerProcess.start(root / "data", env=env) as server:
        ph = Packhouse(server, root)
        try:
            yield ph
        finally:
            ph.http.close()


def test_with_index_creators_users_any_user_creates_but_no_scoped_token(
    users_create: Packhouse,
) -> None:
    ph = users_create
    user = ph.create_user()
    name = unique("mine")
    assert ph.http.post(f"{API}/indexes", json={"name": name}, auth=user.auth).status_code == 201
    grants = ph.http.get(f"{API}/indexes/{name}/grants", auth=user.auth).json()
    assert grants == [{"index": name, "kind": "user", "name": user.name, "role": "owner"}]

    scoped = as_token(token(ph, user, name, "uploader"))
    unscoped_uploader = as_token(token(ph, user, None, "uploader"))
    for auth in (scoped, unscoped_uploader):
        response = ph.http.post(f"{API}/indexes", json={"name": unique("by-token")}, auth=auth)
        refused(response, 403, "unscoped owner token")
    owner = as_token(token(ph, user, None, "owner"))
    assert (
        ph.http.post(f"{API}/indexes", json={"name": unique("ok")}, auth=owner).status_code == 201
    )


def test_a_taken_retired_or_private_name_answers_alike(users_create: Packhouse) -> None:
    ph = users_create
    alice, mallory = ph.create_user(), ph.create_user()
    private, public, retired = unique("priv"), unique("pub"), unique("gone")
    for name, body in ((private, {"private": True}), (public, {}), (retired, {})):
        made = ph.http.post(f"{API}/indexes", json={"name": name, **body}, auth=alice.auth)
        assert made.status_code == 201
    assert ph.http.delete(f"{API}/indexes/{retired}", auth=alice.auth).status_code == 204
    assert ph.http.get(f"{API}/indexes/{private}", auth=mallory.auth).status_code == 404

    answers = set()
    for name in (private, public, retired):
        for user in (mallory, alice):
            response = ph.http.post(f"{API}/indexes", json={"name": name}, auth=user.auth)
            answers.add((response.status_code, response.json()["detail"].replace(name, "NAME")))
    assert answers == {(409, "index name 'NAME' is not available; pick another name")}


def test_the_last_admin_cannot_be_deleted(tmp_path: Path) -> None:
    with ServerProcess.start(tmp_path / "data") as server:
        ph = Packhouse(server, tmp_path)
        try:
            first = ph.create_user(admin=True)
            refused(ph.http.delete(f"{API}/users/{first.name}", auth=first.auth), 409, "last admin")
            refused_cli = ph.cli("user", "delete", first.name, check=False)
            assert refused_cli.returncode == 1
            assert "last admin" in refused_cli.stderr

            second = ph.create_user(admin=True)
            assert ph.http.delete(f"{API}/users/{first.name}", auth=second.auth).status_code == 204
            refused(
                ph.http.delete(f"{API}/users/{second.name}", auth=second.auth), 409, "last admin"
            )
            assert ph.http.get(f"{API}/me", auth=second.auth).status_code == 200
        finally:
            ph.http.close()


# ---------------------------------------------------------------- tokens made by tokens


def mint(ph: Packhouse, auth: tuple[str, str], **body: Any) -> dict[str, Any]:
    made = ph.http.post(f"{API}/tokens", json=body, auth=auth)
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


def test_a_token_that_expires_mints_only_tokens_that_expire_no_later(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.create_user()
    ph.grant("owner", index, user)
    ci = mint(ph, user.auth, index=None, role="owner", expires_days=1)  # a short-lived CI token
    parent = as_token(ci["token"])

    # Without expires_days, the new token expires with the one that made it (not never).
    child = mint(ph, parent, index=index, role="reader")
    assert child["expires_at"] == ci["expires_at"]
    for days in (2, 3650):
        longer = {"index": index, "role": "reader", "expires_days": days}
        response = ph.http.post(f"{API}/tokens", json=longer, auth=parent)
        refused(response, 403, "no wider and no higher", "expiring no later")
        assert "pkh_" not in response.text
    # A token that never expires (or a password login) may make one that never does, or one
    # that expires whenever.
    forever = as_token(mint(ph, user.auth, index=None, role="owner")["token"])
    assert mint(ph, forever, index=index, role="reader")["expires_at"] is None
    assert mint(ph, forever, index=index, role="reader", expires_days=3650)["expires_at"]


def test_revoking_a_token_revokes_the_tokens_made_through_it(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.create_user()
    ph.grant("owner", index, user)
    parent = mint(ph, user.auth, index=None, role="owner")
    child = mint(ph, as_token(parent["token"]), index=index, role="uploader")
    grandchild = mint(ph, as_token(child["token"]), index=index, role="reader")
    sibling = mint(ph, user.auth, index=index, role="reader")  # made with the password
    for made in (child, grandchild, sibling):  # in use, so cached by the server
        assert ph.http.get(f"{API}/me", auth=as_token(made["token"])).status_code == 200

    assert ph.http.delete(f"{API}/tokens/{parent['id']}", auth=user.auth).status_code == 204

    for made in (parent, child, grandchild):
        for _ in range(3):  # every worker
            response = ph.http.get(f"{API}/me", auth=as_token(made["token"]))
            refused(response, 401, "revoked")
    assert ph.http.get(f"{API}/me", auth=as_token(sibling["token"])).status_code == 200
    listed = {t["id"]: t["revoked"] for t in ph.http.get(f"{API}/tokens", auth=user.auth).json()}
    assert [listed[t["id"]] for t in (parent, child, grandchild, sibling)] == [
        True,
        True,
        True,
        False,
    ]
    log = json.loads(ph.cli("audit", "--json", "--limit", "20").stdout)
    (entry,) = [e for e in log if e["action"] == "token.revoke"]
    assert entry["target"] == f"token {parent['id']}"
    assert entry["detail"].endswith(f"made through it: {child['id']}, {grandchild['id']}")


def test_revoking_another_users_token_answers_404_whatever_its_scope(ph: Packhouse) -> None:
    index = ph.create_index()
    caller, other = ph.create_user(), ph.create_user()
    for user in (caller, other):
        ph.grant("owner", index, user)
    scoped_reader = as_token(mint(ph, caller.auth, index=index, role="reader")["token"])
    # Wider and higher than the caller's token, narrower, and none at all.
    wider = mint(ph, other.auth, index=None, role="owner")["id"]
    narrower = mint(ph, other.auth, index=index, role="reader")["id"]
    missing = max(wider, narrower) + 1000

    answers = set()
    for token_id in (wider, narrower, missing):
        response = ph.http.delete(f"{API}/tokens/{token_id}", auth=scoped_reader)
        answers.add((response.status_code, response.json()["detail"].replace(str(token_id), "N")))

    assert answers == {(404, "no token N of yours")}
    assert not any(t["revoked"] for t in ph.http.get(f"{API}/tokens", auth=other.auth).json())


def test_a_token_on_a_private_index_one_cannot_see_answers_like_a_missing_index(
    ph: Packhouse,
) -> None:
    secret = ph.create_index(private=True)
    missing = unique("no-such-index")
    stranger = ph.create_user()

    answers = set()
    for index in (secret, missing):
        for auth in (stranger.auth, as_token(token(ph, stranger, None, "owner"))):
            body = {"index": index, "role": "reader"}
            response = ph.http.post(f"{API}/tokens", json=body, auth=auth)
            answers.add((response.status_code, response.json()["detail"].replace(index, "X")))

    assert answers == {(404, "no index named 'X'; check the name")}


def test_concurrent_deletions_of_an_index_answer_204_once_and_404_otherwise(
    ph: Packhouse,
) -> None:
    admin = ph.create_user(admin=True)
    assert ph.http.get(f"{API}/me", auth=admin.auth).status_code == 200  # password cached
    clients = [httpx.Client(base_url=ph.http.base_url, timeout=60) for _ in range(6)]
    try:
        for _ in range(4):
            name = unique("doomed")
            made = ph.http.post(f"{API}/indexes", json={"name": name}, auth=admin.auth)
            assert made.status_code == 201, made.text
            with ThreadPoolExecutor(len(clients)) as pool:
                delete = partial(_delete_index, name=name, auth=admin.auth)
                statuses = sorted(pool.map(delete, clients))
            assert statuses == [204] + [404] * (len(clients) - 1)
    finally:
        for client in clients:
            client.close()


def _delete_index(client: httpx.Client, *, name: str, auth: tuple[str, str]) -> int:
    return client.delete(f"{API}/indexes/{name}", auth=auth).status_code


def test_an_index_audit_log_starts_with_the_index(ph: Packhouse) -> None:
    admin = ph.create_user(admin=True)
    name = ph.create_index()
    publish_one(ph, name)
    assert ph.http.delete(f"{API}/indexes/{name}", auth=admin.auth).status_code == 204
    assert ph.http.post(f"{API}/retired-indexes/{name}/purge", auth=admin.auth).status_code == 204
    newcomer = ph.create_user(admin=True)  # a different owner of the new index of that name

    made = ph.http.post(f"{API}/indexes", json={"name": name}, auth=newcomer.auth)
    assert made.status_code == 201, made.text

    log = ph.http.get(f"{API}/indexes/{name}/audit", auth=newcomer.auth).json()
    assert [(e["action"], e["actor"]) for e in log["items"]] == [("index.create", newcomer.name)]
    assert log["total"] == 1
    cli_log = json.loads(ph.cli("audit", "--index", name, "--json").stdout)
    assert [e["action"] for e in cli_log] == ["index.create"]
    # The whole log (admins) keeps the old index's entries.
    whole = ph.http.get(f"{API}/audit", auth=admin.auth, params={"limit": 100}).json()["items"]
    assert {"upload", "index.delete", "index.purge"} <= {
        e["action"] for e in whole if e["index"] == name
    }
