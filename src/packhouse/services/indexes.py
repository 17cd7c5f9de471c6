"""Index operations shared by the CLI and the REST API: settings, versions, files, audit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from packhouse.db import write_transaction
from packhouse.db.accounts import AccountRepo
from packhouse.db.audit import AuditRepo
from packhouse.db.files import FileRepo, LiveFile
from packhouse.db.indexes import IndexRepo
from packhouse.domain.model import (
    AuditEntry,
    Index,
    IndexKind,
    IndexVersion,
    Page,
    ProjectOwnership,
)
from packhouse.domain.names import parse_index_name, parse_project_name
from packhouse.domain.policy import Target
from packhouse.domain.roles import Action, Principal, Role
from packhouse.errors import Conflict, Forbidden, Invalid, NotFound
from packhouse.services.access import AccessService
from packhouse.services.projects import release_of
from packhouse.services.versions import Change, Draft, VersionService


@dataclass(frozen=True, slots=True)
class ProjectFiles:
    """A project's live files in an index version, with the yanked releases."""

    name: str
    files: Sequence[LiveFile]
    #: ``{release: reason}`` of the yanked releases, by canonical version (``LiveFile.release``).
    yanked: dict[str, str]


@dataclass(frozen=True, slots=True)
class RetiredName:
    """The name of a deleted index, kept from reuse."""

    name: str
    retired_at: datetime
    retired_by: str | None


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """What changed between two index versions."""

    old: int
    new: int
    added: Sequence[str]
    removed: Sequence[str]
    yanked: Sequence[str]
    unyanked: Sequence[str]


