"""``/api/v1/indexes``: show indexes and their versions."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from packhouse.web.api.deps import PrincipalDep, RuntimeDep
from packhouse.web.api.schemas import IndexOut, IndexVersionOut

router = APIRouter(prefix="/indexes", tags=["indexes"])


@router.get("/{index}", operation_id="show_index")
async def show_index(index: str, runtime: RuntimeDep, principal: PrincipalDep) -> IndexOut:
    found = await run_in_threadpool(runtime.admin.show_index, principal, index)
    return IndexOut.of(found)


@router.get("/{index}/versions", operation_id="list_index_versions")
async def list_versions(
    index: str, runtime: RuntimeDep, principal: PrincipalDep
) -> list[IndexVersionOut]:
    versions = await run_in_threadpool(runtime.admin.index_versions, principal, index)
    return [IndexVersionOut.of(v) for v in versions]
