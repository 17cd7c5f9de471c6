"""What every administration command shares: the runtime, and printing a change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from packhouse.config import Settings
from packhouse.services.versions import Change
from packhouse.wiring import Runtime, build


@contextmanager
def runtime() -> Iterator[Runtime]:
    """The server's own runtime, from the same PACKHOUSE_* configuration as ``serve``."""
    built = build(Settings())
    try:
        yield built
    finally:
        built.close()


def report(change: Change) -> None:
    if change.version is None:
        typer.echo(f"nothing to do ({change.summary}: already so)")
    else:
        typer.echo(f"{change.summary}: index version {change.version}")
