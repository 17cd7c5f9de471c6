"""The ``packhouse`` command: serve, and administer indexes, users and tokens on this server."""

from __future__ import annotations

import sys

import typer

from packhouse.cli import accounts, indexes, projects, serve
from packhouse.cli.options import global_options
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
app.add_typer(indexes.index_app, name="index")
app.add_typer(accounts.user_app, name="user")
app.add_typer(accounts.team_app, name="team")
app.add_typer(accounts.token_app, name="token")
app.add_typer(projects.project_app, name="project")
for command in (
    accounts.grant,
    accounts.revoke,
    indexes.yank,
    indexes.unyank,
    indexes.remove,
    indexes.audit,
):
    app.command(command.__name__)(command)


def main() -> None:
    try:
        app()
    except PackhouseError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(1)
