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
