"""build(settings) -> Runtime: the one place that knows the concrete adapters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from packhouse.blobs import BlobStore, open_store
from packhouse.config import Settings
from packhouse.db import make_engine, make_sessionmaker, upgrade
from packhouse.db.state import IndexStateReader, state_reader
from packhouse.domain.policy import IndexCreators
from packhouse.services.access import AccessService
from packhouse.services.accounts import AccountService
from packhouse.services.auth import AuthService, LoginThrottle
from packhouse.services.downloads import DownloadService
from packhouse.services.indexes import IndexAdmin
from packhouse.services.pages import PageCache, PageService
from packhouse.services.project_info import ProjectInfoService
from packhouse.services.projects import ProjectService
from packhouse.services.uploads import UploadService
from packhouse.services.versions import VersionService


@dataclass(frozen=True, slots=True)
class Runtime:
    """Adapters and services of one process, built once and closed at shutdown."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    #: The hot path's one lookup per request.
    states: IndexStateReader
    page_cache: PageCache
    access: AccessService
    auth: AuthService
    versions: VersionService
    uploads: UploadService
    pages: PageService
    downloads: DownloadService
    project_info: ProjectInfoService
    indexes: IndexAdmin
    projects: ProjectService
    accounts: AccountService

    def check(self) -> None:
        """Raise if the database or the blob store cannot be used."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        self.blobs.check()

    def close(self) -> None:
        self.states.close()
        self.engine.dispose()


def build(settings: Settings, *, migrate: bool = True) -> Runtime:
    if settings.uses_data_dir:  # a PostgreSQL database with S3 storage needs no data dir
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the database is private
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        upgrade(engine)
    sessions = make_sessionmaker(engine)
    blobs = open_store(settings.resolved_storage_url)
    access = AccessService(sessions=sessions, index_creators=IndexCreators(settings.index_creators))
    auth = AuthService(
        sessions=sessions,
        cache_seconds=settings.credential_cache_seconds,
        throttle=LoginThrottle(
            limit=settings.login_failure_limit, window=settings.login_failure_window
        ),
    )
    versions = VersionService(sessions=sessions)
    page_cache = PageCache(entries=settings.page_cache_entries)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        blobs=blobs,
        states=state_reader(engine),
        page_cache=page_cache,
        access=access,
        auth=auth,
        versions=versions,
        uploads=UploadService(
            access=access,
            versions=versions,
            blobs=blobs,
            max_upload_size=settings.max_upload_size,
            max_metadata_size=settings.max_metadata_size,
        ),
        pages=PageService(sessions=sessions, cache=page_cache),
        downloads=DownloadService(sessions=sessions, blobs=blobs),
        project_info=ProjectInfoService(sessions=sessions, blobs=blobs),
        indexes=IndexAdmin(sessions=sessions, access=access, versions=versions),
        projects=ProjectService(sessions=sessions, access=access, versions=versions),
        accounts=AccountService(sessions=sessions, access=access, auth=auth),
    )
