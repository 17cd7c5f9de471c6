"""``/api/v1/indexes``: indexes, their versions, grants and audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from packhouse.domain.model import IndexKind, ProjectOwnership
from packhouse.domain.roles import Role
from packhouse.web.api.deps import PagingDep, PrincipalDep, RuntimeDep, UserDep
from packhouse.web.api.schemas import (
    MAX_ID,
    AuditOut,
    ChangeOut,
    GrantIn,
    GrantOut,
    IndexIn,
    IndexOut,
    IndexUpdate,
    IndexVersionOut,
    PageOut,
    RetiredIndexOut,
    RollbackIn,
    VersionDiffOut,
)

router = APIRouter(prefix="/indexes", tags=["indexes"])
retired = APIRouter(prefix="/retired-indexes", tags=["indexes"])


@router.get("", operation_id="list_indexes")
async def list_indexes(
    runtime: RuntimeDep, principal: PrincipalDep, paging: PagingDep
) -> PageOut[IndexOut]:
    """The indexes the caller may read."""
    found = await run_in_threadpool(runtime.indexes.visible, principal)
    window = found[paging.offset : paging.offset + paging.limit]
    return PageOut(
        items=[IndexOut.of(i) for i in window],
        total=len(found),
        offset=paging.offset,
        limit=paging.limit,
    )


@router.post("", status_code=201, operation_id="create_index")
async def create_index(body: IndexIn, runtime: RuntimeDep, principal: UserDep) -> IndexOut:
    """Create an index; the caller becomes its owner (``PACKHOUSE_INDEX_CREATORS`` says who may).

    A name that is taken, or was an index's that was deleted, answers 409."""
    index = await run_in_threadpool(
        runtime.indexes.create,
        principal,
        body.name,
        kind=IndexKind(body.kind),
        private=body.private,
        project_ownership=ProjectOwnership(body.project_ownership),
    )
    return IndexOut.of(index)


@router.get("/{index}", operation_id="show_index")
async def show_index(index: str, runtime: RuntimeDep, principal: PrincipalDep) -> IndexOut:
    return IndexOut.of(await run_in_threadpool(runtime.indexes.show, principal, index))


@router.patch("/{index}", operation_id="update_index")
async def update_index(
    index: str, body: IndexUpdate, runtime: RuntimeDep, principal: UserDep
) -> IndexOut:
    """Change settings (maintainers)."""
    ownership = body.project_ownership
    updated = await run_in_threadpool(
        runtime.indexes.update,
        principal,
        index,
        private=body.private,
        project_ownership=ProjectOwnership(ownership) if ownership else None,
    )
    return IndexOut.of(updated)


@router.delete("/{index}", status_code=204, operation_id="delete_index")
async def delete_index(index: str, runtime: RuntimeDep, principal: UserDep) -> Response:
    """Delete an index and its history (owners); its name is retired, never reused."""
    await run_in_threadpool(runtime.indexes.delete, principal, index)
    return Response(status_code=204)


@router.get("/{index}/versions", operation_id="list_index_versions")
async def list_versions(
    index: str, runtime: RuntimeDep, principal: PrincipalDep, paging: PagingDep
) -> PageOut[IndexVersionOut]:
    page = await run_in_threadpool(
        runtime.indexes.versions, principal, index, offset=paging.offset, limit=paging.limit
    )
    return PageOut(
        items=[IndexVersionOut.of(v) for v in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )


@router.get("/{index}/diff", operation_id="diff_index_versions")
async def diff_versions(
    index: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    old: Annotated[int, Query(alias="from", ge=0, le=MAX_ID)],
    new: Annotated[int, Query(alias="to", ge=0, le=MAX_ID)],
) -> VersionDiffOut:
    """Files and yanks that differ between two index versions."""
    diff = await run_in_threadpool(runtime.indexes.diff, principal, index, old, new)
    return VersionDiffOut.of(diff)


@router.post("/{index}/rollback", operation_id="rollback_index")
async def rollback(
    index: str, body: RollbackIn, runtime: RuntimeDep, principal: UserDep
) -> ChangeOut:
    """Make a new version with an old version's content (maintainers)."""
    change = await run_in_threadpool(runtime.indexes.rollback, principal, index, body.version)
    return ChangeOut(version=change.version, summary=change.summary)


@router.get("/{index}/grants", operation_id="list_grants")
async def list_grants(index: str, runtime: RuntimeDep, principal: UserDep) -> list[GrantOut]:
    """Who holds which role on the index (maintainers)."""
    grants = await run_in_threadpool(runtime.accounts.grants, principal, index)
    return [GrantOut.of(g) for g in grants]


@router.put("/{index}/grants/users/{user}", operation_id="grant_user")
async def grant_user(
    index: str, user: str, body: GrantIn, runtime: RuntimeDep, principal: UserDep
) -> GrantOut:
    """Give a user a role on the index (owners)."""
    grant = await run_in_threadpool(
        runtime.accounts.grant, principal, Role.parse(body.role), index=index, user=user
    )
    return GrantOut.of(grant)


@router.delete("/{index}/grants/users/{user}", status_code=204, operation_id="revoke_user")
async def revoke_user(index: str, user: str, runtime: RuntimeDep, principal: UserDep) -> Response:
    await run_in_threadpool(runtime.accounts.revoke, principal, index=index, user=user)
    return Response(status_code=204)


@router.put("/{index}/grants/teams/{team}", operation_id="grant_team")
async def grant_team(
    index: str, team: str, body: GrantIn, runtime: RuntimeDep, principal: UserDep
) -> GrantOut:
    """Give a team a role on the index (owners)."""
    grant = await run_in_threadpool(
        runtime.accounts.grant, principal, Role.parse(body.role), index=index, team=team
    )
    return GrantOut.of(grant)


@router.delete("/{index}/grants/teams/{team}", status_code=204, operation_id="revoke_team")
async def revoke_team(index: str, team: str, runtime: RuntimeDep, principal: UserDep) -> Response:
    await run_in_threadpool(runtime.accounts.revoke, principal, index=index, team=team)
    return Response(status_code=204)


@router.get("/{index}/audit", operation_id="index_audit_log")
async def index_audit(
    index: str, runtime: RuntimeDep, principal: UserDep, paging: PagingDep
) -> PageOut[AuditOut]:
    """The index's audit log, newest first (owners)."""
    page = await run_in_threadpool(
        runtime.indexes.audit, principal, index, offset=paging.offset, limit=paging.limit
    )
    return PageOut(
        items=[AuditOut.of(e) for e in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )


@retired.get("", operation_id="list_retired_indexes")
async def list_retired(runtime: RuntimeDep, principal: UserDep) -> list[RetiredIndexOut]:
    """Names of deleted indexes, which no new index may take (admins)."""
    return [
        RetiredIndexOut.of(r) for r in await run_in_threadpool(runtime.indexes.retired, principal)
    ]


@retired.post("/{index}/purge", status_code=204, operation_id="purge_index")
async def purge(index: str, runtime: RuntimeDep, principal: UserDep) -> Response:
    """Free a deleted index's name for reuse (admins). Its old version URLs may then serve
    other content."""
    await run_in_threadpool(runtime.indexes.purge, principal, index)
    return Response(status_code=204)
