"""The permission policy over HTTP: every management-API operation x credential x role.

Generated from the policy's own table (``domain/policy.RULES``): every operation of the OpenAPI
document must be named by a row, and must have a scenario here that sets up its target and
calls it. Each scenario is tried by every caller: {password, unscoped token (sent as Bearer),
token scoped to the target index, token scoped to another index} x {reader, uploader,
maintainer, owner, admin}, and anonymously. The expected answer is the policy's decision for a
principal that mirrors the caller (same roles, admin flag and token scope): the success status,
401 for anonymous callers, 404 when the target is none of the caller's business, 403 otherwise.
The hand-written stories of ``test_token_limits.py`` pin the issue's cases independently.

The decision is pure and the same on every database, so the matrix runs on SQLite only.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from packhouse.domain.policy import RULES, Target, decide
from packhouse.domain.roles import Action, Principal, Role, TokenScope
from tests.builders import Dist, make_wheel
from tests.driver import Packhouse, ServerProcess, User, unique

API = "/api/v1"
ROLES = ("reader", "uploader", "maintainer", "owner", "admin")
CREDENTIALS = ("password", "unscoped-token", "scoped-token", "other-index-token")
#: The mirror principals' ids: the target index, the other index, the caller and someone else.
T, ELSEWHERE, SELF, OTHER = 1, 2, 1, 2
TARGET = Dist("target", "1.0")
_versions = iter(range(1, 1_000_000))

Headers = dict[str, str]


def basic(name: str, secret: str) -> Headers:
    raw = base64.b64encode(f"{name}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def ok(response: httpx.Response, *statuses: int) -> httpx.Response:
    assert response.status_code in (statuses or (200,)), (response.request.url, response.text)
    return response


@dataclass
class Caller:
    label: str
    headers: Headers
    #: The mirror of the caller for the policy; None when anonymous.
    principal: Principal | None
    #: The user behind the credential, and their password.
    user: User | None
    role: str = ""
    credential: str = ""


@dataclass
class Cast:
    http: httpx.Client
    root: User
    target: str = ""
    other: str = ""
    publisher: User = field(init=False)
    bystander: User = field(init=False)
    users: dict[str, User] = field(default_factory=dict)
    #: A team of every role user (the admin is not in it), and one of the bystander's.
    crew: str = ""
    strangers: str = ""
    callers: list[Caller] = field(default_factory=list)
    requests: int = 0

    def api(self, method: str, path: str, headers: Headers | None, **kwargs: Any) -> httpx.Response:
        self.requests += 1
        return self.http.request(method, API + path, headers=headers or {}, **kwargs)

    def as_root(self, method: str, path: str, *statuses: int, **kwargs: Any) -> httpx.Response:
        return ok(self.api(method, path, basic(*self.root.auth), **kwargs), *statuses)

    def new_user(self, *, admin: bool = False) -> User:
        user = User(unique("mu"), unique("pw-matrix"))
        body = {"name": user.name, "password": user.password, "admin": admin}
        self.as_root("POST", "/users", 201, json=body)
        return user

    def new_team(self, *members: User) -> str:
        team = unique("mt")
        self.as_root("POST", "/teams", 201, json={"name": team})
        for member in members:
            self.as_root("PUT", f"/teams/{team}/members/{member.name}", 204)
        return team

    def new_index(self) -> str:
        index = unique("mx")
        self.as_root("POST", "/indexes", 201, json={"name": index, "private": True})
        return index

    def grant(self, index: str, role: str, user: str) -> None:
        self.as_root("PUT", f"/indexes/{index}/grants/users/{user}", json={"role": role})

    def token(self, user: User, index: str | None, role: str) -> str:
        body = {"index": index, "role": role, "name": "matrix"}
        made = ok(self.api("POST", "/tokens", basic(*user.auth), json=body), 201)
        secret: str = made.json()["token"]
        return secret

    def upload(self, index: str, dist: Dist, user: User) -> None:
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
        self.requests += 1
        ok(self.http.post(f"/pypi/{index}/legacy/", data=fields, files=files, auth=user.auth))


def mirror(cast: Cast, role: str, credential: str) -> Principal:
    """The policy's view of a caller: roles on the target and the other index, and its token."""
    admin = role == "admin"
    held = Role.OWNER if admin else Role.parse(role)
    scope = {
        "password": None,
        "unscoped-token": TokenScope(None, Role.OWNER),
        "scoped-token": TokenScope(T, held),
        "other-index-token": TokenScope(ELSEWHERE, held),
    }[credential]
    roles = {} if admin else {T: held, ELSEWHERE: held}
    return Principal(SELF, cast.users[role].name, is_admin=admin, roles=roles, token=scope)


