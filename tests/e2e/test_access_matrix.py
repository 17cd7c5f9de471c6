"""The access-control acceptance matrix: every role x every operation x every way to hold it.

Each cell gets a fresh PRIVATE index, set up through the management API by a setup admin (who
becomes its owner by creating it): a release ``target 1.0`` uploaded by a separate
``publisher``, and the role under test granted to a user or a team. Then the caller tries one
operation, and an admin snapshot of the index (version, live files, yanks, the bystander's
grant) shows that an allowed operation did exactly its change and a refused one did nothing.

Expected statuses: 401 (with a Basic challenge) only for anonymous callers; 404 for an
authenticated caller with no role on the private index (it is hidden); 403 for a caller who
can see the index but lacks the role; 2xx when the role suffices.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.builders import Dist, make_wheel
from tests.driver import Packhouse, ServerProcess, User, unique

API = "/api/v1"
ROLES = ("none", "reader", "uploader", "maintainer", "owner")
RANK = {role: rank for rank, role in enumerate(ROLES)}
WAYS = ("user", "team", "token")

#: The release every cell's index starts with, uploaded by the publisher.
TARGET = Dist("target", "1.0")
#: What the ``upload`` operation publishes.
NEW = Dist("target", "2.0")
#: An upload the uploader makes itself, in the yank-own story.
MINE = Dist("mine", "1.0")

Auth = tuple[str, str] | None


# ---------------------------------------------------------------- helpers


def upload(http: httpx.Client, index: str, dist: Dist, auth: Auth) -> httpx.Response:
    """A legacy-API upload as twine sends it, without running twine."""
    data = make_wheel(dist)
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "metadata_version": "2.1",
        "name": dist.name,
        "version": dist.version,
        "filetype": "bdist_wheel",
        "pyversion": "py3",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
    }
    files = {"content": (dist.wheel_filename, data, "application/octet-stream")}
    return http.post(f"/pypi/{index}/legacy/", data=fields, files=files, auth=auth)


def ok(response: httpx.Response, status: int = 200) -> httpx.Response:
    assert response.status_code == status, (response.request.url, response.text)
    return response


@dataclass
class Cast:
    """The users, teams and tokens every cell draws on (created once per module)."""

    http: httpx.Client
    #: Creates and inspects every cell's index; its owner by creating it.
    setup: User
    #: An admin with no grant anywhere: the ``admin`` column.
    admin: User = field(init=False)
    #: Uploads ``target 1.0`` to every cell's index (an uploader there).
    publisher: User = field(init=False)
    #: The user the ``grant`` operation gives a role to.
    bystander: User = field(init=False)
    #: role -> a user granted that role directly (and whose tokens make the ``token`` way).
    direct: dict[str, User] = field(default_factory=dict)
    #: role -> (a member, their team) where the team is granted the role.
    members: dict[str, tuple[User, str]] = field(default_factory=dict)
    #: An unscoped owner-ceiling token of ``direct["none"]``: no role on a cell, any token.
    wildcard_token: str = ""

    def api(self, method: str, path: str, auth: Auth, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, API + path, auth=auth, **kwargs)

    def create_user(self, *, admin: bool = False) -> User:
        user = User(unique("user"), unique("pw"))
        body = {"name": user.name, "password": user.password, "admin": admin}
        ok(self.api("POST", "/users", self.setup.auth, json=body), 201)
        return user

    def create_team(self, *members: User) -> str:
        team = unique("team")
        ok(self.api("POST", "/teams", self.setup.auth, json={"name": team}), 201)
        for member in members:
            ok(self.api("PUT", f"/teams/{team}/members/{member.name}", self.setup.auth), 204)
        return team

    def grant(self, index: str, role: str, *, user: str | None = None, team: str | None = None):
        path = f"/indexes/{index}/grants/" + (f"users/{user}" if user else f"teams/{team}")
        ok(self.api("PUT", path, self.setup.auth, json={"role": role}))

    def token(self, user: User, index: str | None, role: str) -> str:
        body = {"index": index, "role": role, "name": "matrix"}
        response = ok(self.api("POST", "/tokens", user.auth, json=body), 201)
        secret: str = response.json()["token"]
        return secret

    def fresh_index(self) -> str:
        """A private index at version 1: ``target 1.0`` uploaded by the publisher.

        Project ownership is ``open``, so that uploaders may upload to ``target``: this matrix
        is about roles (``test_project_ownership.py`` is about owners).
        """
        index = unique("mx")
        body = {"name": index, "private": True, "project_ownership": "open"}
        ok(self.api("POST", "/indexes", self.setup.auth, json=body), 201)
        self.grant(index, "uploader", user=self.publisher.name)
        ok(upload(self.http, index, TARGET, self.publisher.auth))
        return index

    def snapshot(self, index: str) -> Snapshot | None:
        """What an admin sees of the index; None once it is deleted."""
        shown = self.api("GET", f"/indexes/{index}", self.setup.auth)
        if shown.status_code == 404:
            return None
        version = ok(shown).json()["version"]
        project = self.api("GET", f"/indexes/{index}/projects/target", self.setup.auth)
        files = ok(project).json()["files"] if project.status_code != 404 else []
        grants = ok(self.api("GET", f"/indexes/{index}/grants", self.setup.auth)).json()
        bystander = [g["role"] for g in grants if g["name"] == self.bystander.name]
        return Snapshot(
            version=version,
            files=frozenset(f["filename"] for f in files),
            yanked=frozenset(f["filename"] for f in files if f["yanked"]),
            bystander=bystander[0] if bystander else None,
        )


@dataclass(frozen=True)
class Snapshot:
    version: int
    files: frozenset[str]
    yanked: frozenset[str]
    bystander: str | None


BEFORE = Snapshot(1, frozenset({TARGET.wheel_filename}), frozenset(), None)


@dataclass(frozen=True)
class Operation:
    #: The least role that may do it.
    needs: str
    #: The status when allowed.
    status: int
    do: Callable[[Cast, str, Auth], httpx.Response]
    #: The admin's view of the index after it succeeded (None: the index is gone).
    after: Snapshot | None


OPERATIONS: dict[str, Operation] = {
    "read": Operation(
        "reader",
        200,
        lambda c, index, auth: c.http.get(f"/pypi/{index}/simple/target/", auth=auth),
        BEFORE,
    ),
    "upload": Operation(
        "uploader",
        200,
        lambda c, index, auth: upload(c.http, index, NEW, auth),
        Snapshot(2, BEFORE.files | {NEW.wheel_filename}, frozenset(), None),
    ),
    "yank-others": Operation(
        "maintainer",
        200,
        lambda c, index, auth: c.api(
            "POST", f"/indexes/{index}/projects/target/releases/1.0/yank", auth, json={"reason": ""}
        ),
        Snapshot(2, BEFORE.files, BEFORE.files, None),
    ),
    "delete-file": Operation(
        "maintainer",
        200,
        lambda c, index, auth: c.api(
            "DELETE", f"/indexes/{index}/files/{TARGET.wheel_filename}", auth
        ),
        Snapshot(2, frozenset(), frozenset(), None),
    ),
    "rollback": Operation(
        "maintainer",
        200,
        lambda c, index, auth: c.api(
            "POST", f"/indexes/{index}/rollback", auth, json={"version": 0}
        ),
        Snapshot(2, frozenset(), frozenset(), None),
    ),
    "grant": Operation(
        "owner",
        200,
        lambda c, index, auth: c.api(
            "PUT",
            f"/indexes/{index}/grants/users/{c.bystander.name}",
            auth,
            json={"role": "reader"},
        ),
        Snapshot(1, BEFORE.files, frozenset(), "reader"),
    ),
    "delete-index": Operation(
        "owner", 204, lambda c, index, auth: c.api("DELETE", f"/indexes/{index}", auth), None
    ),
}


def check_refusal(response: httpx.Response, status: int, op: str) -> None:
    assert response.status_code == status, (op, response.status_code, response.text)
    is_api = response.request.url.path.startswith(API)
    if is_api:
        detail = response.json()["detail"]
        assert isinstance(detail, str)
        assert detail
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic"), response.headers
    elif status == 404:
        # Hidden: the same answer as for an index that does not exist.
        assert "no index named" in response.text, response.text
    else:
        assert "may not" in response.text, response.text


def expected(role: str, op: str) -> int:
    operation = OPERATIONS[op]
    if role == "none":
        return 404
    return operation.status if RANK[role] >= RANK[operation.needs] else 403


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def cast(
    server: ServerProcess, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cast]:
    if backend != "sqlite":
        pytest.skip(
            "roles are decided by the one policy, whatever the database; the role queries run "
            "on PostgreSQL in test_private_and_tokens and test_token_limits: this matrix runs "
            "on SQLite"
        )
    ph = Packhouse(server, tmp_path_factory.mktemp("matrix"))
    try:
        setup = ph.create_user(admin=True)  # the one CLI call: the first admin
        c = Cast(ph.http, setup)
        c.admin = c.create_user(admin=True)
        c.publisher = c.create_user()
        c.bystander = c.create_user()
        c.direct = {role: c.create_user() for role in ROLES}
        for role in ROLES:
            member = c.create_user()
            c.members[role] = (member, c.create_team(member))
        # The role-less principals hold roles elsewhere, so "none" means none *here*.
        decoy = unique("decoy")
        ok(c.api("POST", "/indexes", setup.auth, json={"name": decoy, "private": True}), 201)
        c.grant(decoy, "owner", user=c.direct["none"].name)
        c.grant(decoy, "owner", team=c.members["none"][1])
        c.wildcard_token = c.token(c.direct["none"], None, "owner")
        yield c
    finally:
        ph.http.close()


def caller(c: Cast, index: str, role: str, way: str) -> tuple[str, str]:
    """Grant ``role`` on ``index`` the ``way`` asked and return the credentials that hold it."""
    if way == "team":
        member, team = c.members[role]
        if role != "none":
            c.grant(index, role, team=team)
        return member.auth
    user = c.direct[role]
    if role != "none":
        c.grant(index, role, user=user.name)
    if way == "user":
        return user.auth
    token = c.wildcard_token if role == "none" else c.token(user, index, role)
    return ("__token__", token)


def run_cell(c: Cast, index: str, op: str, auth: Auth, status: int) -> None:
    operation = OPERATIONS[op]
    response = operation.do(c, index, auth)
    if status < 300:
        assert response.status_code == status, (op, response.status_code, response.text)
        assert c.snapshot(index) == operation.after
    else:
        check_refusal(response, status, op)
        assert c.snapshot(index) == BEFORE


CELLS = [
    pytest.param(role, way, op, id=f"{role}-{way}-{op}")
    for role in ROLES
    for way in WAYS
    for op in OPERATIONS
]


# ---------------------------------------------------------------- the matrix


@pytest.mark.parametrize(("role", "way", "op"), CELLS)
def test_matrix(cast: Cast, role: str, way: str, op: str) -> None:
    index = cast.fresh_index()
    auth = caller(cast, index, role, way)
    run_cell(cast, index, op, auth, expected(role, op))


@pytest.mark.parametrize("op", list(OPERATIONS), ids=[f"anonymous-{op}" for op in OPERATIONS])
def test_anonymous_column(cast: Cast, op: str) -> None:
    index = cast.fresh_index()
    run_cell(cast, index, op, None, 401)


@pytest.mark.parametrize(
    ("way", "op"),
    [
        pytest.param(way, op, id=f"admin-{way}-{op}")
        for way in ("password", "token")
        for op in OPERATIONS
    ],
)
def test_admins_may_do_everything(cast: Cast, way: str, op: str) -> None:
    index = cast.fresh_index()  # the admin under test holds no grant on it
    auth = (
        cast.admin.auth
        if way == "password"
        else ("__token__", cast.token(cast.admin, index, "owner"))
    )
    run_cell(cast, index, op, auth, OPERATIONS[op].status)


# ---------------------------------------------------------------- yank-own


def test_uploader_yanks_own_projects_only(cast: Cast) -> None:
    c = cast
    index = c.fresh_index()  # target 1.0, uploaded by the publisher
    uploader = c.direct["uploader"]
    c.grant(index, "uploader", user=uploader.name)
    token = ("__token__", c.token(uploader, index, "uploader"))
    ok(upload(c.http, index, MINE, uploader.auth))

    def yank(project: str, version: str, auth: Auth, *, undo: bool = False) -> httpx.Response:
        verb = "unyank" if undo else "yank"
        path = f"/indexes/{index}/projects/{project}/releases/{version}/{verb}"
        return c.api("POST", path, auth, **({} if undo else {"json": {"reason": "mine"}}))

    # Their own project: yank and unyank, with a password and with a token.
    assert ok(yank("mine", "1.0", uploader.auth)).json()["version"] == 3
    assert ok(yank("mine", "1.0", uploader.auth, undo=True)).json()["version"] == 4
    assert ok(yank("mine", "1.0", token)).json()["version"] == 5
    assert ok(yank("mine", "1.0", token, undo=True)).json()["version"] == 6

    # Someone else's project: refused either way, yank and unyank alike.
    for auth in (uploader.auth, token):
        check_refusal(yank("target", "1.0", auth), 403, "yank")
    ok(yank("target", "1.0", c.setup.auth))
    for auth in (uploader.auth, token):
        check_refusal(yank("target", "1.0", auth, undo=True), 403, "unyank")
    ok(yank("target", "1.0", c.setup.auth, undo=True))

    # The right is per file: a later release of "mine" by someone else is not theirs to yank.
    ok(upload(c.http, index, Dist("mine", "2.0"), c.publisher.auth))
    check_refusal(yank("mine", "2.0", uploader.auth), 403, "yank")

    # Uploading "target" to ANOTHER index gives no right over this index's "target".
    other = c.fresh_index()
    c.grant(other, "uploader", user=uploader.name)
    ok(upload(c.http, other, NEW, uploader.auth))
    ok(yank("mine", "1.0", uploader.auth))  # (still fine here)
    check_refusal(yank("target", "1.0", uploader.auth), 403, "yank")
    other_yank = f"/indexes/{other}/projects/target/releases/2.0/yank"
    ok(c.api("POST", other_yank, uploader.auth, json={"reason": ""}))

    projects = {
        f["filename"]: f["yanked"]
        for f in c.api("GET", f"/indexes/{index}/projects/target", c.setup.auth).json()["files"]
    }
    assert projects == {TARGET.wheel_filename: False}


# ---------------------------------------------------------------- twine


def test_twine_with_another_indexs_token_is_refused(cast: Cast, ph: Packhouse) -> None:
    c = cast
    index_a, index_b = unique("twa"), unique("twb")
    for name in (index_a, index_b):
        ok(c.api("POST", "/indexes", c.setup.auth, json={"name": name, "private": False}), 201)
    user = c.create_user()
    c.grant(index_a, "uploader", user=user.name)
    c.grant(index_b, "uploader", user=user.name)  # the user may upload to B, the token may not
    token_a = c.token(user, index_a, "uploader")
    wheel = ph.build(TARGET)

    result = ph.twine_upload(index_b, [wheel], username="__token__", password=token_a, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "403" in output, output
    assert f"may not upload on index '{index_b}'" in output, output
    assert ph.simple_json(index_b, "target").status_code == 404

    ph.twine_upload(index_a, [wheel], username="__token__", password=token_a)
    assert ph.simple_json(index_a, "target").status_code == 200
