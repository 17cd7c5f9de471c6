"""The PyPI JSON API's view of a project and its releases."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from sqlalchemy.orm import Session, sessionmaker

from packhouse.blobs import BlobStore
from packhouse.db.files import FileRepo, LiveFile
from packhouse.domain.model import Index
from packhouse.errors import NotFound

#: ``info`` fields taken from the core metadata as the file declares them (None when absent).
_INFO_FIELDS = (
    "author",
    "author_email",
    "classifiers",
    "description",
    "description_content_type",
    "download_url",
    "dynamic",
    "home_page",
    "keywords",
    "license",
    "license_expression",
    "license_files",
    "maintainer",
    "maintainer_email",
    "platform",
    "project_urls",
    "provides_extra",
    "requires_dist",
    "requires_python",
    "summary",
)
#: List fields PyPI sends as None when empty (``classifiers`` is always a list).
_NONE_WHEN_EMPTY = ("dynamic", "license_files", "project_urls", "provides_extra", "requires_dist")
#: PyPI stopped counting downloads; tools still read the shape.
_NO_DOWNLOADS = {"last_day": -1, "last_week": -1, "last_month": -1}


@dataclass(frozen=True, slots=True)
class Links:
    """Where a document's URLs point: prefixes for files and for the web UI's pages."""

    #: ``.../pypi/<index>/files/``; a file's URL is this, its sha256, ``/`` and its name.
    files: str
    #: ``.../indexes/<index>/``; a project's page is this and ``<project>/``.
    pages: str


class ProjectInfoService:
    """Builds ``/pypi/<project>/json`` and ``/pypi/<project>/<version>/json`` documents."""

    def __init__(self, *, sessions: sessionmaker[Session], blobs: BlobStore) -> None:
        self._sessions = sessions
        self._blobs = blobs

    def project(
        self, index: Index, project: NormalizedName, *, version: str | None, links: Links
    ) -> dict[str, object]:
        with self._sessions() as session:
            repo = FileRepo(session)
            files = repo.live_files(index.id, index.version, project=project)
            yanks = repo.live_yanks(index.id, index.version, project=project)
        if not files:
            raise NotFound(f"no project {project!r} in index {index.name!r}")
        releases: dict[str, list[LiveFile]] = defaultdict(list)
        for f in files:
            releases[f.version].append(f)
        # Yanks name a release by its canonical version: ``1`` covers files of 1.0 and 1.0.0.
        yanks = {
            (project, f.version): yanks[project, f.release]
            for f in files
            if (project, f.release) in yanks
        }
        chosen = self._choose(releases, yanks, project, version)
        entries = {
            v: [_file_entry(f, links.files, yanks.get((project, v))) for f in releases[v]]
            for v in sorted(releases, key=Version)
        }
        document: dict[str, object] = {
            "info": self._info(releases[chosen], chosen, yanks.get((project, chosen)), links),
            "last_serial": index.version,
            "urls": entries[chosen],
            "vulnerabilities": [],
        }
        if version is None:
            document["releases"] = entries
        return document

    @staticmethod
    def _choose(
        releases: dict[str, list[LiveFile]],
        yanks: dict[tuple[str, str], str],
        project: str,
        version: str | None,
    ) -> str:
        if version is not None:
            wanted = str(Version(version)) if _is_version(version) else version
            if wanted not in releases:
                raise NotFound(f"no release {project} {version}")
            return wanted
        ordered = sorted(releases, key=Version)
        stable = [v for v in ordered if not Version(v).is_prerelease and (project, v) not in yanks]
        return (stable or ordered)[-1]

    def _info(
        self, files: Sequence[LiveFile], version: str, yanked: str | None, links: Links
    ) -> dict[str, object]:
        """PyPI's ``info`` object, key for key (warehouse ``legacy/api/json.py``)."""
        first = files[0]
        project_page = f"{links.pages}{canonicalize_name(first.display_name)}/"
        info: dict[str, object] = {field: None for field in _INFO_FIELDS}
        info.update(
            name=first.display_name,
            version=version,
            summary=first.summary,
            requires_python=first.requires_python,
            classifiers=[],
            downloads=dict(_NO_DOWNLOADS),
            package_url=project_page,
            project_url=project_page,
            release_url=f"{project_page}{version}/",
            docs_url=None,
            bugtrack_url=None,
            yanked=yanked is not None,
            yanked_reason=yanked or None,
        )
        if first.metadata_sha256 is not None:
            info.update(self._metadata_fields(first.metadata_sha256))
        return info

    def _metadata_fields(self, sha256: str) -> dict[str, object]:
        with self._blobs.open(sha256) as blob:
            raw, _unparsed = parse_email(blob.read())
        fields: dict[str, object] = {}
        for field in _INFO_FIELDS:
            if field in raw:
                fields[field] = raw[field]  # type: ignore[literal-required]
        for field in _NONE_WHEN_EMPTY:
            if not fields.get(field):
                fields[field] = None
        return fields


def _is_version(value: str) -> bool:
    try:
        Version(value)
    except ValueError:
        return False
    return True


def _file_entry(f: LiveFile, files_url: str, yanked: str | None) -> dict[str, object]:
    upload_time = f.uploaded_at
    return {
        "filename": f.filename,
        "url": f"{files_url}{f.sha256}/{f.filename}",
        "digests": {"sha256": f.sha256, "md5": f.md5, "blake2b_256": f.blake2_256},
        "md5_digest": f.md5,
        "size": f.size,
        "downloads": -1,
        "packagetype": f.kind,
        "python_version": "source" if f.kind == "sdist" else _wheel_python(f.filename),
        "requires_python": f.requires_python,
        "upload_time": upload_time.strftime("%Y-%m-%dT%H:%M:%S"),
        "upload_time_iso_8601": upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "yanked": yanked is not None,
        "yanked_reason": yanked or None,
        "has_sig": False,
        "comment_text": "",
    }


def _wheel_python(filename: str) -> str:
    parts = filename.removesuffix(".whl").split("-")
    return parts[-3] if len(parts) >= 5 else "py3"