def make_callers(cast: Cast) -> list[Caller]:
    callers = [Caller("anonymous", {}, None, None)]
    for role in ROLES:
        user = cast.users[role]
        token_role = "owner" if role == "admin" else role
        headers = {
            "password": basic(*user.auth),
            "unscoped-token": {
                "Authorization": "Bearer " + cast.token(user, None, "owner"),
            },
            "scoped-token": basic("__token__", cast.token(user, cast.target, token_role)),
            "other-index-token": basic("__token__", cast.token(user, cast.other, token_role)),
        }
        for credential in CREDENTIALS:
            principal = mirror(cast, role, credential)
            label = f"{role}/{credential}"
            callers.append(Caller(label, headers[credential], principal, user, role, credential))
    return callers


# ---------------------------------------------------------------- scenarios

Prepared = dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    """How to call one operation on a target, and which row of the table decides it."""

    operation: str
    action: Action
    call: Callable[[Cast, Caller, Prepared], httpx.Response]
    #: The success status.
    status: int = 200
    #: The policy's target, from the cast and the caller.
    target: Callable[[Cast, Caller], Target] = lambda _c, _k: Target(index_id=T)
    #: Per-cell setup (as root): what the call needs, and maybe other headers for the caller.
    prepare: Callable[[Cast, Caller], Prepared] = lambda _c, _k: {}
    #: Run after every cell, allowed or not, to put the shared state back.
    restore: Callable[[Cast, Prepared], None] = lambda _c, _p: None
    #: Whether a target that is none of the caller's business answers 404 (else 403).
    hides: bool = True
    #: A list that filters instead of refusing: always 200, the target listed iff allowed.
    listed: Callable[[Cast, httpx.Response], bool] | None = None
    #: The call names the target index in its body: a caller who may not read it is told
    #: nothing more than for a missing index (404), whatever the action's row says.
    names_index: bool = False


def idx(path: str, method: str = "GET", **kwargs: Any) -> Callable[..., Any]:
    """A call on the target index: ``path`` after ``/indexes/{target}``."""

    def call(c: Cast, k: Caller, p: Prepared) -> httpx.Response:
        return c.api(method, f"/indexes/{c.target}{path}", p.get("headers", k.headers), **kwargs)

    return call


def api(method: str, path: Callable[[Cast, Caller, Prepared], str], **kwargs: Any) -> Any:
    def call(c: Cast, k: Caller, p: Prepared) -> httpx.Response:
        return c.api(method, path(c, k, p), k.headers, **kwargs)

    return call


def own_name(_c: Cast, k: Caller) -> str:
    return k.user.name if k.user else "nobody"


def self_target(_c: Cast, _k: Caller) -> Target:
    return Target(user_id=SELF)


def crew_target(c: Cast, _k: Caller) -> Target:
    return Target(members=frozenset(c.users[r].name for r in ROLES if r != "admin"))


def strangers_target(c: Cast, _k: Caller) -> Target:
    return Target(members=frozenset({c.bystander.name}))


def server_target(_c: Cast, _k: Caller) -> Target:
    return Target()


