"""The ``packhouse`` command: serve, and administer indexes, users and tokens on this server."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from packhouse.cli import accounts, datadir, indexes, projects, serve
from packhouse.cli.options import env_var, global_options
from packhouse.errors import PackhouseError

app = typer.Typer(
    name="packhouse",
    help="Packhouse: a self-hosted Python package repository server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.callback()(global_options)
app.command("serve")(serve.serve)
app.command("init")(datadir.init)
app.add_typer(indexes.index_app, name="index")
app.add_typer(accounts.user_app, name="user")
app.add_typer(accounts.team_app, name="team")
app.add_typer(accounts.token_app, name="token")
app.add_typer(projects.project_app, name="project")
for command in (accounts.grant, accounts.revoke, indexes.audit):
    app.command(command.__name__)(command)
for legacy in (indexes.yank, indexes.unyank, indexes.remove):
    app.command(legacy.__name__, context_settings=indexes.LEGACY_FORM)(legacy)


def main() -> None:
    try:
        app()
    except PackhouseError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(1)
    except ValidationError as exc:
        print(f"error: {settings_error(exc)}", file=sys.stderr)
        sys.exit(1)


def settings_error(exc: ValidationError) -> str:
    """The first bad setting of a ValidationError, on one line, with its variable and value."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    return f"{env_var(field)} (--{field.replace('_', '-')}): {first['msg']}, not {first['input']!r}"
