"""``packhouse index …``, ``yank``, ``unyank``, ``remove``: indexes and their content."""

from __future__ import annotations

from typing import Annotated

import typer

from packhouse.cli.common import report, runtime
from packhouse.domain.model import IndexKind
from packhouse.domain.roles import OPERATOR, Role
from packhouse.errors import Invalid

index_app = typer.Typer(
    help="Create, list, show, change, delete and roll back indexes.", no_args_is_help=True
)


@index_app.command("create")
def index_create(
    name: str,
    kind: Annotated[str, typer.Option(help="hosted (proxy and virtual come later)")] = "hosted",
    private: Annotated[bool, typer.Option("--private", help="Reads need a role.")] = False,
    owner: Annotated[str | None, typer.Option(help="A user to make its owner.")] = None,
) -> None:
    """Create an index."""
    try:
        index_kind = IndexKind(kind)
    except ValueError:
        raise Invalid(f"unknown index kind {kind!r}: use hosted, proxy or virtual") from None
    with runtime() as rt:
        index = rt.indexes.create(OPERATOR, name, kind=index_kind, private=private)
        if owner is not None:
            rt.accounts.grant(OPERATOR, Role.OWNER, index=index.name, user=owner)
    typer.echo(f"created {index.kind} index {index.name!r}" + (" (private)" if private else ""))


@index_app.command("list")
def index_list() -> None:
    """List every index."""
    with runtime() as rt:
        for index in rt.indexes.visible(OPERATOR):
            flags = " private" if index.private else ""
            typer.echo(f"{index.name}\t{index.kind}\tversion {index.version}{flags}")


@index_app.command("show")
def index_show(name: str) -> None:
    """Show an index, its grants and its versions."""
    with runtime() as rt:
        index = rt.indexes.show(OPERATOR, name)
        versions = rt.indexes.versions(OPERATOR, name).items
        grants = rt.accounts.grants(OPERATOR, name)
    typer.echo(f"name: {index.name}\nkind: {index.kind}\nprivate: {str(index.private).lower()}")
    typer.echo(f"version: {index.version}\ncreated: {index.created_at.isoformat()}")
    for grant in grants:
        typer.echo(f"grant: {grant.role} {grant.kind} {grant.name}")
    for version in versions:
        typer.echo(f"  {version.number}\t{version.created_at:%Y-%m-%d %H:%M:%S}\t{version.summary}")


@index_app.command("set")
def index_set(
    name: str,
    private: Annotated[
        bool | None, typer.Option("--private/--public", help="Make reads need a role, or not.")
    ] = None,
) -> None:
    """Change an index's settings."""
    with runtime() as rt:
        index = rt.indexes.update(OPERATOR, name, private=private)
    typer.echo(f"index {index.name!r}: private={str(index.private).lower()}")


@index_app.command("delete")
def index_delete(
    name: str, yes: Annotated[bool, typer.Option("--yes", help="Confirm the deletion.")] = False
) -> None:
    """Delete an index and its history (its files stay in the blob store)."""
    if not yes:
        raise Invalid(f"deleting index {name!r} cannot be undone; add --yes to confirm")
    with runtime() as rt:
        rt.indexes.delete(OPERATOR, name)
    typer.echo(f"deleted index {name!r}")


@index_app.command("purge")
def index_purge(
    name: str, yes: Annotated[bool, typer.Option("--yes", help="Confirm the purge.")] = False
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
def index_rollback(name: str, version: int) -> None:
    """Make a new version whose content equals VERSION's."""
    with runtime() as rt:
        report(rt.indexes.rollback(OPERATOR, name, version))


def yank(
    index: str,
    project: str,
    version: str,
    reason: Annotated[str, typer.Option(help="Why, shown to installers.")] = "",
) -> None:
    """Yank a release (PEP 592): installers skip it unless pinned with ==."""
    with runtime() as rt:
        report(rt.indexes.yank(OPERATOR, index, project, version, reason=reason))


def unyank(index: str, project: str, version: str) -> None:
    """Undo a yank."""
    with runtime() as rt:
        report(rt.indexes.unyank(OPERATOR, index, project, version))


def remove(index: str, filename: str) -> None:
    """Remove a file from the index (a new version; old versions still serve it)."""
    with runtime() as rt:
        report(rt.indexes.delete_file(OPERATOR, index, filename))


def audit(
    index: Annotated[str | None, typer.Option(help="One index's log (default: all).")] = None,
    limit: Annotated[int, typer.Option(help="How many entries, newest first.", min=1)] = 50,
) -> None:
    """Show the audit log."""
    with runtime() as rt:
        page = rt.indexes.audit(OPERATOR, index, limit=limit)
    for e in page.items:
        typer.echo(
            f"{e.at:%Y-%m-%d %H:%M:%S}\t{e.actor or '-'}\t{e.remote_addr or '-'}\t{e.action}\t"
            f"{e.index or '-'}\t{e.target}\t{e.detail}"
        )
