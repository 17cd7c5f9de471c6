"""``packhouse index …``, ``yank``, ``unyank``, ``remove``, ``audit``: indexes and their content."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer
from packaging.version import InvalidVersion, Version

from packhouse.cli.common import report, runtime
from packhouse.cli.listing import JsonOption, print_json, print_rows, text
from packhouse.domain.model import Index, IndexKind, IndexVersion, ProjectOwnership
from packhouse.domain.roles import OPERATOR, Role
from packhouse.errors import Invalid
from packhouse.services.indexes import ProjectFiles
from packhouse.wiring import Runtime

index_app = typer.Typer(
    help="Create, list, show, change, delete and roll back indexes; list their projects and files.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="The index's name.", show_default=False)]
#: ``--index`` of yank, unyank and remove (optional only for the deprecated positional form).
IndexOption = Annotated[
    str | None,
    typer.Option("--index", help="The index to act on (required).", show_default=False),
]
#: How ``yank``, ``unyank`` and ``remove`` are registered: the extra positional argument of the
#: deprecated ``yank INDEX PROJECT VERSION`` form reaches them in ``ctx.args``, out of the help.
LEGACY_FORM = {"allow_extra_args": True}

OWNERSHIP = typer.Option(
    "--project-ownership",
    help="first-uploader: a project belongs to its first uploader (user or team) and others "
    "need a maintainer to add them; open: any uploader uploads to any project.",
    show_default=False,
)
OwnershipOption = Annotated[str, OWNERSHIP]

VERSION_COLUMNS = ("version", "created_at", "action", "actor", "summary")
GRANT_COLUMNS = ("role", "kind", "name")
FILE_COLUMNS = (
    "filename",
    "project",
    "version",
    "size",
    "sha256",
    "uploaded_at",
    "yanked",
    "yank_reason",
)


@index_app.command("create")
def index_create(
    name: NameArgument,
    kind: Annotated[
        str, typer.Option(help="What the index holds: hosted (files uploaded to it).")
    ] = "hosted",
    private: Annotated[
        bool, typer.Option("--private", help="Reading it needs a role (default: public).")
    ] = False,
    owner: Annotated[
        str | None, typer.Option(help="A user to make its owner.", show_default=False)
    ] = None,
    project_ownership: OwnershipOption = "first-uploader",
) -> None:
    """Create an index."""
    try:
        index_kind = IndexKind(kind)
    except ValueError:
        raise Invalid(f"unknown index kind {kind!r}: use hosted, proxy or virtual") from None
    ownership = ProjectOwnership.parse(project_ownership)
    with runtime() as rt:
        index = rt.indexes.create(
            OPERATOR, name, kind=index_kind, private=private, project_ownership=ownership
        )
        if owner is not None:
            rt.accounts.grant(OPERATOR, Role.OWNER, index=index.name, user=owner)
    typer.echo(f"created {index.kind} index {index.name!r}" + (" (private)" if private else ""))


@index_app.command("list")
def index_list(as_json: JsonOption = False) -> None:
    """List every index: name, kind, private, current version."""
    with runtime() as rt:
        indexes = rt.indexes.visible(OPERATOR)
    print_rows(
        [_index_row(i) for i in indexes], ("name", "kind", "private", "version"), as_json=as_json
    )


@index_app.command("show")
def index_show(name: NameArgument, as_json: JsonOption = False) -> None:
    """Show an index, its grants and every one of its versions."""
    with runtime() as rt:
        index = rt.indexes.show(OPERATOR, name)
        versions = _all_versions(rt, name)
        grants: list[dict[str, object]] = [
            {"role": str(g.role), "kind": g.kind, "name": g.name}
            for g in rt.accounts.grants(OPERATOR, name)
        ]
    rows = [_version_row(v) for v in versions]
    if as_json:
        print_json(
            {
                **_index_row(index),
                "created_at": index.created_at,
                "grants": grants,
                "versions": rows,
            }
        )
        return
    typer.echo(f"name: {index.name}\nkind: {index.kind}\nprivate: {text(index.private)}")
    typer.echo(f"version: {index.version}\ncreated: {index.created_at.isoformat()}")
    typer.echo(f"grants: {len(grants)}")
    _indented(grants, GRANT_COLUMNS)
    typer.echo(f"versions: {len(rows)}")
    _indented(rows, VERSION_COLUMNS)


def _all_versions(rt: Runtime, name: str) -> Sequence[IndexVersion]:
    """Every version, however many (the service answers in pages)."""
    first = rt.indexes.versions(OPERATOR, name)
    if first.total <= len(first.items):
        return first.items
    rest = rt.indexes.versions(
        OPERATOR, name, offset=len(first.items), limit=first.total - len(first.items)
    )
    return first.items + rest.items


def _indented(rows: Sequence[dict[str, object]], columns: Sequence[str]) -> None:
    typer.echo("  " + "\t".join(c.upper() for c in columns))
    for row in rows:
        typer.echo("  " + "\t".join(text(row[c]) for c in columns))


@index_app.command("projects")
def index_projects(name: NameArgument, as_json: JsonOption = False) -> None:
    """List the projects that have files in an index's current version."""
    with runtime() as rt:
        names = _all_projects(rt, name)
    print_rows([{"project": p} for p in names], ("project",), as_json=as_json)


