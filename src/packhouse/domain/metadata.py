"""Core metadata: read from a wheel or sdist (size-capped, in memory) and parsed with packaging."""

from __future__ import annotations

import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, BinaryIO

from packaging.metadata import InvalidMetadata, Metadata
from packaging.utils import NormalizedName, canonicalize_name, canonicalize_version
from packaging.version import Version

from packhouse.domain.filenames import DistFilename
from packhouse.errors import InvalidUpload


@dataclass(frozen=True, slots=True)
class CoreMetadata:
    """The core metadata fields an index needs, plus the raw bytes served as ``.metadata``."""

    #: The project name as the metadata spells it.
    name: str
    version: Version
    summary: str | None
    requires_python: str | None
    #: The ``METADATA`` / ``PKG-INFO`` file exactly as found in the archive.
    raw: bytes

    @property
    def project(self) -> NormalizedName:
        return canonicalize_name(self.name)

    @classmethod
    def parse(cls, raw: bytes) -> CoreMetadata:
        """Parse a core metadata file; refuse it with the first problem packaging reports.

        >>> m = CoreMetadata.parse(b"Metadata-Version: 2.1\\nName: Foo\\nVersion: 1.0\\n")
        >>> m.project, str(m.version)
        ('foo', '1.0')
        """
        try:
            meta = Metadata.from_email(raw, validate=True)
        except ExceptionGroup as group:
            first = group.exceptions[0]
            raise InvalidUpload(f"invalid core metadata: {first}") from None
        except (InvalidMetadata, ValueError) as exc:
            raise InvalidUpload(f"invalid core metadata: {exc}") from None
        return cls(
            name=meta.name,
            version=meta.version,
            summary=meta.summary,
            requires_python=str(meta.requires_python) if meta.requires_python else None,
            raw=raw,
        )

    def check_matches(self, dist: DistFilename) -> None:
        """Refuse metadata whose name or version disagrees with the filename."""
        if self.project != dist.project:
            raise InvalidUpload(
                f"the file's metadata names project {self.name!r} "
                f"but the filename {dist.filename!r} names {dist.project!r}"
            )
        if canonicalize_version(self.version) != canonicalize_version(dist.version):
            raise InvalidUpload(
                f"the file's metadata has version {str(self.version)!r} "
                f"but the filename {dist.filename!r} has {str(dist.version)!r}"
            )


def read_core_metadata(fileobj: BinaryIO, dist: DistFilename, *, max_size: int) -> bytes:
    """Return the core metadata bytes of an archive, checking the archive is sound.

    Members are read into memory only; no path from the archive reaches the filesystem.
    """
    suffix = dist.archive_suffix
    if suffix == ".whl":
        return _read_from_zip(fileobj, dist, max_size=max_size, wheel=True)
    if suffix == ".zip":
        return _read_from_zip(fileobj, dist, max_size=max_size, wheel=False)
    return _read_from_tar(fileobj, dist, max_size=max_size)


def _read_from_zip(fileobj: BinaryIO, dist: DistFilename, *, max_size: int, wheel: bool) -> bytes:
    what = "wheel" if wheel else "sdist"
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            _check_zip_sound(archive, infos, what)
            info = _find_zip_metadata(infos, dist, wheel=wheel)
            if info.file_size > max_size:
                raise InvalidUpload(f"the {what}'s metadata is larger than {max_size} bytes")
            with archive.open(info) as member:
                return _read_capped(member, max_size, what)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error) as exc:
        raise InvalidUpload(f"the {what} is not a valid zip archive ({exc}); rebuild it") from None
    except (NotImplementedError, RuntimeError) as exc:  # unknown compression, encryption
        raise InvalidUpload(f"the {what} cannot be read ({exc}); rebuild it") from None


def _check_zip_sound(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], what: str) -> None:
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise InvalidUpload(f"the {what} has duplicate entries; rebuild it")
    bad = archive.testzip()
    if bad is not None:
        raise InvalidUpload(f"the {what} is corrupt: entry {bad!r} fails its CRC check")


def _find_zip_metadata(
    infos: list[zipfile.ZipInfo], dist: DistFilename, *, wheel: bool
) -> zipfile.ZipInfo:
    if wheel:
        candidates = [
            info
            for info in infos
            if info.filename.count("/") == 1
            and info.filename.endswith(".dist-info/METADATA")
            and _dist_info_matches(info.filename.split("/")[0], dist)
        ]
        missing = "a .dist-info/METADATA file matching its filename"
    else:
        candidates = [
            info
            for info in infos
            if info.filename.count("/") == 1 and info.filename.endswith("/PKG-INFO")
        ]
        missing = "a top-level PKG-INFO file"
    if len(candidates) != 1:
        raise InvalidUpload(f"{dist.filename!r} does not contain exactly one {missing}")
    return candidates[0]


def _dist_info_matches(directory: str, dist: DistFilename) -> bool:
    stem = directory.removesuffix(".dist-info")
    name, _, version = stem.partition("-")
    if not version:
        return False
    return canonicalize_name(name) == dist.project and canonicalize_version(
        version
    ) == canonicalize_version(dist.version)


def _read_from_tar(fileobj: BinaryIO, dist: DistFilename, *, max_size: int) -> bytes:
    found: bytes | None = None
    try:
        with tarfile.open(fileobj=fileobj, mode="r:gz") as archive:
            for member in archive:  # iterating to the end checks the whole gzip stream
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isfile():
                    if found is not None:
                        raise InvalidUpload(f"{dist.filename!r} has more than one PKG-INFO")
                    if member.size > max_size:
                        raise InvalidUpload(f"the sdist's PKG-INFO is larger than {max_size} bytes")
                    extracted = archive.extractfile(member)
                    if extracted is None:  # pragma: no cover - isfile() was checked
                        continue
                    found = _read_capped(extracted, max_size, "sdist")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise InvalidUpload(
            f"the sdist is not a valid .tar.gz archive ({exc}); rebuild it"
        ) from None
    if found is None:
        raise InvalidUpload(f"{dist.filename!r} does not contain a top-level PKG-INFO file")
    return found


def _read_capped(member: IO[bytes], max_size: int, what: str) -> bytes:
    data = member.read(max_size + 1)
    if len(data) > max_size:
        raise InvalidUpload(f"the {what}'s metadata is larger than {max_size} bytes")
    return data
