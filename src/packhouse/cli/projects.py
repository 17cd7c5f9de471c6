"""``packhouse project …``: a project's owners, and deleting a whole release or project."""

from __future__ import annotations

from typing import Annotated

import typer

from packhouse.cli.common import report, runtime
from packhouse.cli.listing import JsonOption, print_rows
from packhouse.domain.roles import OPERATOR
from packhouse.errors import Invalid

project_app = typer.Typer(
    help="See and change who owns a project of an index; delete a whole release or project.",
    no_args_is_help=True,
)

IndexOption = Annotated[
    str, typer.Option("--index", help="The index the project is in.", show_default=False)
]
ProjectArgument = Annotated[str, typer.Argument(help="The project's name.", show_default=False)]
UserOption = Annotated[
    str | None, typer.Option("--user", help="A user to act on.", show_default=False)
]
TeamOption = Annotated[
    str | None, typer.Option("--team", help="A team to act on.", show_default=False)
]


@project_app.command("owners")
def owners(index: IndexOption, project: ProjectArgument, as_json: JsonOption = False) -> None:
    """List the users and teams that own a project."""
    with runtime() as rt:
        found = rt.projects.owners(OPERATOR, index, project)
    rows = [{"kind": o.kind, "name": o.name} for o in found]
    print_rows(rows, ("kind", "name"), as_json=as_json)


@project_app.command("add-owner")
def add_owner(
    index: IndexOption, project: ProjectArgument, user: UserOption = None, team: TeamOption = None
) -> None:
    """Make a user or a team an owner of a project (it need not exist yet)."""
    _one_of(user, team)
    with runtime() as rt:
        added = rt.projects.add_owner(OPERATOR, index, project, user=user, team=team)
    who = f"user {user!r}" if user is not None else f"team {team!r}"
    state = "is now" if added else "already was"
    typer.echo(f"{who} {state} an owner of project {project!r} in index {index!r}")


@project_app.command("remove-owner")
def remove_owner(
    index: IndexOption, project: ProjectArgument, user: UserOption = None, team: TeamOption = None
) -> None:
    """End a user's or a team's ownership of a project."""
    _one_of(user, team)
    with runtime() as rt:
        rt.projects.remove_owner(OPERATOR, index, project, user=user, team=team)
    who = f"user {user!r}" if user is not None else f"team {team!r}"
    typer.echo(f"{who} is no longer an owner of project {project!r} in index {index!r}")


@project_app.command("delete")
def delete(
    index: IndexOption,
    project: ProjectArgument,
    version: Annotated[
        str | None,
        typer.Argument(
            help="Delete only this release (default: the whole project).", show_default=False
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm the deletion.")] = False,
) -> None:
    """Remove every file of a project, or of one release, in one new index version.

    Older index versions keep serving them; a rollback brings them back.
    """
    what = f"release {project} {version}" if version else f"project {project}"
    if not yes:
        raise Invalid(f"this removes every file of {what} from index {index!r}; add --yes")
    with runtime() as rt:
        if version is None:
            report(rt.projects.delete_project(OPERATOR, index, project))
        else:
            report(rt.projects.delete_release(OPERATOR, index, project, version))


def _one_of(user: str | None, team: str | None) -> None:
    if (user is None) == (team is None):
        raise Invalid("name either a user (--user NAME) or a team (--team NAME)")
