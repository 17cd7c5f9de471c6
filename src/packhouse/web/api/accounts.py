"""``/api/v1/users``, ``/api/v1/me``, ``/api/v1/teams``, ``/api/v1/tokens``, ``/api/v1/audit``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from packhouse.domain.roles import Role
from packhouse.web.api.deps import PagingDep, RuntimeDep, UserDep
from packhouse.web.api.schemas import (
    MAX_ID,
    AuditOut,
    NewTokenOut,
    PageOut,
    PasswordIn,
    TeamIn,
    TeamOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
)

router = APIRouter()


@router.get("/me", tags=["users"], operation_id="who_am_i")
async def me(runtime: RuntimeDep, principal: UserDep) -> UserOut:
    return UserOut.of(await run_in_threadpool(runtime.accounts.user, principal, principal.name))


@router.get("/users", tags=["users"], operation_id="list_users")
async def list_users(
    runtime: RuntimeDep, principal: UserDep, paging: PagingDep
) -> PageOut[UserOut]:
    """Every user (admins)."""
    users = await run_in_threadpool(runtime.accounts.users, principal)
    window = users[paging.offset : paging.offset + paging.limit]
    return PageOut(
        items=[UserOut.of(u) for u in window],
        total=len(users),
        offset=paging.offset,
        limit=paging.limit,
    )


@router.post("/users", status_code=201, tags=["users"], operation_id="create_user")
async def create_user(body: UserIn, runtime: RuntimeDep, principal: UserDep) -> UserOut:
    """Create a user (admins)."""
    user = await run_in_threadpool(
        runtime.accounts.create_user, principal, body.name, password=body.password, admin=body.admin
    )
    return UserOut.of(user)


@router.get("/users/{user}", tags=["users"], operation_id="show_user")
async def show_user(user: str, runtime: RuntimeDep, principal: UserDep) -> UserOut:
    return UserOut.of(await run_in_threadpool(runtime.accounts.user, principal, user))


@router.delete("/users/{user}", status_code=204, tags=["users"], operation_id="delete_user")
async def delete_user(user: str, runtime: RuntimeDep, principal: UserDep) -> Response:
    await run_in_threadpool(runtime.accounts.delete_user, principal, user)
    return Response(status_code=204)


@router.put("/users/{user}/password", status_code=204, tags=["users"], operation_id="set_password")
async def set_password(
    user: str, body: PasswordIn, runtime: RuntimeDep, principal: UserDep
) -> Response:
    """Change one's own password (with ``current_password``; not with a token), or, as an admin
    logged in with a password, reset anyone's."""
    await run_in_threadpool(
        lambda: runtime.accounts.set_password(
            principal, user, body.password, current=body.current_password
        )
    )
    return Response(status_code=204)


@router.get("/teams", tags=["teams"], operation_id="list_teams")
async def list_teams(runtime: RuntimeDep, principal: UserDep) -> list[TeamOut]:
    """Every team for admins; one's own teams otherwise."""
    return [TeamOut.of(t) for t in await run_in_threadpool(runtime.accounts.teams, principal)]


@router.post("/teams", status_code=201, tags=["teams"], operation_id="create_team")
async def create_team(body: TeamIn, runtime: RuntimeDep, principal: UserDep) -> TeamOut:
    return TeamOut.of(await run_in_threadpool(runtime.accounts.create_team, principal, body.name))


@router.get("/teams/{team}", tags=["teams"], operation_id="show_team")
async def show_team(team: str, runtime: RuntimeDep, principal: UserDep) -> TeamOut:
    return TeamOut.of(await run_in_threadpool(runtime.accounts.team, principal, team))


@router.delete("/teams/{team}", status_code=204, tags=["teams"], operation_id="delete_team")
async def delete_team(team: str, runtime: RuntimeDep, principal: UserDep) -> Response:
    await run_in_threadpool(runtime.accounts.delete_team, principal, team)
    return Response(status_code=204)


@router.put(
    "/teams/{team}/members/{user}", status_code=204, tags=["teams"], operation_id="add_member"
)
async def add_member(team: str, user: str, runtime: RuntimeDep, principal: UserDep) -> Response:
    await run_in_threadpool(runtime.accounts.add_member, principal, team, user)
    return Response(status_code=204)


@router.delete(
    "/teams/{team}/members/{user}", status_code=204, tags=["teams"], operation_id="remove_member"
)
async def remove_member(team: str, user: str, runtime: RuntimeDep, principal: UserDep) -> Response:
    await run_in_threadpool(runtime.accounts.remove_member, principal, team, user)
    return Response(status_code=204)


@router.get("/tokens", tags=["tokens"], operation_id="list_tokens")
async def list_tokens(runtime: RuntimeDep, principal: UserDep) -> list[TokenOut]:
    """The caller's own tokens (never their secrets)."""
    tokens = await run_in_threadpool(runtime.accounts.tokens, principal, user=principal.name)
    return [TokenOut.of(t) for t in tokens]


@router.post("/tokens", status_code=201, tags=["tokens"], operation_id="create_token")
async def create_token(body: TokenIn, runtime: RuntimeDep, principal: UserDep) -> NewTokenOut:
    """Create a token for oneself; the secret is in this response only."""
    issued = await run_in_threadpool(
        lambda: runtime.accounts.create_token(
            principal,
            user=principal.name,
            index=body.index,
            role=Role.parse(body.role),
            name=body.name,
            expires_in=timedelta(days=body.expires_days) if body.expires_days else None,
        )
    )
    return NewTokenOut(**TokenOut.of(issued.info).model_dump(), token=issued.secret)


@router.delete("/tokens/{token_id}", status_code=204, tags=["tokens"], operation_id="revoke_token")
async def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)], runtime: RuntimeDep, principal: UserDep
) -> Response:
    await run_in_threadpool(runtime.accounts.revoke_token, principal, token_id)
    return Response(status_code=204)


@router.get("/audit", tags=["audit"], operation_id="audit_log")
async def audit_log(
    runtime: RuntimeDep, principal: UserDep, paging: PagingDep
) -> PageOut[AuditOut]:
    """The whole audit log, newest first (admins)."""
    page = await run_in_threadpool(
        runtime.indexes.audit, principal, None, offset=paging.offset, limit=paging.limit
    )
    return PageOut(
        items=[AuditOut.of(e) for e in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )
