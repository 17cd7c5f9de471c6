"""The ``packhouse`` command: serve, and administer indexes, users and tokens on this server."""

from __future__ import annotations

import sys

import typer

from packhouse.cli import admin, serve
from packhouse.errors import PackhouseError

app = typer.Typer(
    name="packhouse",
    help="Packhouse: a self-hosted Python package repository server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
admin.register(app)


def main() -> None:
    try:
        app()
    except PackhouseError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(1)
