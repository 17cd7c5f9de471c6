"""``/api/v1/indexes/{index}/projects``: projects, files, yanks, owners and deletions."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from packhouse.web.api.deps import PagingDep, PrincipalDep, RuntimeDep, UserDep
from packhouse.web.api.schemas import ChangeOut, OwnerOut, PageOut, ProjectOut, YankIn

router = APIRouter(prefix="/indexes/{index}", tags=["projects"])


@router.get("/projects", operation_id="list_projects")
async def list_projects(
    index: str, runtime: RuntimeDep, principal: PrincipalDep, paging: PagingDep
) -> PageOut[str]:
    """Normalized names of the index's projects."""
    page = await run_in_threadpool(
        runtime.indexes.projects, principal, index, offset=paging.offset, limit=paging.limit
    )
    return PageOut(items=list(page.items), total=page.total, offset=page.offset, limit=page.limit)


@router.get("/projects/{project}", operation_id="show_project")
async def show_project(
    index: str, project: str, runtime: RuntimeDep, principal: PrincipalDep
) -> ProjectOut:
    found = await run_in_threadpool(runtime.indexes.project, principal, index, project)
    return ProjectOut.of(found)


@router.post("/projects/{project}/releases/{version}/yank", operation_id="yank_release")
async def yank(
    index: str, project: str, version: str, body: YankIn, runtime: RuntimeDep, principal: UserDep
) -> ChangeOut:
    """Yank a release (maintainers; uploaders when they uploaded every file of it).

    ``1.0`` names the release whose files say ``1.0.0`` too (PEP 440 equality)."""
    change = await run_in_threadpool(
        runtime.indexes.yank, principal, index, project, version, reason=body.reason
    )
    return ChangeOut(version=change.version, summary=change.summary)


@router.post("/projects/{project}/releases/{version}/unyank", operation_id="unyank_release")
async def unyank(
    index: str, project: str, version: str, runtime: RuntimeDep, principal: UserDep
) -> ChangeOut:
    change = await run_in_threadpool(runtime.indexes.unyank, principal, index, project, version)
    return ChangeOut(version=change.version, summary=change.summary)


@router.delete("/files/{filename}", operation_id="delete_file")
async def delete_file(
    index: str, filename: str, runtime: RuntimeDep, principal: UserDep
) -> ChangeOut:
    """Remove a file in a new index version (maintainers); old versions keep serving it."""
    change = await run_in_threadpool(runtime.indexes.delete_file, principal, index, filename)
    return ChangeOut(version=change.version, summary=change.summary)


@router.delete("/projects/{project}/releases/{version}", operation_id="delete_release")
async def delete_release(
    index: str, project: str, version: str, runtime: RuntimeDep, principal: UserDep
) -> ChangeOut:
    """Remove every file of a release in one new index version (maintainers)."""
    change = await run_in_threadpool(
        runtime.projects.delete_release, principal, index, project, version
    )
    return ChangeOut(version=change.version, summary=change.summary)


@router.delete("/projects/{project}", operation_id="delete_project")
async def delete_project(
    index: str, project: str, runtime: RuntimeDep, principal: UserDep
) -> ChangeOut:
    """Remove every file of a project in one new index version (maintainers); its owners stay."""
    change = await run_in_threadpool(runtime.projects.delete_project, principal, index, project)
    return ChangeOut(version=change.version, summary=change.summary)


@router.get("/projects/{project}/owners", operation_id="list_project_owners")
async def list_owners(
    index: str, project: str, runtime: RuntimeDep, principal: UserDep
) -> list[OwnerOut]:
    """The users and teams that own a project (uploaders and above)."""
    owners = await run_in_threadpool(runtime.projects.owners, principal, index, project)
    return [OwnerOut.of(o) for o in owners]


@router.put("/projects/{project}/owners/users/{user}", operation_id="add_project_owner_user")
async def add_owner_user(
    index: str, project: str, user: str, runtime: RuntimeDep, principal: UserDep
) -> OwnerOut:
    """Make a user an owner of a project, which need not exist yet (maintainers)."""
    await run_in_threadpool(runtime.projects.add_owner, principal, index, project, user=user)
    return OwnerOut(kind="user", name=user)


@router.delete(
    "/projects/{project}/owners/users/{user}",
    status_code=204,
    operation_id="remove_project_owner_user",
)
async def remove_owner_user(
    index: str, project: str, user: str, runtime: RuntimeDep, principal: UserDep
) -> Response:
    await run_in_threadpool(runtime.projects.remove_owner, principal, index, project, user=user)
    return Response(status_code=204)


@router.put("/projects/{project}/owners/teams/{team}", operation_id="add_project_owner_team")
async def add_owner_team(
    index: str, project: str, team: str, runtime: RuntimeDep, principal: UserDep
) -> OwnerOut:
    """Make a team an owner of a project: its members may upload to it (maintainers)."""
    await run_in_threadpool(runtime.projects.add_owner, principal, index, project, team=team)
    return OwnerOut(kind="team", name=team)


@router.delete(
    "/projects/{project}/owners/teams/{team}",
    status_code=204,
    operation_id="remove_project_owner_team",
)
async def remove_owner_team(
    index: str, project: str, team: str, runtime: RuntimeDep, principal: UserDep
) -> Response:
    await run_in_threadpool(runtime.projects.remove_owner, principal, index, project, team=team)
    return Response(status_code=204)
