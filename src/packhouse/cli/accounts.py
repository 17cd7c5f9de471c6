"""``packhouse user|team|token …``, ``grant`` and ``revoke``."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Annotated

import typer

from packhouse.cli.common import runtime
from packhouse.domain.roles import OPERATOR, Role

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
team_app = typer.Typer(help="Manage teams.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)

UserOption = Annotated[str | None, typer.Option(help="A user.")]
TeamOption = Annotated[str | None, typer.Option(help="A team.")]


def _read_password(*, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@user_app.command("create")
def user_create(
    name: str,
    admin: Annotated[bool, typer.Option("--admin", help="Make a server admin.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user with a password."""
    password = _read_password(from_stdin=password_stdin)
    with runtime() as rt:
        rt.accounts.create_user(OPERATOR, name, password=password, admin=admin)
    typer.echo(f"created {'admin ' if admin else ''}user {name!r}")


@user_app.command("list")
def user_list() -> None:
    """List users."""
    with runtime() as rt:
        for user in rt.accounts.users(OPERATOR):
            typer.echo(f"{user.name}\t{'admin' if user.is_admin else 'user'}")


@user_app.command("password")
def user_password(
    name: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a user's password (cached verifications of the old one end at once)."""
    password = _read_password(from_stdin=password_stdin)
    with runtime() as rt:
        rt.accounts.set_password(OPERATOR, name, password)
    typer.echo(f"changed the password of {name!r}")


@user_app.command("delete")
def user_delete(name: str) -> None:
    """Delete a user, their grants and tokens."""
    with runtime() as rt:
        rt.accounts.delete_user(OPERATOR, name)
    typer.echo(f"deleted user {name!r}")


@team_app.command("create")
def team_create(name: str) -> None:
    """Create a team."""
    with runtime() as rt:
        rt.accounts.create_team(OPERATOR, name)
    typer.echo(f"created team {name!r}")


@team_app.command("add")
def team_add(team: str, user: str) -> None:
    """Add a user to a team."""
    with runtime() as rt:
        rt.accounts.add_member(OPERATOR, team, user)
    typer.echo(f"added {user!r} to team {team!r}")


@team_app.command("remove")
def team_remove(team: str, user: str) -> None:
    """Remove a user from a team."""
    with runtime() as rt:
        rt.accounts.remove_member(OPERATOR, team, user)
    typer.echo(f"removed {user!r} from team {team!r}")


@team_app.command("list")
def team_list() -> None:
    """List teams and their members."""
    with runtime() as rt:
        for team in rt.accounts.teams(OPERATOR):
            typer.echo(f"{team.name}\t{', '.join(team.members)}")


def grant(
    role: str,
    index: Annotated[str, typer.Option(help="The index to grant a role on.")],
    user: UserOption = None,
    team: TeamOption = None,
) -> None:
    """Give a user or a team a role on an index (reader, uploader, maintainer, owner)."""
    parsed = Role.parse(role)
    with runtime() as rt:
        done = rt.accounts.grant(OPERATOR, parsed, index=index, user=user, team=team)
    typer.echo(f"granted {parsed} on {index!r} to {done.kind} {done.name!r}")


def revoke(
    index: Annotated[str, typer.Option(help="The index to revoke a role on.")],
    user: UserOption = None,
    team: TeamOption = None,
) -> None:
    """Take a user's or a team's role on an index away."""
    with runtime() as rt:
        rt.accounts.revoke(OPERATOR, index=index, user=user, team=team)
    typer.echo(f"revoked the role of {'user ' + repr(user) if user else 'team ' + repr(team)}")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option(help="The user the token acts for.")],
    index: Annotated[
        str | None, typer.Option(help="The index the token is limited to (default: all).")
    ] = None,
    role: Annotated[str, typer.Option(help="The token's role (at most the user's).")] = "uploader",
    name: Annotated[str, typer.Option(help="A name to recognise the token by.")] = "",
    expires_days: Annotated[int | None, typer.Option(help="Expire after N days.", min=1)] = None,
) -> None:
    """Create an API token; the token is printed once, as the last line."""
    expires = timedelta(days=expires_days) if expires_days else None
    parsed = Role.parse(role)
    with runtime() as rt:
        issued = rt.accounts.create_token(
            OPERATOR, user=user, index=index, role=parsed, name=name, expires_in=expires
        )
    info = issued.info
    until = f", expires {info.expires_at:%Y-%m-%d}" if info.expires_at else ""
    scope = repr(index) if index else "all of its user's indexes"
    typer.echo(f"token {info.id} for {user!r} on {scope} as {parsed}{until}:")
    typer.echo(issued.secret)


@token_app.command("list")
def token_list(user: Annotated[str, typer.Option(help="Whose tokens.")]) -> None:
    """List a user's tokens (never their secrets)."""
    with runtime() as rt:
        for t in rt.accounts.tokens(OPERATOR, user=user):
            state = "revoked" if t.revoked_at else "active"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
            typer.echo(f"{t.id}\t{t.name or '-'}\t{t.index or '*'}\t{t.role}\t{state}\t{used}")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1)]) -> None:
    """Revoke a token; it is refused from the next request on."""
    with runtime() as rt:
        rt.accounts.revoke_token(OPERATOR, token_id)
    typer.echo(f"revoked token {token_id}")
