"""Index versions: every change is a draft that becomes version N+1 or nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from packhouse.db import write_connection
from packhouse.db.audit import add_entry
from packhouse.db.files import FileRepo, LiveFile, NewDistribution
from packhouse.db.indexes import bump_version, record_version
from packhouse.domain.filenames import DistFilename
from packhouse.domain.model import Index
from packhouse.domain.roles import Principal
from packhouse.errors import Invalid, InvalidUpload, NotFound


class Draft:
    """The next version of one index, open inside a transaction that holds the index's lock."""

    def __init__(self, connection: Connection, index: Index, number: int) -> None:
        self.connection = connection
        self.index = index
        #: The version this draft becomes when it commits.
        self.number = number
        self.files = FileRepo(connection)
        self.summary = ""
        #: What the change was about, for the audit log (a filename, a release).
        self.target = ""
        self.discarded = False

    def discard(self) -> None:
        """End the draft without making a version (the change turned out to be a no-op)."""
        self.discarded = True

    def add_file(self, new: NewDistribution, dist: DistFilename, *, uploader: str | None) -> None:
        distribution_id = self.files.ensure_distribution(new)
        self.files.add_membership(
            self.index.id,
            distribution_id,
            filename=new.filename,
            project=new.project,
            release=dist.release,
            file_key=dist.key,
            added_in=self.number,
            uploader=uploader,
        )
        self.files.open_projects(self.index.id, [new.project], added_in=self.number)

    def remove_file(self, filename: str) -> None:
        """Remove the live file with this filename, compared in normalized form."""
        key = _file_key(filename)
        live = [
            f
            for f in self.files.live_files(self.index.id, self.number - 1)
            if f.filename == filename or f.file_key == key
        ]
        if not live:
            raise NotFound(f"no file {filename!r} in index {self.index.name!r}")
        self._remove(live)

    def remove_release(self, project: str, release: str) -> None:
        """Remove every live file of a release (a canonical version) and end its yank."""
        live = self.release_files(project, release)
        self._remove(live)
        self.files.end_yank(self.index.id, project, release, removed_in=self.number)

    def remove_project(self, project: str) -> None:
        """Remove every live file of a project and end its yanks."""
        live = self.files.live_files(self.index.id, self.number - 1, project=project)
        if not live:
            raise NotFound(f"no project {project!r} in index {self.index.name!r}")
        self._remove(live)
        yanks = self.files.live_yanks(self.index.id, self.number - 1, project=project)
        for _project, release in yanks:
            self.files.end_yank(self.index.id, project, release, removed_in=self.number)

    def yank(self, project: str, release: str, *, reason: str) -> None:
        """Yank a release, named by its canonical version: every file whose version equals it."""
        self.release_files(project, release)
        current = self.files.live_yanks(self.index.id, self.number - 1, project=project)
        if current.get((project, release)) == reason:
            self.discard()
            return
        self.files.end_yank(self.index.id, project, release, removed_in=self.number)
        self.files.add_yank(self.index.id, project, release, reason=reason, added_in=self.number)

    def unyank(self, project: str, release: str) -> None:
        self.release_files(project, release)
        current = self.files.live_yanks(self.index.id, self.number - 1, project=project)
        if (project, release) not in current:
            self.discard()
            return
        self.files.end_yank(self.index.id, project, release, removed_in=self.number)

    def release_files(self, project: str, release: str) -> Sequence[LiveFile]:
        """The live files of a release in the version before this one; NotFound if none."""
        files = self.files.live_files(self.index.id, self.number - 1, project=project)
        found = [f for f in files if f.release == release]
        if not found:
            raise NotFound(f"no release {project} {release} in index {self.index.name!r}")
        return found

    def _remove(self, live: Sequence[LiveFile]) -> None:
        self.files.end_memberships([f.membership_id for f in live], removed_in=self.number)
        self.files.close_empty_projects(
            self.index.id, {f.project for f in live}, removed_in=self.number
        )

    def restore(self, target: int) -> None:
        """Make this version's content equal version ``target``'s."""
        previous = self.number - 1
        if not 0 <= target <= previous:
            raise Invalid(
                f"index {self.index.name!r} has versions 0 to {previous}; "
                f"there is no version {target}"
            )
        self._restore_files(target, previous)
        self._restore_yanks(target, previous)

    def _restore_files(self, target: int, previous: int) -> None:
        now = {f.distribution_id: f for f in self.files.live_files(self.index.id, previous)}
        then = {f.distribution_id: f for f in self.files.live_files(self.index.id, target)}
        gone = [f.membership_id for key, f in now.items() if key not in then]
        self.files.end_memberships(gone, removed_in=self.number)
        for key, f in then.items():
            if key not in now:
                self.files.add_membership(
                    self.index.id,
                    f.distribution_id,
                    filename=f.filename,
                    project=f.project,
                    release=f.release,
                    file_key=f.file_key,
                    added_in=self.number,
                    uploaded_at=f.uploaded_at,
                    uploader=f.uploader,
                )
        before = {f.project for f in now.values()}
        after = {f.project for f in then.values()}
        self.files.close_empty_projects(self.index.id, before - after, removed_in=self.number)
        self.files.open_projects(self.index.id, after - before, added_in=self.number)

    def _restore_yanks(self, target: int, previous: int) -> None:
        now = self.files.live_yanks(self.index.id, previous)
        then = self.files.live_yanks(self.index.id, target)
        for (project, version), reason in now.items():
            if then.get((project, version)) != reason:
                self.files.end_yank(self.index.id, project, version, removed_in=self.number)
        for (project, version), reason in then.items():
            if now.get((project, version)) != reason:
                self.files.add_yank(
                    self.index.id, project, version, reason=reason, added_in=self.number
                )


@dataclass(frozen=True, slots=True)
class Change:
    """What a committed (or discarded) draft did."""

    #: The version made; None when the change was a no-op.
    version: int | None
    summary: str


class VersionService:
    """Opens drafts: ``with versions.begin(index, ...) as draft`` commits version N+1 or nothing."""

    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        engine = sessions.kw["bind"]
        assert isinstance(engine, Engine), "the sessionmaker must be bound to an engine"
        #: Drafts run on bare connections: a few Core statements, no unit of work to pay for.
        self._engine = engine

    @contextmanager
    def begin(self, index: Index, *, action: str, principal: Principal | None) -> Iterator[Draft]:
        """A draft of version N+1; committed with its audit entry, or discarded on error."""
        with write_connection(self._engine) as connection:
            number = bump_version(connection, index.id)  # the index's write lock from here on
            draft = Draft(connection, index, number)
            yield draft
            if draft.discarded:
                connection.rollback()
                return
            _record(connection, draft, action=action, principal=principal)


def _record(
    connection: Connection, draft: Draft, *, action: str, principal: Principal | None
) -> None:
    """The version's history row and its audit entry, in the draft's transaction."""
    actor = principal.name if principal else None
    index = draft.index
    record_version(
        connection, index.id, draft.number, action=action, actor=actor, summary=draft.summary
    )
    add_entry(
        connection,
        action,
        actor=actor,
        index=index.name,
        target=draft.target,
        detail=f"version {draft.number}: {draft.summary}",
        remote_addr=principal.remote_addr if principal else None,
    )


def _file_key(filename: str) -> str | None:
    """The key of a filename (``DistFilename.key``); None for one that is no distribution's."""
    try:
        return DistFilename.parse(filename).key
    except InvalidUpload:
        return None
