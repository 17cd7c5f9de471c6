"""``Annotated`` dependency aliases for the management API; the only place ``Depends`` appears."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from packhouse.domain.roles import Principal
from packhouse.errors import Unauthorized
from packhouse.web.deps import principal_of, runtime_of
from packhouse.wiring import Runtime


def _runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def _principal(request: Request) -> Principal | None:
    return await principal_of(request)


async def _user(request: Request) -> Principal:
    principal = await principal_of(request)
    if principal is None:
        raise Unauthorized(
            "this needs credentials: HTTP Basic with a password or __token__ and an API token, "
            "or Bearer with an API token"
        )
    return principal


class Paging:
    """``?offset=&limit=`` for every list."""

    def __init__(
        self,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> None:
        self.offset = offset
        self.limit = limit


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
PrincipalDep = Annotated[Principal | None, Depends(_principal)]
UserDep = Annotated[Principal, Depends(_user)]
PagingDep = Annotated[Paging, Depends(Paging)]
