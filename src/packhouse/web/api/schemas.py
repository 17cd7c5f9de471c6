"""Pydantic input and output models of the management API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from packhouse.domain.model import Index, IndexVersion


class IndexOut(BaseModel):
    name: str
    kind: str
    private: bool
    #: The current index version.
    version: int
    created_at: datetime

    @classmethod
    def of(cls, index: Index) -> IndexOut:
        return cls(
            name=index.name,
            kind=index.kind.value,
            private=index.private,
            version=index.version,
            created_at=index.created_at,
        )


class IndexVersionOut(BaseModel):
    number: int
    created_at: datetime
    action: str
    actor: str | None
    summary: str

    @classmethod
    def of(cls, version: IndexVersion) -> IndexVersionOut:
        return cls(
            number=version.number,
            created_at=version.created_at,
            action=version.action,
            actor=version.actor,
            summary=version.summary,
        )