class IndexAdmin:
    """Index management; every operation checks permissions through the one AccessService."""

    def __init__(
        self, *, sessions: sessionmaker[Session], access: AccessService, versions: VersionService
    ) -> None:
        self._sessions = sessions
        self._access = access
        self._versions = versions

    # indexes

    def create(
        self,
        principal: Principal,
        name: str,
        *,
        kind: IndexKind,
        private: bool,
        project_ownership: ProjectOwnership = ProjectOwnership.FIRST_UPLOADER,
    ) -> Index:
        """Create an index; its creator (unless the operator) becomes its owner.

        A name in use (by any index, visible to the caller or not) or retired is refused alike.
        """
        self._access.authorize(principal, Action.CREATE_INDEX, Target())
        index_name = parse_index_name(name)
        if kind is not IndexKind.HOSTED:
            raise Invalid(f"{kind} indexes are not supported yet; create a hosted index")
        unavailable = Conflict(f"index name {index_name!r} is not available; pick another name")
        try:
            with write_transaction(self._sessions) as session:
                indexes = IndexRepo(session)
                index = indexes.add(
                    index_name, kind=kind, private=private, project_ownership=project_ownership
                )
                # After the insert: it waits for a concurrent deletion of that name to commit.
                if indexes.is_retired(index_name):
                    raise unavailable
                if principal.user_id:
                    AccountRepo(session).set_grant(index.id, Role.OWNER, user_id=principal.user_id)
                _audit(session, principal, "index.create", index_name, detail=f"private={private}")
        except IntegrityError:
            raise unavailable from None
        return index

    def visible(self, principal: Principal | None) -> Sequence[Index]:
        """The indexes a principal may read."""
        with self._sessions() as session:
            indexes = IndexRepo(session).list()
        return [i for i in indexes if self._access.allows(principal, Action.READ, i)]

    def show(self, principal: Principal | None, name: str) -> Index:
        return self._access.require(principal, Action.READ, name)

    def update(
        self,
        principal: Principal,
        name: str,
        *,
        private: bool | None,
        project_ownership: ProjectOwnership | None = None,
    ) -> Index:
        index = self._access.require(principal, Action.MANAGE_SETTINGS, name)
        with write_transaction(self._sessions) as session:
            if private is not None and private != index.private:
                IndexRepo(session).set_private(index.id, private=private)
                _audit(session, principal, "index.update", index.name, detail=f"private={private}")
            if project_ownership is not None and project_ownership != index.project_ownership:
                IndexRepo(session).set_project_ownership(index.id, project_ownership)
                detail = f"project_ownership={project_ownership}"
                _audit(session, principal, "index.update", index.name, detail=detail)
        return self._access.index(name)

    def delete(self, principal: Principal, name: str) -> None:
        """Delete an index and its history; its name is retired (see ``purge``)."""
        index = self._access.require(principal, Action.DELETE_INDEX, name)
        with write_transaction(self._sessions) as session:
            indexes = IndexRepo(session)
            if not indexes.remove(index.id):  # a concurrent deletion came first
                raise NotFound(f"no index named {name!r}; check the name")
            indexes.retire(index.name, by=principal.name)
            _audit(session, principal, "index.delete", index.name)

    def retired(self, principal: Principal) -> Sequence[RetiredName]:
        """The names of deleted indexes, which no new index may take (admins)."""
        self._access.authorize(principal, Action.LIST_RETIRED_INDEXES, Target())
        with self._sessions() as session:
            rows = IndexRepo(session).retired()
        return [RetiredName(r.name, r.retired_at, r.retired_by) for r in rows]

    def purge(self, principal: Principal, name: str) -> None:
        """Free a deleted index's name for a new index (admins): its old version URLs may then
        serve other content."""
        self._access.authorize(principal, Action.PURGE_INDEX, Target())
        with write_transaction(self._sessions) as session:
            if not IndexRepo(session).unretire(name):
                raise NotFound(f"no deleted index named {name!r}: only retired names are purged")
            _audit(session, principal, "index.purge", name)

    # versions

    def versions(
        self, principal: Principal | None, name: str, *, offset: int = 0, limit: int = 1000
    ) -> Page[IndexVersion]:
        index = self._access.require(principal, Action.READ, name)
        with self._sessions() as session:
            found = IndexRepo(session).versions(index.id)
        return Page(tuple(found[offset : offset + limit]), len(found), offset, limit)

    def diff(self, principal: Principal | None, name: str, old: int, new: int) -> VersionDiff:
        index = self._access.require(principal, Action.READ, name)
        for number in (old, new):
            if not 0 <= number <= index.version:
                raise NotFound(f"index {name!r} has no version {number}")
        with self._sessions() as session:
            repo = FileRepo(session)
            before = {f.filename for f in repo.live_files(index.id, old)}
            after = {f.filename for f in repo.live_files(index.id, new)}
            yanks_before = {f"{p} {v}" for p, v in repo.live_yanks(index.id, old)}
            yanks_after = {f"{p} {v}" for p, v in repo.live_yanks(index.id, new)}
        return VersionDiff(
            old=old,
            new=new,
            added=sorted(after - before),
            removed=sorted(before - after),
            yanked=sorted(yanks_after - yanks_before),
            unyanked=sorted(yanks_before - yanks_after),
        )

    def rollback(self, principal: Principal, name: str, version: int) -> Change:
        index = self._access.require(principal, Action.ROLLBACK, name)
        with self._versions.begin(index, action="rollback", principal=principal) as draft:
            draft.restore(version)
            draft.summary = f"rollback to version {version}"
            draft.target = f"version {version}"
        return _change(draft.number, discarded=draft.discarded, summary=draft.summary)

    # projects and files

    def projects(
        self, principal: Principal | None, name: str, *, offset: int = 0, limit: int = 100
    ) -> Page[str]:
        index = self._access.require(principal, Action.READ, name)
        with self._sessions() as session:
            found = FileRepo(session).live_projects(index.id, index.version)
        return Page(tuple(found[offset : offset + limit]), len(found), offset, limit)

    def project(self, principal: Principal | None, name: str, project: str) -> ProjectFiles:
        index = self._access.require(principal, Action.READ, name)
        normalized = parse_project_name(project)
        with self._sessions() as session:
            repo = FileRepo(session)
            files = repo.live_files(index.id, index.version, project=normalized)
            yanks = repo.live_yanks(index.id, index.version, project=normalized)
        if not files:
            raise NotFound(f"no project {normalized!r} in index {name!r}")
        return ProjectFiles(normalized, files, {v: reason for (_p, v), reason in yanks.items()})

    def yank(
        self, principal: Principal, name: str, project: str, version: str, *, reason: str
    ) -> Change:
        """Yank a release: ``1.0`` names the release whose files say ``1.0.0`` too."""
        normalized, release, spelled = release_of(project, version)
        index, own_only = self._may_yank(principal, name)
        with self._versions.begin(index, action="yank", principal=principal) as draft:
            if own_only:
                _require_own_files(draft, principal, normalized, release, spelled)
                _require_own_yank(draft, principal, normalized, release, spelled)
            draft.yank(normalized, release, reason=reason)
            draft.summary = draft.target = f"yank {normalized} {spelled}"
        return _change(draft.number, discarded=draft.discarded, summary=draft.summary)

    def unyank(self, principal: Principal, name: str, project: str, version: str) -> Change:
        normalized, release, spelled = release_of(project, version)
        index, own_only = self._may_yank(principal, name)
        with self._versions.begin(index, action="unyank", principal=principal) as draft:
            if own_only:
                _require_own_files(draft, principal, normalized, release, spelled)
                _require_own_yank(draft, principal, normalized, release, spelled)
            draft.unyank(normalized, release)
            draft.summary = draft.target = f"unyank {normalized} {spelled}"
        return _change(draft.number, discarded=draft.discarded, summary=draft.summary)

    def delete_file(self, principal: Principal, name: str, filename: str) -> Change:
        index = self._access.require(principal, Action.DELETE_FILE, name)
        with self._versions.begin(index, action="delete", principal=principal) as draft:
            draft.remove_file(filename)
            draft.summary = f"delete {filename}"
            draft.target = filename
        return _change(draft.number, discarded=draft.discarded, summary=draft.summary)

    def _may_yank(self, principal: Principal, name: str) -> tuple[Index, bool]:
        """The index, and whether the caller may yank only releases made of their own files.

        Maintainers yank any release; uploaders only one whose live files they all uploaded.
        """
        index = self._access.index(name)
        if self._access.allows(principal, Action.YANK, index):
            return index, False
        if self._access.allows(principal, Action.YANK_OWN, index):
            return index, True
        self._access.check(principal, Action.YANK, index)  # raises: neither is allowed
        return index, False

    # audit

    def audit(
        self, principal: Principal, name: str | None, *, offset: int = 0, limit: int = 100
    ) -> Page[AuditEntry]:
        """An index's log for its owners, or the whole log (``name=None``) for admins."""
        since = None
        if name is None:
            self._access.authorize(principal, Action.READ_ALL_AUDIT, Target())
        else:
            since = self._access.require(principal, Action.READ_AUDIT, name).created_at
        with self._sessions() as session:
            entries, total = AuditRepo(session).page(
                index=name, offset=offset, limit=limit, since=since
            )
        return Page(tuple(entries), total, offset, limit)


