"""Projects of an index: their owners, who may upload to them, and deleting releases or projects.

With ``project_ownership = first-uploader`` a project name belongs to whoever first uploaded
it: the user, or the team whose grant let them upload. Other uploaders need a maintainer (or
an owner of the index) to add them as owners; maintainers and above upload anywhere. Owners
are recorded under ``open`` too, so that switching an index to ``first-uploader`` later finds
its projects owned.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version
from sqlalchemy.orm import Session, sessionmaker

from packhouse.db import write_transaction
from packhouse.db.accounts import AccountRepo, TeamRepo
from packhouse.db.audit import AuditRepo, add_entry
from packhouse.db.files import FileRepo
from packhouse.db.projects import Holder, ProjectOwnerRepo, project_ownership
from packhouse.domain.model import Index, ProjectOwnership
from packhouse.domain.names import parse_project_name
from packhouse.domain.roles import Action, Principal
from packhouse.errors import Forbidden, Invalid, NotFound
from packhouse.services.access import AccessService
from packhouse.services.versions import Change, Draft, VersionService


def admit_upload(
    draft: Draft, principal: Principal | None, project: str, *, any_project: bool
) -> None:
    """Refuse an upload to a project the caller does not own (under ``first-uploader``);
    make the first uploader of a new project its owner. Runs in the upload's draft, under the
    index's write lock, so two first uploads of one name cannot both claim it.

    ``any_project``: the caller may upload to any project (maintainers and above).
    """
    owners = ProjectOwnerRepo(draft.connection)
    found = owners.owners(draft.index.id, project)
    if not found and not draft.files.has_history(draft.index.id, project):
        _claim(draft, owners, principal, project)
        return
    if any_project or project_ownership(draft.connection, draft.index.id) is ProjectOwnership.OPEN:
        return
    if principal is not None and owners.is_owner(draft.index.id, project, principal.user_id):
        return
    raise Forbidden(_not_an_owner(draft.index, project, found))


def _claim(
    draft: Draft, owners: ProjectOwnerRepo, principal: Principal | None, project: str
) -> None:
    if principal is None or not principal.user_id:
        return  # the server's operator (or nobody) owns nothing
    holder = owners.upload_grant(draft.index.id, principal.user_id)
    if holder is None:  # an admin without a grant: the admin
        holder = Holder("user", principal.name, principal.user_id)
    if holder.kind == "user":
        owners.add(draft.index.id, project, user_id=holder.id)
    else:
        owners.add(draft.index.id, project, team_id=holder.id)
    add_entry(
        draft.connection,
        "project.owner.add",
        actor=principal.name,
        index=draft.index.name,
        target=project,
        detail=f"{holder.kind} {holder.name} (first uploader)",
        remote_addr=principal.remote_addr,
    )


def _not_an_owner(index: Index, project: str, owners: Sequence[Holder]) -> str:
    ask = f"ask a maintainer or owner of index {index.name!r} to add you as an owner of it"
    if not owners:
        return f"project {project!r} in index {index.name!r} has no owner; {ask}"
    named = ", ".join(f"{o.kind} {o.name!r}" for o in owners[:5])
    more = f" and {len(owners) - 5} more" if len(owners) > 5 else ""
    return f"project {project!r} in index {index.name!r} belongs to {named}{more}; {ask}"


class ProjectService:
    """Project owners and whole-release or whole-project deletion; checks go through access."""

    def __init__(
        self, *, sessions: sessionmaker[Session], access: AccessService, versions: VersionService
    ) -> None:
        self._sessions = sessions
        self._access = access
        self._versions = versions

    def owners(self, principal: Principal | None, name: str, project: str) -> Sequence[Holder]:
        """A project's owners (uploaders and above may see them)."""
        index = self._access.require(principal, Action.LIST_PROJECT_OWNERS, name)
        normalized = parse_project_name(project)
        with self._sessions() as session:
            found = ProjectOwnerRepo(session).owners(index.id, normalized)
            if not found and not FileRepo(session).has_history(index.id, normalized):
                raise NotFound(f"no project {normalized!r} in index {name!r}")
        return found

    def add_owner(
        self,
        principal: Principal,
        name: str,
        project: str,
        *,
        user: str | None = None,
        team: str | None = None,
    ) -> bool:
        """Make a user or a team an owner of a project, which need not exist yet (maintainers).

        False when it already was one.
        """
        index = self._access.require(principal, Action.MANAGE_PROJECT_OWNERS, name)
        normalized = parse_project_name(project)
        with write_transaction(self._sessions) as session:
            holder = _holder(session, user=user, team=team)
            repo = ProjectOwnerRepo(session)
            if holder.kind == "user":
                added = repo.add(index.id, normalized, user_id=holder.id)
            else:
                added = repo.add(index.id, normalized, team_id=holder.id)
            if added:
                _audit(session, principal, "project.owner.add", index, normalized, holder)
        return added

    def remove_owner(
        self,
        principal: Principal,
        name: str,
        project: str,
        *,
        user: str | None = None,
        team: str | None = None,
    ) -> None:
        """End a user's or a team's ownership of a project (maintainers)."""
        index = self._access.require(principal, Action.MANAGE_PROJECT_OWNERS, name)
        normalized = parse_project_name(project)
        with write_transaction(self._sessions) as session:
            holder = _holder(session, user=user, team=team)
            repo = ProjectOwnerRepo(session)
            if holder.kind == "user":
                removed = repo.remove(index.id, normalized, user_id=holder.id)
            else:
                removed = repo.remove(index.id, normalized, team_id=holder.id)
            if not removed:
                raise NotFound(
                    f"{holder.kind} {holder.name!r} is not an owner of project {normalized!r} "
                    f"in index {name!r}"
                )
            _audit(session, principal, "project.owner.remove", index, normalized, holder)

    def delete_release(self, principal: Principal, name: str, project: str, version: str) -> Change:
        """Remove every file of a release in one new index version (maintainers).

        ``1.0`` names the release whose files say ``1.0.0`` too (PEP 440 equality).
        """
        index = self._access.require(principal, Action.DELETE_RELEASE, name)
        normalized, release, spelled = release_of(project, version)
        with self._versions.begin(index, action="delete", principal=principal) as draft:
            draft.remove_release(normalized, release)
            draft.summary = draft.target = f"delete release {normalized} {spelled}"
        return Change(version=draft.number, summary=draft.summary)

    def delete_project(self, principal: Principal, name: str, project: str) -> Change:
        """Remove every file of a project in one new index version (maintainers).

        Its owners stay: the name still belongs to them if files come back.
        """
        index = self._access.require(principal, Action.DELETE_PROJECT, name)
        normalized = parse_project_name(project)
        with self._versions.begin(index, action="delete", principal=principal) as draft:
            draft.remove_project(normalized)
            draft.summary = draft.target = f"delete project {normalized}"
        return Change(version=draft.number, summary=draft.summary)


def release_of(project: str, version: str) -> tuple[str, str, str]:
    """``(normalized project, release key, version as PEP 440 spells it)``.

    >>> release_of("Foo_Bar", "1.0.0")
    ('foo-bar', '1', '1.0.0')
    """
    try:
        parsed = Version(version)
    except InvalidVersion:
        raise Invalid(f"invalid version {version!r}: see PEP 440") from None
    return parse_project_name(project), canonicalize_version(parsed), str(parsed)


def _holder(session: Session, *, user: str | None, team: str | None) -> Holder:
    if (user is None) == (team is None):
        raise Invalid("name either a user or a team")
    if user is not None:
        row = AccountRepo(session).get_user(user)
        return Holder("user", row.name, row.id)
    assert team is not None
    found = TeamRepo(session).get(team)
    return Holder("team", found.name, found.id)


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    index: Index,
    project: str,
    holder: Holder,
) -> None:
    AuditRepo(session).add(
        action,
        actor=principal.name,
        index=index.name,
        target=project,
        detail=f"{holder.kind} {holder.name}",
        remote_addr=principal.remote_addr,
    )
