"""``Annotated`` dependency aliases for the management API; the only place ``Depends`` appears."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from packhouse.domain.roles import Principal
from packhouse.web.deps import principal_of, runtime_of
from packhouse.wiring import Runtime


def _runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def _principal(request: Request) -> Principal | None:
    return await principal_of(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
PrincipalDep = Annotated[Principal | None, Depends(_principal)]
