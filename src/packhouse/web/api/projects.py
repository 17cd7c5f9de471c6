"""``/api/v1/indexes/{index}/projects``: projects, files, yanks and deletions."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from packhouse.web.api.deps import PagingDep, PrincipalDep, RuntimeDep, UserDep
from packhouse.web.api.schemas import ChangeOut, PageOut, ProjectOut, YankIn

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
    """Yank a release (maintainers; uploaders for projects they uploaded to)."""
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
