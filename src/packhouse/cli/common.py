"""What every administration command shares: the runtime, and printing a change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from packhouse.cli.datadir import require_existing
from packhouse.config import Settings
from packhouse.services.versions import Change
from packhouse.wiring import Runtime, build


@contextmanager
def runtime() -> Iterator[Runtime]:
    """The server's own runtime, from the same PACKHOUSE_* configuration as ``serve``.

    Its data must exist already: see ``packhouse init``.
    """
    settings = Settings()
    require_existing(settings)
    built = build(settings)
    try:
        yield built
    finally:
        built.close()


def report(change: Change, *, summary: str | None = None) -> None:
    """Print what a change made: its summary (or the command's own words) and the new version."""
    said = summary or change.summary
    if change.version is None:
        typer.echo(f"nothing to do ({said}: already so)")
    else:
        typer.echo(f"{said}: index version {change.version}")
