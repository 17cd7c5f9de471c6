"""Lists for people and for scripts: tab-separated rows under a header, or JSON with ``--json``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

import typer

#: The ``--json`` option of every list.
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print JSON (a list of objects) instead of tab-separated rows under a header.",
    ),
]

Row = Mapping[str, Any]


def print_rows(rows: Sequence[Row], columns: Sequence[str], *, as_json: bool) -> None:
    """Rows as tab-separated ``columns`` under an upper-case header, or as a JSON list."""
    if as_json:
        print_json([{key: row[key] for key in columns} for row in rows])
        return
    typer.echo("\t".join(column.upper() for column in columns))
    for row in rows:
        typer.echo("\t".join(text(row[key]) for key in columns))


def print_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, default=_json_value))


def text(value: object) -> str:
    """A value as one tab-free field: ``-`` for none, times to the second, booleans in lower case.

    >>> text(None), text(True), text("two\\twords"), text(datetime(2026, 1, 2, 3, 4, 5, 6))
    ('-', 'true', 'two words', '2026-01-02 03:04:05')
    """
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return " ".join(str(value).replace("\t", " ").splitlines())


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {value!r}")
