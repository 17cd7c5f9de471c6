"""Settings: PACKHOUSE_* environment variables, an optional TOML file, and CLI overrides."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """Everything a Packhouse process needs to know; frozen and built once per process."""

    model_config = SettingsConfigDict(env_prefix="PACKHOUSE_", frozen=True, extra="ignore")

    #: Folder for the default SQLite database and the default blob folder.
    data_dir: Path = Path("./packhouse-data")
    #: SQLAlchemy URL; default SQLite in the data dir. ``postgresql://`` uses psycopg 3.
    database_url: str | None = None
    #: Blob storage; default a folder in the data dir (``file:///path``).
    storage_url: str | None = None
    #: Public URL of the server when behind a proxy (used for absolute links).
    base_url: str | None = None
    #: Largest accepted upload, in bytes (PyPI's default limit is 100 MiB).
    max_upload_size: int = Field(default=100 * 1024 * 1024, gt=0)
    #: Largest core metadata file read from an archive, in bytes.
    max_metadata_size: int = Field(default=4 * 1024 * 1024, gt=0)
    #: How long a verified password stays verified in memory, in seconds.
    credential_cache_seconds: float = Field(default=60.0, ge=0)
    #: Failed logins one client may make within the window before it is refused (429).
    login_failure_limit: int = Field(default=20, ge=0)
    #: The sliding window for counting failed logins, in seconds.
    login_failure_window: float = Field(default=300.0, gt=0)
    #: Seconds a request body may take to arrive, beyond what :attr:`body_min_rate` earns.
    body_timeout: float = Field(default=60.0, gt=0)
    #: Each this many bytes received earn a body one more second (a slow but steady upload
    #: finishes; a stalled or trickling one is answered 408 and its connection closed).
    body_min_rate: int = Field(default=16 * 1024, gt=0)
    #: Entries in the in-memory page cache (per process).
    page_cache_entries: int = Field(default=4096, ge=0)
    #: nginx's internal location for blobs (e.g. ``/_packhouse_blobs/``): when set, file downloads
    #: answer with ``X-Accel-Redirect`` after the access check and nginx sends the bytes.
    accel_redirect_prefix: str | None = None
    #: Proxies whose ``X-Forwarded-For``/``-Proto`` are believed: addresses and networks,
    #: comma-separated (``127.0.0.1`` for the nginx front on this host; ``*`` for any). Empty
    #: (the default): nobody's, so no local process can pose as another client.
    forwarded_allow_ips: str = ""
    #: Who may create indexes (``PACKHOUSE_INDEX_CREATORS``): ``admins`` only, or every ``users``.
    index_creators: Literal["admins", "users"] = "admins"
    #: Optional TOML file with the same keys (``PACKHOUSE_CONFIG``).
    config: Path | None = None

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _valid_forwarded_allow_ips(cls, value: str) -> str:
        return check_forwarded_allow_ips(value)

    @field_validator("accel_redirect_prefix")
    @classmethod
    def _valid_accel_redirect_prefix(cls, value: str | None) -> str | None:
        return check_accel_redirect_prefix(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - no .env files by design
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get("PACKHOUSE_CONFIG")
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)

    @property
    def uses_data_dir(self) -> bool:
        """Whether anything lives in the data dir: the default database or file store."""
        return self.database_url is None or self.storage_url is None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'packhouse.sqlite3').resolve()}"

    @property
    def resolved_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return (self.data_dir / "blobs").resolve().as_uri()

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the non-None overrides applied (CLI options)."""
        values = {key: value for key, value in overrides.items() if value is not None}
        return self.model_copy(update=values)


_ACCEL_PREFIX = re.compile(r"/(?:[A-Za-z0-9_][A-Za-z0-9._~-]*/)+")


def check_accel_redirect_prefix(value: str | None) -> str | None:
    """A URL path of plain segments that starts and ends with ``/``; empty means unset.

    >>> check_accel_redirect_prefix("/_packhouse_blobs/"), check_accel_redirect_prefix("")
    ('/_packhouse_blobs/', None)
    >>> check_accel_redirect_prefix("/blobs")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: PACKHOUSE_ACCEL_REDIRECT_PREFIX must ... ending with '/'), not '/blobs'
    """
    if not value:
        return None
    if not _ACCEL_PREFIX.fullmatch(value):
        raise ValueError(
            "PACKHOUSE_ACCEL_REDIRECT_PREFIX must be a path like '/_packhouse_blobs/' "
            f"(starting and ending with '/'), not {value!r}"
        )
    return value


def check_forwarded_allow_ips(value: str) -> str:
    """Comma-separated addresses and networks, or ``*``; spaces are dropped.

    >>> check_forwarded_allow_ips(" 127.0.0.1, 10.0.0.0/8 ,::1")
    '127.0.0.1,10.0.0.0/8,::1'
    >>> check_forwarded_allow_ips("localhost")
    Traceback (most recent call last):
    ...
    ValueError: PACKHOUSE_FORWARDED_ALLOW_IPS: 'localhost' is not an IP address or network
    """
    items = [item.strip() for item in value.split(",") if item.strip()]
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"PACKHOUSE_FORWARDED_ALLOW_IPS: {item!r} is not an IP address or network"
            ) from None
    return ",".join(items)


def normalize_database_url(url: str) -> str:
    """Let users write ``postgresql://``; we always drive PostgreSQL through psycopg 3.

    >>> normalize_database_url("postgresql://u@h/db")
    'postgresql+psycopg://u@h/db'
    >>> normalize_database_url("sqlite:///x.db")
    'sqlite:///x.db'
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