def release(c: Cast) -> str:
    return f"/indexes/{c.target}/projects/target/releases/1.0"


def yank_target(c: Cast, _p: Prepared) -> None:
    c.as_root("POST", release(c) + "/yank", json={"reason": "matrix"})


def unyank_target(c: Cast, _p: Prepared) -> None:
    c.as_root("POST", release(c) + "/unyank")


def yanked(c: Cast, _k: Caller) -> Prepared:
    yank_target(c, {})
    return {}


def fresh_file(c: Cast, _k: Caller) -> Prepared:
    dist = Dist("target", f"2.{next(_versions)}")
    c.upload(c.target, dist, c.publisher)
    return {"filename": dist.wheel_filename}


def current_version(c: Cast, _k: Caller) -> Prepared:
    return {"version": c.as_root("GET", f"/indexes/{c.target}").json()["version"]}


def own_index(c: Cast, k: Caller) -> Prepared:
    """A fresh index on which the caller holds its role as on the target (for delete_index)."""
    index = c.new_index()
    headers = k.headers
    if k.user is not None and k.role != "admin":
        c.grant(index, k.role, k.user.name)
    if k.credential == "scoped-token" and k.user is not None:
        role = "owner" if k.role == "admin" else k.role
        headers = basic("__token__", c.token(k.user, index, role))
    return {"index": index, "headers": headers}


def retired_name(c: Cast, _k: Caller) -> Prepared:
    index = c.new_index()
    c.as_root("DELETE", f"/indexes/{index}", 204)
    return {"name": index}


def own_token(c: Cast, k: Caller) -> Prepared:
    if k.user is None:  # anonymous: someone's token
        return others_token(c, k)
    return {"id": _token_id(c, k.user, c.target, "reader")}


def others_token(c: Cast, _k: Caller) -> Prepared:
    return {"id": _token_id(c, c.bystander, None, "reader")}


def _token_id(c: Cast, user: User, index: str | None, role: str) -> int:
    body = {"index": index, "role": role, "name": "throwaway"}
    made = ok(c.api("POST", "/tokens", basic(*user.auth), json=body), 201)
    token_id: int = made.json()["id"]
    return token_id


def throwaway_user(c: Cast, _k: Caller) -> Prepared:
    return {"name": c.new_user().name}


def throwaway_team(c: Cast, _k: Caller) -> Prepared:
    return {"team": c.new_team()}


def team_with_bystander(c: Cast, _k: Caller) -> Prepared:
    return {"team": c.new_team(c.bystander)}


def grant_bystander(c: Cast, _k: Caller) -> Prepared:
    c.grant(c.target, "reader", c.bystander.name)
    return {}


def grant_strangers(c: Cast, _k: Caller) -> Prepared:
    c.as_root("PUT", f"/indexes/{c.target}/grants/teams/{c.strangers}", json={"role": "reader"})
    return {}


def revoke_bystander(c: Cast, _p: Prepared) -> None:
    c.as_root("DELETE", f"/indexes/{c.target}/grants/users/{c.bystander.name}", 204, 404)


def revoke_strangers(c: Cast, _p: Prepared) -> None:
    c.as_root("DELETE", f"/indexes/{c.target}/grants/teams/{c.strangers}", 204, 404)


def own_password(c: Cast, k: Caller, _p: Prepared) -> httpx.Response:
    user = k.user or c.bystander
    body = {"password": user.password, "current_password": user.password}
    return c.api("PUT", f"/users/{user.name}/password", k.headers, json=body)


def fresh_release(c: Cast, _k: Caller) -> Prepared:
    version = f"3.{next(_versions)}"
    c.upload(c.target, Dist("target", version), c.publisher)
    return {"version": version}


def fresh_project(c: Cast, _k: Caller) -> Prepared:
    project = unique("gone")
    c.upload(c.target, Dist(project, "1.0"), c.publisher)
    return {"project": project}


