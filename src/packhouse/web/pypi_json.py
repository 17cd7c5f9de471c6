"""The PyPI JSON API: ``/pypi/{index}/pypi/{project}[/{version}]/json``."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from packhouse.domain.names import parse_project_name
from packhouse.services.project_info import Links
from packhouse.web.deps import public_url, readable_index, runtime_of


async def project_json(request: Request) -> Response:
    index = await readable_index(request, request.path_params["index"])
    raw_name = request.path_params["project"]
    project = parse_project_name(raw_name)
    version = request.path_params.get("version")
    if project != raw_name:
        tail = f"{project}/{version}/json" if version else f"{project}/json"
        path = request.url.path.split("/pypi/", 2)
        return RedirectResponse(
            request.url.replace(path=f"/pypi/{path[1]}/pypi/{tail}"), status_code=301
        )
    links = Links(
        files=public_url(request, f"pypi/{index.name}/files/"),
        pages=public_url(request, f"indexes/{index.name}/"),
    )
    service = runtime_of(request).project_info
    document = await run_in_threadpool(
        service.project, index, project, version=version, links=links
    )
    cache = "private" if index.private else "public"
    return JSONResponse(document, headers={"Cache-Control": f"{cache}, max-age=0, must-revalidate"})


def routes() -> list[Route]:
    return [
        Route("/pypi/{index}/pypi/{project}/json", project_json, methods=["GET"]),
        Route("/pypi/{index}/pypi/{project}/{version}/json", project_json, methods=["GET"]),
    ]
