"""Options every command takes: where the server's data lives."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer


def global_options(
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