def owner_path(c: Cast, kind: str) -> str:
    holder = c.bystander.name if kind == "users" else c.strangers
    return f"/indexes/{c.target}/projects/owned/owners/{kind}/{holder}"


def add_owner(kind: str) -> Callable[[Cast, Caller], Prepared]:
    def prepare(c: Cast, _k: Caller) -> Prepared:
        c.as_root("PUT", owner_path(c, kind))
        return {}

    return prepare


def remove_owner(kind: str) -> Callable[[Cast, Prepared], None]:
    def restore(c: Cast, _p: Prepared) -> None:
        c.as_root("DELETE", owner_path(c, kind), 204, 404)

    return restore


def owner_call(method: str, kind: str) -> Callable[[Cast, Caller, Prepared], httpx.Response]:
    def call(c: Cast, k: Caller, _p: Prepared) -> httpx.Response:
        return c.api(method, owner_path(c, kind), k.headers)

    return call


def target_in_list(c: Cast, response: httpx.Response) -> bool:
    return c.target in {i["name"] for i in response.json()["items"]}


SCENARIOS: dict[str, Scenario] = {
    # on an index
    "list_indexes": Scenario(
        "list_indexes",
        Action.READ,
        api("GET", lambda _c, _k, _p: "/indexes?limit=1000"),
        listed=target_in_list,
    ),
    "show_index": Scenario("show_index", Action.READ, idx("")),
    "list_index_versions": Scenario("list_index_versions", Action.READ, idx("/versions")),
    "diff_index_versions": Scenario(
        "diff_index_versions", Action.READ, idx("/diff", params={"from": 0, "to": 1})
    ),
    "list_projects": Scenario("list_projects", Action.READ, idx("/projects")),
    "show_project": Scenario("show_project", Action.READ, idx("/projects/target")),
    "yank_release": Scenario(
        "yank_release",
        Action.YANK,  # the callers never uploaded to "target": yank-own does not apply
        idx("/projects/target/releases/1.0/yank", "POST", json={"reason": "matrix"}),
        restore=unyank_target,
    ),
    "unyank_release": Scenario(
        "unyank_release",
        Action.YANK,
        idx("/projects/target/releases/1.0/unyank", "POST"),
        prepare=yanked,
        restore=unyank_target,
    ),
    "delete_file": Scenario(
        "delete_file",
        Action.DELETE_FILE,
        lambda c, k, p: c.api("DELETE", f"/indexes/{c.target}/files/{p['filename']}", k.headers),
        prepare=fresh_file,
    ),
    "rollback_index": Scenario(
        "rollback_index",
        Action.ROLLBACK,
        lambda c, k, p: c.api(
            "POST", f"/indexes/{c.target}/rollback", k.headers, json={"version": p["version"]}
        ),
        prepare=current_version,
    ),
    "update_index": Scenario(
        "update_index", Action.MANAGE_SETTINGS, idx("", "PATCH", json={"private": True})
    ),
    "index_audit_log": Scenario("index_audit_log", Action.READ_AUDIT, idx("/audit")),
    "list_grants": Scenario("list_grants", Action.LIST_GRANTS, idx("/grants")),
    "grant_user": Scenario(
        "grant_user",
        Action.GRANT,
        lambda c, k, _p: c.api(
            "PUT",
            f"/indexes/{c.target}/grants/users/{c.bystander.name}",
            k.headers,
            json={"role": "reader"},
        ),
        restore=revoke_bystander,
    ),
    "revoke_user": Scenario(
        "revoke_user",
        Action.GRANT,
        lambda c, k, _p: c.api(
            "DELETE", f"/indexes/{c.target}/grants/users/{c.bystander.name}", k.headers
        ),
        status=204,
        prepare=grant_bystander,
        restore=revoke_bystander,
    ),
    "grant_team": Scenario(
        "grant_team",
        Action.GRANT,
        lambda c, k, _p: c.api(
            "PUT",
            f"/indexes/{c.target}/grants/teams/{c.strangers}",
            k.headers,
            json={"role": "reader"},
        ),
        restore=revoke_strangers,
    ),
    "revoke_team": Scenario(
        "revoke_team",
        Action.GRANT,
        lambda c, k, _p: c.api(
            "DELETE", f"/indexes/{c.target}/grants/teams/{c.strangers}", k.headers
        ),
        status=204,
        prepare=grant_strangers,
        restore=revoke_strangers,
    ),
    "list_project_owners": Scenario(
        "list_project_owners", Action.LIST_PROJECT_OWNERS, idx("/projects/target/owners")
    ),
    **{
        f"{verb}_project_owner_{kind[:-1]}": Scenario(
            f"{verb}_project_owner_{kind[:-1]}",
            Action.MANAGE_PROJECT_OWNERS,
            owner_call("PUT" if verb == "add" else "DELETE", kind),
            status=200 if verb == "add" else 204,
            prepare=add_owner(kind) if verb == "remove" else lambda _c, _k: {},
            restore=remove_owner(kind),
        )
        for verb in ("add", "remove")
        for kind in ("users", "teams")
    },
    "delete_release": Scenario(
        "delete_release",
        Action.DELETE_RELEASE,
        lambda c, k, p: c.api(
            "DELETE", f"/indexes/{c.target}/projects/target/releases/{p['version']}", k.headers
        ),
        prepare=fresh_release,
    ),
    "delete_project": Scenario(
        "delete_project",
        Action.DELETE_PROJECT,
        lambda c, k, p: c.api("DELETE", f"/indexes/{c.target}/projects/{p['project']}", k.headers),
        prepare=fresh_project,
    ),
    "delete_index": Scenario(
        "delete_index",
        Action.DELETE_INDEX,
        lambda c, _k, p: c.api("DELETE", f"/indexes/{p['index']}", p["headers"]),
        status=204,
        prepare=own_index,
    ),
    # on the server
    "create_index": Scenario(
        "create_index",
        Action.CREATE_INDEX,
        lambda c, k, _p: c.api(
            "POST", "/indexes", k.headers, json={"name": unique("mc"), "private": True}
        ),
        status=201,
        target=server_target,
    ),
    "list_retired_indexes": Scenario(
        "list_retired_indexes",
        Action.LIST_RETIRED_INDEXES,
        api("GET", lambda _c, _k, _p: "/retired-indexes"),
        target=server_target,
    ),
    "purge_index": Scenario(
        "purge_index",
        Action.PURGE_INDEX,
        api("POST", lambda _c, _k, p: f"/retired-indexes/{p['name']}/purge"),
        status=204,
        target=server_target,
        prepare=retired_name,
    ),
    "audit_log": Scenario(
        "audit_log", Action.READ_ALL_AUDIT, api("GET", lambda *_: "/audit"), target=server_target
    ),
    # users
    "who_am_i": Scenario(
        "who_am_i", Action.SHOW_USER, api("GET", lambda *_: "/me"), target=self_target
    ),
    "show_user": Scenario(
        "show_user",
        Action.SHOW_USER,
        api("GET", lambda c, k, _p: f"/users/{own_name(c, k)}"),
        target=self_target,
    ),
    "show_user:other": Scenario(
        "show_user",
        Action.SHOW_USER,
        api("GET", lambda c, _k, _p: f"/users/{c.bystander.name}"),
        target=lambda _c, _k: Target(user_id=OTHER),
    ),
    "list_users": Scenario(
        "list_users", Action.LIST_USERS, api("GET", lambda *_: "/users"), target=server_target
    ),
    "create_user": Scenario(
        "create_user",
        Action.CREATE_USER,
        lambda c, k, _p: c.api(
            "POST",
            "/users",
            k.headers,
            json={"name": unique("mn"), "password": "pw-" + unique("x"), "admin": False},
        ),
        status=201,
        target=server_target,
    ),
    "delete_user": Scenario(
        "delete_user",
        Action.DELETE_USER,
        api("DELETE", lambda _c, _k, p: f"/users/{p['name']}"),
        status=204,
        target=server_target,
        prepare=throwaway_user,
    ),
    "set_password": Scenario(
        "set_password",
        Action.CHANGE_OWN_PASSWORD,
        own_password,
        status=204,
        target=self_target,
    ),
    "set_password:other": Scenario(
        "set_password",
        Action.RESET_PASSWORD,
        lambda c, k, _p: c.api(
            "PUT",
            f"/users/{c.bystander.name}/password",
            k.headers,
            json={"password": c.bystander.password},
        ),
        status=204,
        target=server_target,
    ),
    # teams
    "list_teams": Scenario(
        "list_teams",
        Action.SHOW_TEAM,
        api("GET", lambda *_: "/teams"),
        target=lambda c, k: Target(members=frozenset({own_name(c, k)})),
    ),
    "show_team": Scenario(
        "show_team",
        Action.SHOW_TEAM,
        api("GET", lambda c, _k, _p: f"/teams/{c.crew}"),
        target=crew_target,
    ),
    "show_team:other": Scenario(
        "show_team",
        Action.SHOW_TEAM,
        api("GET", lambda c, _k, _p: f"/teams/{c.strangers}"),
        target=strangers_target,
    ),
    "create_team": Scenario(
        "create_team",
        Action.CREATE_TEAM,
        lambda c, k, _p: c.api("POST", "/teams", k.headers, json={"name": unique("mn")}),
        status=201,
        target=server_target,
    ),
    "delete_team": Scenario(
        "delete_team",
        Action.DELETE_TEAM,
        api("DELETE", lambda _c, _k, p: f"/teams/{p['team']}"),
        status=204,
        target=server_target,
        prepare=throwaway_team,
    ),
    "add_member": Scenario(
        "add_member",
        Action.MANAGE_TEAM_MEMBERS,
        api("PUT", lambda c, _k, p: f"/teams/{p['team']}/members/{c.bystander.name}"),
        status=204,
        target=server_target,
        prepare=throwaway_team,
    ),
    "remove_member": Scenario(
        "remove_member",
        Action.MANAGE_TEAM_MEMBERS,
        api("DELETE", lambda c, _k, p: f"/teams/{p['team']}/members/{c.bystander.name}"),
        status=204,
        target=server_target,
        prepare=team_with_bystander,
    ),
    # tokens
    "create_token": Scenario(
        "create_token",
        Action.CREATE_TOKEN,
        lambda c, k, _p: c.api(
            "POST", "/tokens", k.headers, json={"index": c.target, "role": "reader"}
        ),
        status=201,
        target=lambda _c, _k: Target(user_id=SELF, token=TokenScope(T, Role.READER)),
        names_index=True,
    ),
    "create_token:wider": Scenario(
        "create_token",
        Action.CREATE_TOKEN,
        lambda c, k, _p: c.api("POST", "/tokens", k.headers, json={"index": None, "role": "owner"}),
        status=201,
        target=lambda _c, _k: Target(user_id=SELF, token=TokenScope(None, Role.OWNER)),
    ),
    "list_tokens": Scenario(
        "list_tokens", Action.LIST_TOKENS, api("GET", lambda *_: "/tokens"), target=self_target
    ),
    "revoke_token": Scenario(
        "revoke_token",
        Action.REVOKE_TOKEN,
        api("DELETE", lambda _c, _k, p: f"/tokens/{p['id']}"),
        status=204,
        target=lambda _c, _k: Target(user_id=SELF, token=TokenScope(T, Role.READER)),
        prepare=own_token,
    ),
    "revoke_token:other": Scenario(
        "revoke_token",
        Action.REVOKE_TOKEN,
        api("DELETE", lambda _c, _k, p: f"/tokens/{p['id']}"),
        status=204,
        target=lambda _c, _k: Target(user_id=OTHER, token=TokenScope(None, Role.READER)),
        prepare=others_token,
    ),
}


