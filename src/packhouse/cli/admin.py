"""Administration commands, run on the server's own configuration (as its operator)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from packhouse.config import Settings
from packhouse.domain.model import IndexKind
from packhouse.domain.roles import Role
from packhouse.errors import Invalid
from packhouse.services.admin import OPERATOR
from packhouse.services.versions import Change
from packhouse.wiring import Runtime, build

index_app = typer.Typer(
    help="Create, list, show, delete and roll back indexes.", no_args_is_help=True
)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


@contextmanager
def runtime() -> Iterator[Runtime]:
    built = build(Settings())
    try:
        yield built
    finally:
        built.close()


def _options(
    data_dir: Annotated[Path | None, typer.Option(help="PACKHOUSE_DATA_DIR")] = None,
    database_url: Annotated[str | None, typer.Option(help="PACKHOUSE_DATABASE_URL")] = None,
    storage_url: Annotated[str | None, typer.Option(help="PACKHOUSE_STORAGE_URL")] = None,
) -> None:
    """Packhouse: a self-hosted Python package repository server."""
    for key, value in (
        ("PACKHOUSE_DATA_DIR", str(data_dir) if data_dir else None),
        ("PACKHOUSE_DATABASE_URL", database_url),
        ("PACKHOUSE_STORAGE_URL", storage_url),
    ):
        if value is not None:
            os.environ[key] = value


@index_app.command("create")
def index_create(
    name: str,
    kind: Annotated[str, typer.Option(help="hosted (proxy and virtual come later)")] = "hosted",
    private: Annotated[bool, typer.Option("--private", help="Reads need a role.")] = False,
) -> None:
    """Create an index."""
    try:
        index_kind = IndexKind(kind)
    except ValueError:
        raise Invalid(f"unknown index kind {kind!r}: use hosted, proxy or virtual") from None
    with runtime() as rt:
        index = rt.admin.create_index(OPERATOR, name, kind=index_kind, private=private)
    typer.echo(f"created {index.kind} index {index.name!r}" + (" (private)" if private else ""))


@index_app.command("list")
def index_list() -> None:
    """List every index."""
    with runtime() as rt:
        for index in rt.admin.list_indexes():
            flags = " private" if index.private else ""
            typer.echo(f"{index.name}\t{index.kind}\tversion {index.version}{flags}")


@index_app.command("show")
def index_show(name: str) -> None:
    """Show an index and its versions."""
    with runtime() as rt:
        index = rt.admin.show_index(OPERATOR, name)
        versions = rt.admin.index_versions(OPERATOR, name)
    typer.echo(f"name: {index.name}\nkind: {index.kind}\nprivate: {str(index.private).lower()}")
    typer.echo(f"version: {index.version}\ncreated: {index.created_at.isoformat()}")
    for version in versions:
        typer.echo(f"  {version.number}\t{version.created_at:%Y-%m-%d %H:%M:%S}\t{version.summary}")


@index_app.command("delete")
def index_delete(
    name: str, yes: Annotated[bool, typer.Option("--yes", help="Confirm the deletion.")] = False
) -> None:
    """Delete an index and its history (its files stay in the blob store)."""
    if not yes:
        raise Invalid(f"deleting index {name!r} cannot be undone; add --yes to confirm")
    with runtime() as rt:
        rt.admin.delete_index(OPERATOR, name)
    typer.echo(f"deleted index {name!r}")


@index_app.command("rollback")
def index_rollback(name: str, version: int) -> None:
    """Make a new version whose content equals VERSION's."""
    with runtime() as rt:
        _report(rt.admin.rollback(OPERATOR, name, version))


@user_app.command("create")
def user_create(
    name: str,
    admin: Annotated[bool, typer.Option("--admin", help="Make a server admin.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user with a password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with runtime() as rt:
        rt.admin.create_user(name, password=password, admin=admin)
    typer.echo(f"created {'admin ' if admin else ''}user {name!r}")


def grant(
    role: str,
    index: Annotated[str, typer.Option(help="The index to grant a role on.")],
    user: Annotated[str, typer.Option(help="The user to grant it to.")],
) -> None:
    """Give a user a role on an index (reader, uploader, maintainer, owner)."""
    parsed = Role.parse(role)
    with runtime() as rt:
        rt.admin.grant(OPERATOR, parsed, index=index, user=user)
    typer.echo(f"granted {parsed} on {index!r} to user {user!r}")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option(help="The user the token acts for.")],
    index: Annotated[str, typer.Option(help="The index the token is limited to.")],
    role: Annotated[str, typer.Option(help="The token's role (at most the user's).")] = "uploader",
    name: Annotated[str, typer.Option(help="A name to recognise the token by.")] = "",
    expires_days: Annotated[int | None, typer.Option(help="Expire after N days.", min=1)] = None,
) -> None:
    """Create an API token; the token is printed once, as the last line."""
    expires = timedelta(days=expires_days) if expires_days else None
    with runtime() as rt:
        issued = rt.admin.create_token(
            OPERATOR, user=user, index=index, role=Role.parse(role), name=name, expires_in=expires
        )
    until = f", expires {issued.expires_at:%Y-%m-%d}" if issued.expires_at else ""
    typer.echo(f"token {issued.id} for {user!r} on {index!r} as {Role.parse(role)}{until}:")
    typer.echo(issued.secret)


def yank(
    index: str,
    project: str,
    version: str,
    reason: Annotated[str, typer.Option(help="Why, shown to installers.")] = "",
) -> None:
    """Yank a release (PEP 592): installers skip it unless pinned with ==."""
    with runtime() as rt:
        _report(rt.admin.yank(OPERATOR, index, project, version, reason=reason))


def unyank(index: str, project: str, version: str) -> None:
    """Undo a yank."""
    with runtime() as rt:
        _report(rt.admin.unyank(OPERATOR, index, project, version))


def remove(index: str, filename: str) -> None:
    """Remove a file from the index (a new version; old versions still serve it)."""
    with runtime() as rt:
        _report(rt.admin.delete_file(OPERATOR, index, filename))


def _report(change: Change) -> None:
    if change.version is None:
        typer.echo(f"nothing to do ({change.summary}: already so)")
    else:
        typer.echo(f"{change.summary}: index version {change.version}")


def register(app: typer.Typer) -> None:
    app.callback()(_options)
    app.add_typer(index_app, name="index")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.command("grant")(grant)
    app.command("yank")(yank)
    app.command("unyank")(unyank)
    app.command("remove")(remove)
