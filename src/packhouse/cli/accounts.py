"""``packhouse user|team|token …``, ``grant`` and ``revoke``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from packhouse.cli.common import runtime
from packhouse.cli.listing import JsonOption, print_rows
from packhouse.domain.roles import OPERATOR, Role
from packhouse.errors import Invalid
from packhouse.services.accounts import TokenInfo

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
team_app = typer.Typer(help="Manage teams.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)

UserArgument = Annotated[str, typer.Argument(help="The user's name.", show_default=False)]
TeamArgument = Annotated[str, typer.Argument(help="The team's name.", show_default=False)]
PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input instead of asking for it.",
    ),
]


def _read_password(*, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise Invalid("no terminal to ask for the password: pipe it with --password-stdin")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@user_app.command("create")
def user_create(
    name: UserArgument,
    admin: Annotated[
        bool, typer.Option("--admin", help="Make the user a server admin, who manages everything.")
    ] = False,
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Create a user with a password."""
    password = _read_password(from_stdin=password_stdin)
    with runtime() as rt:
        rt.accounts.create_user(OPERATOR, name, password=password, admin=admin)
    typer.echo(f"created {'admin ' if admin else ''}user {name!r}")


@user_app.command("list")
def user_list(as_json: JsonOption = False) -> None:
    """List users: name, whether they are an admin, when they were created."""
    with runtime() as rt:
        users = rt.accounts.users(OPERATOR)
    rows = [{"name": u.name, "admin": u.is_admin, "created_at": u.created_at} for u in users]
    print_rows(rows, ("name", "admin", "created_at"), as_json=as_json)


@user_app.command("password")
def user_password(name: UserArgument, password_stdin: PasswordStdinOption = False) -> None:
    """Set a user's password (cached verifications of the old one end at once)."""
    password = _read_password(from_stdin=password_stdin)
    with runtime() as rt:
        rt.accounts.set_password(OPERATOR, name, password)
    typer.echo(f"changed the password of {name!r}")


@user_app.command("delete")
def user_delete(name: UserArgument) -> None:
    """Delete a user, their grants and tokens."""
    with runtime() as rt:
        rt.accounts.delete_user(OPERATOR, name)
    typer.echo(f"deleted user {name!r}")


@team_app.command("create")
def team_create(name: TeamArgument) -> None:
    """Create a team."""
    with runtime() as rt:
        rt.accounts.create_team(OPERATOR, name)
    typer.echo(f"created team {name!r}")


@team_app.command("add")
def team_add(team: TeamArgument, user: UserArgument) -> None:
    """Add a user to a team."""
    with runtime() as rt:
        rt.accounts.add_member(OPERATOR, team, user)
    typer.echo(f"added {user!r} to team {team!r}")


@team_app.command("remove")
def team_remove(team: TeamArgument, user: UserArgument) -> None:
    """Remove a user from a team."""
    with runtime() as rt:
        rt.accounts.remove_member(OPERATOR, team, user)
    typer.echo(f"removed {user!r} from team {team!r}")


@team_app.command("list")
def team_list(as_json: JsonOption = False) -> None:
    """List teams and their members."""
    with runtime() as rt:
        teams = rt.accounts.teams(OPERATOR)
    if as_json:
        print_rows(
            [{"name": t.name, "members": list(t.members)} for t in teams],
            ("name", "members"),
            as_json=True,
        )
        return
    rows = [{"name": t.name, "members": ",".join(t.members)} for t in teams]
    print_rows(rows, ("name", "members"), as_json=False)


def grant(
    role: Annotated[
        str, typer.Argument(help="reader, uploader, maintainer or owner.", show_default=False)
    ],
    index: Annotated[str, typer.Option(help="The index to grant the role on.", show_default=False)],
    user: Annotated[
        str | None, typer.Option(help="The user to grant it to.", show_default=False)
    ] = None,
    team: Annotated[
        str | None, typer.Option(help="The team to grant it to.", show_default=False)
    ] = None,
) -> None:
    """Give a user or a team a role on an index (reader, uploader, maintainer, owner)."""
    parsed = Role.parse(role)
    with runtime() as rt:
        done = rt.accounts.grant(OPERATOR, parsed, index=index, user=user, team=team)
    typer.echo(f"granted {parsed} on {index!r} to {done.kind} {done.name!r}")


def revoke(
    index: Annotated[str, typer.Option(help="The index to revoke a role on.", show_default=False)],
    user: Annotated[
        str | None, typer.Option(help="The user whose role to revoke.", show_default=False)
    ] = None,
    team: Annotated[
        str | None, typer.Option(help="The team whose role to revoke.", show_default=False)
    ] = None,
) -> None:
    """Take a user's or a team's role on an index away."""
    with runtime() as rt:
        rt.accounts.revoke(OPERATOR, index=index, user=user, team=team)
    typer.echo(f"revoked the role of {'user ' + repr(user) if user else 'team ' + repr(team)}")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option(help="The user the token acts for.", show_default=False)],
    index: Annotated[
        str | None,
        typer.Option(
            help="The one index the token may act on (default: all of its user's).",
            show_default=False,
        ),
    ] = None,
    role: Annotated[
        str,
        typer.Option(
            help="The token's role: reader, uploader, maintainer or owner (at most the user's)."
        ),
    ] = "uploader",
    name: Annotated[
        str, typer.Option(help="A name to recognise the token by in `token list`.")
    ] = "",
    expires_days: Annotated[
        int | None,
        typer.Option(
            help="Days until the token expires (default: never).", min=1, show_default=False
        ),
    ] = None,
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
def token_list(
    user: Annotated[str, typer.Option(help="The user whose tokens to list.", show_default=False)],
    as_json: JsonOption = False,
) -> None:
    """List a user's tokens (never their secrets), each active, expired or revoked."""
    with runtime() as rt:
        tokens = rt.accounts.tokens(OPERATOR, user=user)
    now = datetime.now(UTC)
    rows = [_token_row(t, now) for t in tokens]
    print_rows(rows, TOKEN_COLUMNS, as_json=as_json)


TOKEN_COLUMNS = ("id", "name", "index", "role", "state", "expires_at", "last_used_at")


def _token_row(token: TokenInfo, now: datetime) -> dict[str, object]:
    return {
        "id": token.id,
        "name": token.name,
        "index": token.index or "*",
        "role": str(token.role),
        "state": token_state(token, now),
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
    }


def token_state(token: TokenInfo, now: datetime) -> str:
    """``revoked``, ``expired`` or ``active``: revocation is said first, as it is final."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[
        int, typer.Argument(help="The token's id, as `token list` shows it.", min=1, max=2**31 - 1)
    ],
) -> None:
    """Revoke a token; it is refused from the next request on."""
    with runtime() as rt:
        rt.accounts.revoke_token(OPERATOR, token_id)
    typer.echo(f"revoked token {token_id}")