def expected(scenario: Scenario, cast: Cast, caller: Caller) -> tuple[int, bool]:
    """The status the policy predicts for a caller, and whether it allows the action."""
    decision = decide(caller.principal, scenario.action, scenario.target(cast, caller))
    if scenario.listed is not None:
        return 200, decision.allowed
    if (
        scenario.names_index
        and not decide(caller.principal, Action.READ, Target(index_id=T)).allowed
    ):
        return (401 if caller.principal is None else 404), False
    if decision.allowed:
        return scenario.status, True
    if caller.principal is None:
        return 401, False
    return (404 if decision.hidden and scenario.hides else 403), False


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def cast(
    server: ServerProcess, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cast]:
    if backend != "sqlite":
        pytest.skip("the policy is pure and the same on every database: the matrix runs on SQLite")
    ph = Packhouse(server, tmp_path_factory.mktemp("policy"))
    try:
        c = Cast(ph.http, ph.create_user(admin=True))  # the one CLI call: the first admin
        c.target, c.other = c.new_index(), c.new_index()
        c.publisher, c.bystander = c.new_user(), c.new_user()
        c.grant(c.target, "uploader", c.publisher.name)
        c.upload(c.target, TARGET, c.publisher)
        for role in ROLES:
            c.users[role] = c.new_user(admin=role == "admin")
            if role != "admin":
                c.grant(c.target, role, c.users[role].name)
                c.grant(c.other, role, c.users[role].name)
        c.crew = c.new_team(*(c.users[r] for r in ROLES if r != "admin"))
        c.strangers = c.new_team(c.bystander)
        c.callers = make_callers(c)
        yield c
        print(f"\npolicy matrix: {c.requests} HTTP requests")
    finally:
        ph.http.close()


