"""Uploads: check the request, stage and verify the bytes, record them in a new index version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version

from packhouse.blobs import BlobStore, StagedBlob
from packhouse.db.files import FileRepo, Membership, NewDistribution
from packhouse.domain.archives import read_core_metadata
from packhouse.domain.digests import ClaimedDigests
from packhouse.domain.filenames import DistFilename, DistKind
from packhouse.domain.metadata import CoreMetadata
from packhouse.domain.model import Index, IndexKind
from packhouse.domain.roles import Action, Principal
from packhouse.errors import InvalidUpload
from packhouse.services.access import AccessService
from packhouse.services.projects import admit_upload
from packhouse.services.versions import VersionService


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """A legacy-API upload, parsed from the form at the edge."""

    #: The project name the form sent.
    name: str
    #: The version the form sent.
    version: str
    filename: str
    #: ``bdist_wheel`` or ``sdist``, as the form sent it.
    filetype: str
    digests: ClaimedDigests


@dataclass(frozen=True, slots=True)
class UploadResult:
    filename: str
    sha256: str
    #: The index version the upload made; None when the same file was already there.
    version: int | None


class UploadService:
    """Publishes files to hosted indexes."""

    def __init__(
        self,
        *,
        access: AccessService,
        versions: VersionService,
        blobs: BlobStore,
        max_upload_size: int,
        max_metadata_size: int,
    ) -> None:
        self._access = access
        self._versions = versions
        self._blobs = blobs
        self._max_upload_size = max_upload_size
        self._max_metadata_size = max_metadata_size

    def publish(
        self, index: Index, principal: Principal | None, req: UploadRequest, stream: BinaryIO
    ) -> UploadResult:
        """Publish to an index the caller found (``AccessService.require`` or ``known``)."""
        self._access.check(principal, Action.UPLOAD, index)
        if index.kind is not IndexKind.HOSTED:
            raise InvalidUpload(
                f"index {index.name!r} is a {index.kind} index; upload to a hosted one"
            )
        dist = self._check(req)
        staged = self._blobs.stage(stream, max_size=self._max_upload_size)
        try:
            meta = self._verify(req, dist, staged)
            return self._record(index, principal, dist, meta, staged)
        finally:
            staged.discard()

    def _check(self, req: UploadRequest) -> DistFilename:
        dist = DistFilename.parse(req.filename)
        if req.filetype and req.filetype != dist.kind.value:
            raise InvalidUpload(
                f"filetype {req.filetype!r} does not match {dist.filename!r}, a {dist.kind.value}"
            )
        if canonicalize_name(req.name) != dist.project:
            raise InvalidUpload(
                f"the form names project {req.name!r} but the filename {dist.filename!r} "
                f"names {dist.project!r}"
            )
        try:
            form_version = Version(req.version)
        except InvalidVersion:
            raise InvalidUpload(f"invalid version {req.version!r}: see PEP 440") from None
        if canonicalize_version(form_version) != canonicalize_version(dist.version):
            raise InvalidUpload(
                f"the form has version {req.version!r} but the filename "
                f"{dist.filename!r} has {str(dist.version)!r}"
            )
        return dist

    def _verify(self, req: UploadRequest, dist: DistFilename, staged: StagedBlob) -> CoreMetadata:
        req.digests.verify(staged.digests)
        if staged.digests.size == 0:
            raise InvalidUpload("the uploaded file is empty")
        with staged.open() as archive:
            raw = read_core_metadata(archive, dist, max_size=self._max_metadata_size)
        meta = CoreMetadata.parse(raw)
        meta.check_matches(dist)
        return meta

    def _record(
        self,
        index: Index,
        principal: Principal | None,
        dist: DistFilename,
        meta: CoreMetadata,
        staged: StagedBlob,
    ) -> UploadResult:
        sha256 = staged.digests.sha256
        actor = principal.name if principal else None
        any_project = self._access.allows(principal, Action.UPLOAD_TO_ANY_PROJECT, index)
        with self._versions.begin(index, action="upload", principal=principal) as draft:
            admit_upload(draft, principal, dist.project, any_project=any_project)
            if self._already_there(draft.files, index, dist, sha256):
                draft.discard()
                return UploadResult(dist.filename, sha256, None)
            [metadata_sha256] = staged.commit(meta.raw)
            new = _new_distribution(dist, meta, staged, metadata_sha256)
            draft.add_file(new, dist, uploader=actor)
            draft.summary = f"upload {dist.filename}"
            draft.target = dist.filename
        return UploadResult(dist.filename, sha256, draft.number)

    @staticmethod
    def _already_there(files: FileRepo, index: Index, dist: DistFilename, sha256: str) -> bool:
        """True for an identical live file; refuse a normalized filename reused with other content.

        Filenames are compared normalized (``DistFilename.key``): ``Foo_Bar-1.0-…`` and
        ``foo_bar-1.0.0-…`` with the same tags are one file, and a release has one sdist.
        """
        previous = files.memberships_by_key(index.id, dist.key)
        clash = next((m for m in previous if m.sha256 != sha256), None)
        if clash is not None:
            raise InvalidUpload(_clash_message(index, dist, clash))
        return any(m.live for m in previous)


def _clash_message(index: Index, dist: DistFilename, clash: Membership) -> str:
    if dist.kind is DistKind.SDIST and clash.filename != dist.filename:
        return (
            f"release {dist.project} {dist.version} already has an sdist in index "
            f"{index.name!r}, {clash.filename!r}; a release has one sdist, so release a new version"
        )
    same = ""
    if clash.filename != dist.filename:
        same = f" as {clash.filename!r} (same name, version and tags)"
    return (
        f"file {dist.filename!r} already exists in index {index.name!r}{same} with different "
        "content; a filename can be used once, so release a new version"
    )


def _new_distribution(
    dist: DistFilename, meta: CoreMetadata, staged: StagedBlob, metadata_sha256: str
) -> NewDistribution:
    return NewDistribution(
        filename=dist.filename,
        project=dist.project,
        display_name=meta.name,
        version=str(dist.version),
        kind=DistKind(dist.kind).value,
        digests=staged.digests,
        requires_python=meta.requires_python,
        summary=meta.summary,
        metadata_sha256=metadata_sha256,
    )
