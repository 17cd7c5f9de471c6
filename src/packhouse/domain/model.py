"""Frozen domain values shared by services and surfaces."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from packhouse.domain.names import IndexName

T = TypeVar("T")


class IndexKind(enum.StrEnum):
    """What an index serves: its own uploads, an upstream's pages, or a stack of other indexes."""

    HOSTED = "hosted"
    PROXY = "proxy"
    VIRTUAL = "virtual"


class ProjectOwnership(enum.StrEnum):
    """Who may upload to a project of an index that another uploader started."""

    #: A project belongs to its first uploader (a user, or the team whose grant they used);
    #: other uploaders need a maintainer to add them as owners.
    FIRST_UPLOADER = "first-uploader"
    #: Every uploader may upload to every project (each still yanks only their own files).
    OPEN = "open"

    @classmethod
    def parse(cls, value: str) -> ProjectOwnership:
        """Parse a setting value.

        >>> ProjectOwnership.parse("open")
        <ProjectOwnership.OPEN: 'open'>
        """
        from packhouse.errors import Invalid

        try:
            return cls(value.strip())
        except ValueError:
            names = ", ".join(v.value for v in cls)
            raise Invalid(f"unknown project ownership {value!r}: use one of {names}") from None


@dataclass(frozen=True, slots=True)
class Index:
    """A named collection of projects; the unit of access control."""

    id: int
    name: IndexName
    kind: IndexKind
    private: bool
    #: The newest index version; 0 for an index nothing was ever added to.
    version: int
    created_at: datetime
    #: Who may upload to a project someone else started (a setting; read it in the
    #: transaction that depends on it, as a remembered ``Index`` may predate a change).
    project_ownership: ProjectOwnership = ProjectOwnership.FIRST_UPLOADER


@dataclass(frozen=True, slots=True)
class IndexVersion:
    """One immutable state of an index, made by one change."""

    number: int
    created_at: datetime
    #: What made it: ``create``, ``upload``, ``yank``, ``unyank``, ``delete``, ``rollback``.
    action: str
    #: Who made it (a user name), if anyone.
    actor: str | None
    #: One line saying what changed.
    summary: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded change or security event."""

    id: int
    at: datetime
    actor: str | None
    action: str
    index: str | None
    target: str
    detail: str
    remote_addr: str | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a longer list."""

    items: tuple[T, ...]
    total: int
    offset: int
    limit: int