# ---------------------------------------------------------------- the table covers the API


def test_every_api_operation_has_a_row_and_a_scenario(cast: Cast) -> None:
    document = ok(cast.http.get(API + "/openapi.json")).json()
    operations = {
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
    }
    in_table = {op for rule in RULES.values() for op in rule.operations}
    assert operations - in_table == set(), "API operations no row of domain/policy.RULES names"
    assert in_table - operations == set(), "rows name operations the API does not have"
    covered = {scenario.operation for scenario in SCENARIOS.values()}
    assert operations - covered == set(), "API operations without a scenario in this matrix"
    for name, scenario in SCENARIOS.items():
        assert scenario.operation in RULES[scenario.action].operations, name


def test_every_action_has_a_row() -> None:
    assert set(Action) == set(RULES)


# ---------------------------------------------------------------- the matrix


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_matrix(cast: Cast, name: str) -> None:
    scenario = SCENARIOS[name]
    wrong: list[str] = []
    started = time.monotonic()
    for caller in cast.callers:
        prepared = scenario.prepare(cast, caller)
        try:
            response = scenario.call(cast, caller, prepared)
        finally:
            scenario.restore(cast, prepared)
        status, allowed = expected(scenario, cast, caller)
        outcome = response.status_code
        if outcome != status:
            wrong.append(f"{caller.label}: {outcome} (expected {status}) {response.text[:200]}")
        elif scenario.listed is not None and scenario.listed(cast, response) != allowed:
            wrong.append(f"{caller.label}: target listed={not allowed}, expected {allowed}")
        elif outcome >= 400:
            detail = response.json()["detail"]
            assert isinstance(detail, str), (caller.label, response.text)
            assert detail, caller.label
    assert not wrong, f"{name} ({time.monotonic() - started:.1f} s):\n" + "\n".join(wrong)