def _all_projects(rt: Runtime, name: str) -> Sequence[str]:
    first = rt.indexes.projects(OPERATOR, name)
    if first.total <= len(first.items):
        return first.items
    rest = rt.indexes.projects(OPERATOR, name, offset=len(first.items), limit=first.total)
    return first.items + rest.items


@index_app.command("files")
def index_files(
    name: NameArgument,
    project: Annotated[
        str | None,
        typer.Argument(
            help="Only this project's files (default: every project's).", show_default=False
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the files in an index's current version, with sizes, hashes and yanks."""
    with runtime() as rt:
        projects = [project] if project is not None else _all_projects(rt, name)
        found = [rt.indexes.project(OPERATOR, name, p) for p in projects]
    rows = [row for files in found for row in _file_rows(files)]
    print_rows(rows, FILE_COLUMNS, as_json=as_json)


def _file_rows(project: ProjectFiles) -> list[dict[str, object]]:
    yanks = {_release(v): reason for v, reason in project.yanked.items()}
    return [
        {
            "filename": f.filename,
            "project": project.name,
            "version": f.version,
            "size": f.size,
            "sha256": f.sha256,
            "uploaded_at": f.uploaded_at,
            "yanked": _release(f.version) in yanks,
            "yank_reason": yanks.get(_release(f.version)),
        }
        for f in sorted(project.files, key=lambda f: f.filename)
    ]


def _release(version: str) -> Version | str:
    """What a yank names: PEP 440 equal versions (``1.0``, ``1.0.0``) are one release."""
    try:
        return Version(version)
    except InvalidVersion:
        return version


@index_app.command("set")
def index_set(
    name: NameArgument,
    private: Annotated[
        bool | None,
        typer.Option(
            "--private/--public",
            help="Make reading it need a role, or let anyone read it.",
            show_default=False,
        ),
    ] = None,
    project_ownership: Annotated[str | None, OWNERSHIP] = None,
) -> None:
    """Change an index's settings."""
    ownership = ProjectOwnership.parse(project_ownership) if project_ownership else None
    with runtime() as rt:
        index = rt.indexes.update(OPERATOR, name, private=private, project_ownership=ownership)
    typer.echo(
        f"index {index.name!r}: private={text(index.private)} "
        f"project-ownership={index.project_ownership}"
    )


@index_app.command("delete")
def index_delete(
    name: NameArgument,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: the deletion cannot be undone.")
    ] = False,
) -> None:
    """Delete an index and its history (its files stay in the blob store)."""
    if not yes:
        raise Invalid(f"deleting index {name!r} cannot be undone; add --yes to confirm")
    with runtime() as rt:
        rt.indexes.delete(OPERATOR, name)
    typer.echo(f"deleted index {name!r}")


@index_app.command("purge")
def index_purge(
    name: Annotated[str, typer.Argument(help="The deleted index's name.", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm the purge.")] = False,
) -> None:
    """Free a deleted index's name for reuse; its old version URLs may then serve other content."""
    if not yes:
        raise Invalid(
            f"purging {name!r} lets a new index serve other content at its old version URLs; "
            "add --yes to confirm"
        )
    with runtime() as rt:
        rt.indexes.purge(OPERATOR, name)
    typer.echo(f"purged index name {name!r}: a new index may use it")


@index_app.command("rollback")
def index_rollback(
    name: NameArgument,
    version: Annotated[int, typer.Argument(help="The version whose content to restore.")],
) -> None:
    """Make a new version whose content equals VERSION's."""
    with runtime() as rt:
        report(rt.indexes.rollback(OPERATOR, name, version))


ProjectArgument = Annotated[str, typer.Argument(help="The project's name.", show_default=False)]
VersionArgument = Annotated[str, typer.Argument(help="The release's version.", show_default=False)]


def yank(
    ctx: typer.Context,
    project: ProjectArgument,
    version: VersionArgument,
    index: IndexOption = None,
    reason: Annotated[str, typer.Option(help="Why, shown to installers.")] = "",
) -> None:
    """Yank a release (PEP 592): installers skip it unless pinned with ==."""
    index, (project, version) = _index_and_args("yank", index, (project, version, *ctx.args))
    with runtime() as rt:
        report(rt.indexes.yank(OPERATOR, index, project, version, reason=reason))


def unyank(
    ctx: typer.Context,
    project: ProjectArgument,
    version: VersionArgument,
    index: IndexOption = None,
) -> None:
    """Undo a yank."""
    index, (project, version) = _index_and_args("unyank", index, (project, version, *ctx.args))
    with runtime() as rt:
        report(rt.indexes.unyank(OPERATOR, index, project, version))


def remove(
    ctx: typer.Context,
    filename: Annotated[
        str, typer.Argument(help="The file's name, as `index files` lists it.", show_default=False)
    ],
    index: IndexOption = None,
) -> None:
    """Remove a file from an index (a new version; old versions still serve it)."""
    index, (filename,) = _index_and_args("remove", index, (filename, *ctx.args))
    with runtime() as rt:
        report(rt.indexes.delete_file(OPERATOR, index, filename), summary=f"remove {filename}")


def _index_and_args(
    command: str, index: str | None, given: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    """The index and the other arguments; the deprecated form puts the index first, positionally.

    ``packhouse yank INDEX PROJECT VERSION`` (DESIGN.md's first form) still works, with a warning.
    """
    wanted = len(_ARGS[command])
    if len(given) == wanted and index is not None:
        return index, given
    if len(given) == wanted + 1 and index is None:
        rest = " ".join(given[1:])
        typer.echo(
            f"warning: the index is an option now: `packhouse {command} --index {given[0]} {rest}`",
            err=True,
        )
        return given[0], given[1:]
    shape = " ".join(a.upper() for a in _ARGS[command])
    if index is None and len(given) == wanted:
        raise Invalid(f"which index? add --index: `packhouse {command} --index INDEX {shape}`")
    raise Invalid(f"too many arguments: `packhouse {command} --index INDEX {shape}`")


_ARGS = {"yank": ("project", "version"), "unyank": ("project", "version"), "remove": ("filename",)}


def audit(
    index: Annotated[
        str | None,
        typer.Option(help="Only this index's log (default: the whole log).", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many entries to show, newest first.", min=1)] = 50,
    offset: Annotated[int, typer.Option(help="How many of the newest entries to skip.", min=0)] = 0,
    as_json: JsonOption = False,
) -> None:
    """Show the audit log: who changed what, from where."""
    with runtime() as rt:
        page = rt.indexes.audit(OPERATOR, index, offset=offset, limit=limit)
    rows = [
        {
            "at": e.at,
            "actor": e.actor,
            "remote_addr": e.remote_addr,
            "action": e.action,
            "index": e.index,
            "target": e.target,
            "detail": e.detail,
        }
        for e in page.items
    ]
    print_rows(rows, AUDIT_COLUMNS, as_json=as_json)
    if page.total > offset + len(rows) and not as_json:
        more = page.total - offset - len(rows)
        typer.echo(f"… {more} older entries; see them with --offset {offset + len(rows)}", err=True)


AUDIT_COLUMNS = ("at", "actor", "remote_addr", "action", "index", "target", "detail")


def _index_row(index: Index) -> dict[str, object]:
    return {
        "name": index.name,
        "kind": str(index.kind),
        "private": index.private,
        "version": index.version,
    }


def _version_row(version: IndexVersion) -> dict[str, object]:
    return {
        "version": version.number,
        "created_at": version.created_at,
        "action": version.action,
        "actor": version.actor,
        "summary": version.summary,
    }
