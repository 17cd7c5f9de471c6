"""Options built from the Settings: every setting is a ``serve`` option, and some are global."""

from __future__ import annotations

import inspect
import os
import types
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import typer

from packhouse import __version__
from packhouse.config import Settings

F = TypeVar("F", bound=Callable[..., Any])

#: What each setting does, for ``--help`` (the README's configuration table says the same).
#: Every Settings field needs an entry: ``tests/e2e/test_cli.py`` checks it.
SETTING_HELP: dict[str, str] = {
    "data_dir": "Folder of the SQLite database and the file store; `packhouse init` creates it.",
    "database_url": (
        "Database URL: sqlite:///PATH or postgresql://USER@HOST/DB (default: SQLite in the "
        "data dir)."
    ),
    "storage_url": (
        "Where distribution files are stored: file:///PATH or s3://BUCKET/PREFIX (default: "
        "blobs/ in the data dir)."
    ),
    "base_url": "Public URL of the server, used for absolute links when behind a reverse proxy.",
    "max_upload_size": "Largest accepted upload, in bytes.",
    "max_metadata_size": "Largest core metadata file read from an upload, in bytes.",
    "credential_cache_seconds": (
        "How long a verified password stays verified in memory, in seconds (0: never cached)."
    ),
    "login_failure_limit": (
        "Failed logins one client may make within the window before it is refused (429)."
    ),
    "login_failure_window": "The sliding window for counting failed logins, in seconds.",
    "page_cache_entries": "Rendered pages each worker process keeps in memory.",
    "body_timeout": (
        "Seconds a request body (an upload) may take, plus one second per BODY_MIN_RATE bytes "
        "received; a slower body is answered 408."
    ),
    "body_min_rate": "Bytes of a request body that earn it one more second (see BODY_TIMEOUT).",
    "accel_redirect_prefix": (
        "nginx's internal location for files (e.g. /_packhouse_blobs/): downloads answer with "
        "X-Accel-Redirect and nginx sends the bytes."
    ),
    "forwarded_allow_ips": (
        "Proxies whose X-Forwarded-For/-Proto headers are believed: comma-separated addresses "
        "or networks, * for any (default: none)."
    ),
    "index_creators": "Who may create indexes through the API: admins, or every signed-in user.",
    "config": "A TOML file whose keys are these settings (environment variables win over it).",
}

#: The settings every command takes: where the server's data lives.
GLOBAL_SETTINGS = ("data_dir", "database_url", "storage_url", "config")

#: Option value types Click converts itself; anything else is passed as text to Settings.
_CLICK_TYPES = (int, float, Path, str)


def env_var(field: str) -> str:
    """The environment variable of a setting.

    >>> env_var("max_upload_size")
    'PACKHOUSE_MAX_UPLOAD_SIZE'
    """
    return f"PACKHOUSE_{field.upper()}"


def setting_help(field: str) -> str:
    """The help text of a setting's option: what it does, its variable and its default."""
    text = SETTING_HELP.get(field) or Settings.model_fields[field].description or ""
    default = Settings.model_fields[field].default
    if isinstance(default, Path) and not default.is_absolute():
        default = f"./{default}"
    shown = f", default {default}" if default not in (None, "") else ""
    return f"{text} (env {env_var(field)}{shown})"  # no [...]: rich would take it for markup


def setting_parameters(fields: Iterable[str] | None = None) -> list[inspect.Parameter]:
    """One keyword-only Typer option per setting, ``--max-upload-size`` for ``max_upload_size``.

    Each defaults to None: unset options leave the environment and the TOML file in charge.
    """
    names = list(Settings.model_fields) if fields is None else list(fields)
    return [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=_option(name),
        )
        for name in names
    ]


def _option(field: str) -> Any:
    """The annotated type of a setting's option: its own type where Click knows it, else text."""
    annotation: Any = Settings.model_fields[field].annotation
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else str
    known = annotation in _CLICK_TYPES or get_origin(annotation) is Literal  # Typer: choices
    option = typer.Option(help=setting_help(field), show_default=False)
    kind: Any = annotation if known else str
    return Annotated[kind | None, option]


def with_setting_options(fields: Iterable[str] | None = None) -> Callable[[F], F]:
    """Give a command taking ``**settings`` one option per setting (all of them by default)."""

    def decorate(func: F) -> F:
        own = inspect.signature(func, eval_str=True)
        kept = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD]
        signature = own.replace(parameters=[*kept, *setting_parameters(fields)])
        func.__signature__ = signature  # type: ignore[attr-defined]  # Typer reads it
        return func

    return decorate


def apply_settings(values: Mapping[str, Any]) -> None:
    """Put the given option values into the environment, where Settings and workers read them.

    A relative data dir is made absolute here, so that it means the folder it meant when typed.
    """
    for field, value in values.items():
        if value is None:
            continue
        if field == "data_dir":
            value = Path(value).resolve()
        os.environ[env_var(field)] = str(value)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"packhouse {__version__}")
        raise typer.Exit


@with_setting_options(GLOBAL_SETTINGS)
def global_options(
    version: Annotated[  # noqa: ARG001 - handled by its eager callback
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    **settings: Any,
) -> None:
    """Packhouse: a self-hosted Python package repository server.

    Administration commands act on the server's existing data (its data dir or database):
    run them where `packhouse serve` runs, or point at the data with --data-dir.
    """
    apply_settings(settings)