def _audit(
    session: Session, principal: Principal, action: str, index: str, *, detail: str = ""
) -> None:
    AuditRepo(session).add(
        action,
        actor=principal.name,
        index=index,
        target=index,
        detail=detail,
        remote_addr=principal.remote_addr,
    )


def _require_own_files(
    draft: Draft, principal: Principal, project: str, release: str, spelled: str
) -> None:
    """Refuse an uploader's yank of a release with a live file someone else uploaded."""
    others = sorted(
        f.filename for f in draft.release_files(project, release) if f.uploader != principal.name
    )
    if others:
        raise Forbidden(
            f"{principal.name!r} may not yank {project} {spelled} in index {draft.index.name!r}: "
            f"{others[0]!r} was uploaded by someone else; uploaders yank only releases whose "
            "files they all uploaded, so ask a maintainer of the index"
        )


def _require_own_yank(
    draft: Draft, principal: Principal, project: str, release: str, spelled: str
) -> None:
    """Refuse an uploader's change (unyank, or a new reason) of a yank someone else made.

    A yank that a maintainer, an owner or an admin made stays theirs to undo: the uploader
    whose files they yanked would otherwise undo it at once.
    """
    by = draft.files.yanked_by(draft.index.id, draft.number - 1, project, release)
    live = (project, release) in draft.files.live_yanks(
        draft.index.id, draft.number - 1, project=project
    )
    if live and by != principal.name:
        who = repr(by) if by else "the server's operator"
        raise Forbidden(
            f"{principal.name!r} may not change the yank of {project} {spelled} in index "
            f"{draft.index.name!r}: {who} yanked it; uploaders change only their own yanks, "
            "so ask a maintainer of the index"
        )


def _change(number: int, *, discarded: bool, summary: str) -> Change:
    return Change(version=None if discarded else number, summary=summary)
