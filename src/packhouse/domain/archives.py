"""Archives: check a wheel or sdist and read its core metadata, at a cost bounded by its size.

A wheel or zip sdist is checked from its structure, never by decompressing every member: the
end record ends the file, the central directory lists each entry once, and the entries, read
from their local headers, follow each other from the first byte to the central directory with
the same names, methods and sizes (so a streaming reader and a central-directory reader see
the same files, as PyPI requires). Only METADATA, WHEEL and RECORD (or PKG-INFO) are
decompressed, each up to a size cap, which also checks their CRCs. A .tar.gz sdist is one gzip
stream, so it is decompressed once, counting the bytes and the headers, and every member is
checked by ``tar_members.MemberCheck`` as Python's ``tarfile`` ``data`` extraction filter
(PEP 706) would check it, on strings only (the filter itself calls ``realpath`` on the real
filesystem).

Limits, chosen so that no real package is refused:

- entries: at most ``MAX_ENTRIES`` (200,000; the largest wheels on PyPI have tens of thousands);
- compression: zip entries stored or deflated only (PyPI's rule; pip and uv read nothing else);
- expansion (zip): above ``EXPANSION_FREE_SIZE`` (64 MiB) of declared content, at most
  ``MAX_EXPANSION`` (50) times the archive's size (PyPI's decompression-bomb rule); declared
  sizes cost nothing to check, as only three entries are decompressed;
- expansion (tar, all of it read): at most ``MAX_EXPANSION`` times the archive's size, or
  ``TAR_EXPANSION_FREE_SIZE`` (4 MiB) for a small one;
- tar headers: 1,000 plus one per 128 bytes of the archive (real sdists take a kilobyte or
  more per member), as ``tarfile`` costs ~20 microseconds per header; pax and GNU extension
  headers at most 64 KiB each (``tar_members``); names at most 4,096 characters;
- METADATA/PKG-INFO: the configured ``max_metadata_size``; WHEEL: 1 MiB; RECORD: 64 MiB, read
  in chunks to its end (which checks its CRC) without being kept.
"""

from __future__ import annotations

import gzip
import os
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, BinaryIO

from packaging.utils import canonicalize_name, canonicalize_version

from packhouse.domain.filenames import DistFilename
from packhouse.domain.tar_members import MemberCheck, bounded_member_type
from packhouse.errors import InvalidUpload

MIB = 1024 * 1024
#: Most entries (zip) or members (tar) an archive may hold.
MAX_ENTRIES = 200_000
#: Content up to this size is never refused for its compression ratio.
EXPANSION_FREE_SIZE = 64 * MIB
#: Above ``EXPANSION_FREE_SIZE``, content may be at most this many times the archive's size.
MAX_EXPANSION = 50
#: Largest ``.dist-info/WHEEL`` read.
MAX_WHEEL_FILE_SIZE = 1 * MIB
#: Largest ``.dist-info/RECORD`` read (a line per file, 200,000 files fit).
MAX_RECORD_SIZE = 64 * MIB
#: Compression methods PyPI accepts in wheels and zip sdists.
ALLOWED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
#: A .tar.gz sdist may expand to this much whatever its size (it is read to its end).
TAR_EXPANSION_FREE_SIZE = 4 * MIB
#: Tar headers allowed whatever the sdist's size...
TAR_FREE_HEADERS = 1_000
#: ...plus one per this many bytes of the sdist (real sdists take a kilobyte or more each).
TAR_BYTES_PER_HEADER = 128

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_END_RECORD = struct.Struct("<4sHHHHIIH")
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_ZIP64_END_RECORD = struct.Struct("<4sQHHIIQQQQ")
_SIG_LOCAL = b"PK\x03\x04"
_SIG_CENTRAL = b"PK\x01\x02"
_SIG_END = b"PK\x05\x06"
_SIG_ZIP64_END = b"PK\x06\x06"
_SIG_ZIP64_LOCATOR = b"PK\x06\x07"
_SIG_DESCRIPTOR = b"PK\x07\x08"
_FLAG_ENCRYPTED = 0x1
_FLAG_DESCRIPTOR = 0x8
_FLAG_UTF8 = 0x800
_ZIP64_EXTRA = 0x0001
_MAX_32 = 0xFFFFFFFF
_MAX_16 = 0xFFFF


def read_core_metadata(fileobj: BinaryIO, dist: DistFilename, *, max_size: int) -> bytes:
    """Check an archive and return its core metadata bytes (METADATA or PKG-INFO).

    Members are read into memory only; no path from the archive reaches the filesystem.
    """
    suffix = dist.archive_suffix
    if suffix == ".whl":
        return _read_zip(fileobj, dist, max_size=max_size, wheel=True)
    if suffix == ".zip":
        return _read_zip(fileobj, dist, max_size=max_size, wheel=False)
    return _read_tar(fileobj, dist, max_size=max_size)


def expansion_limit(archive_size: int) -> int:
    """The most content an archive of this size may hold.

    >>> expansion_limit(3_000) == EXPANSION_FREE_SIZE
    True
    >>> expansion_limit(100 * MIB) // MIB
    5000
    """
    return max(EXPANSION_FREE_SIZE, MAX_EXPANSION * archive_size)


# ---------------------------------------------------------------- zip: wheels and zip sdists


@dataclass(frozen=True, slots=True)
class _EndRecord:
    """Where the central directory is, from the end record (and its ZIP64 version)."""

    entries: int
    directory_offset: int
    directory_size: int
    #: Where the central directory must end: at the ZIP64 end record or the end record.
    directory_end: int


def _read_zip(fileobj: BinaryIO, dist: DistFilename, *, max_size: int, wheel: bool) -> bytes:
    what = "wheel" if wheel else "sdist"
    try:
        size = fileobj.seek(0, os.SEEK_END)
        end = _end_record(fileobj, size, what)
        _count_directory(fileobj, end, what)
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            _check_entries(infos, size, what)
            _check_layout(fileobj, infos, end, what)
            if wheel:
                return _read_wheel_members(archive, infos, dist, max_size=max_size)
            info = _single_pkg_info(infos, dist)
            return _read_member(archive, info, max_size, f"the sdist's {info.filename}")
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        zlib.error,
        struct.error,
        ValueError,
        OverflowError,
    ) as exc:
        raise InvalidUpload(f"the {what} is not a valid zip archive ({exc}); rebuild it") from None
    except (NotImplementedError, RuntimeError, UnicodeDecodeError) as exc:
        raise InvalidUpload(f"the {what} cannot be read ({exc}); rebuild it") from None


def _zip_error(what: str, problem: str) -> InvalidUpload:
    return InvalidUpload(f"the {what} is not a sound zip archive: {problem}; rebuild it")


def _end_record(fileobj: BinaryIO, size: int, what: str) -> _EndRecord:
    """Find the end record, which must end the file (no data may follow the archive)."""
    tail_size = min(size, _END_RECORD.size + _MAX_16)
    fileobj.seek(size - tail_size)
    tail = fileobj.read(tail_size)
    at = tail.rfind(_SIG_END)
    if at < 0 or at + _END_RECORD.size > len(tail):
        raise InvalidUpload(f"the {what} is not a valid zip archive (no end record); rebuild it")
    _sig, disk, directory_disk, on_disk, entries, directory_size, directory_offset, comment = (
        _END_RECORD.unpack_from(tail, at)
    )
    position = size - tail_size + at
    if position + _END_RECORD.size + comment != size:
        raise _zip_error(what, "data follows its end record")
    if disk or directory_disk or on_disk != entries:
        raise _zip_error(what, "it spans several disks")
    record = _EndRecord(entries, directory_offset, directory_size, position)
    if position >= _ZIP64_LOCATOR.size:
        fileobj.seek(position - _ZIP64_LOCATOR.size)
        locator = fileobj.read(_ZIP64_LOCATOR.size)
        if locator.startswith(_SIG_ZIP64_LOCATOR):
            return _zip64_end_record(fileobj, locator, position - _ZIP64_LOCATOR.size, what)
    return record


def _zip64_end_record(fileobj: BinaryIO, locator: bytes, locator_at: int, what: str) -> _EndRecord:
    _sig, _disk, at, _disks = _ZIP64_LOCATOR.unpack(locator)
    if at + _ZIP64_END_RECORD.size > locator_at:
        raise _zip_error(what, f"its ZIP64 locator points at offset {at}, past the archive")
    fileobj.seek(at)
    data = fileobj.read(_ZIP64_END_RECORD.size)
    if len(data) != _ZIP64_END_RECORD.size or not data.startswith(_SIG_ZIP64_END):
        raise _zip_error(what, "its ZIP64 end record is missing")
    fields = _ZIP64_END_RECORD.unpack(data)
    record_size, on_disk, entries, directory_size, directory_offset = (
        fields[1],
        fields[6],
        fields[7],
        fields[8],
        fields[9],
    )
    if at + 12 + record_size != locator_at:
        raise _zip_error(what, "data lies between its ZIP64 end record and its locator")
    if on_disk != entries:
        raise _zip_error(what, "it spans several disks")
    return _EndRecord(entries, directory_offset, directory_size, at)


def _count_directory(fileobj: BinaryIO, end: _EndRecord, what: str) -> None:
    """The central directory fills its place exactly, with the entries the end record counts.

    Runs before ``zipfile`` builds an object per entry, so the entry limit also bounds memory.
    """
    if end.entries > MAX_ENTRIES:
        raise _zip_error(what, f"it has {end.entries} entries, more than {MAX_ENTRIES}")
    if end.directory_offset + end.directory_size != end.directory_end:
        raise _zip_error(what, "its central directory is not where its end record says")
    fileobj.seek(end.directory_offset)
    directory = fileobj.read(end.directory_size)
    at = count = 0
    while at + 46 <= len(directory) and directory.startswith(_SIG_CENTRAL, at):
        names, extras, comments = struct.unpack_from("<HHH", directory, at + 28)
        at += 46 + names + extras + comments
        count += 1
        if count > MAX_ENTRIES:
            raise _zip_error(what, f"it has more than {MAX_ENTRIES} entries")
    if at != len(directory) or count != end.entries:
        raise _zip_error(
            what, f"its central directory holds {count} entries, its end record {end.entries}"
        )


def _check_entries(infos: list[zipfile.ZipInfo], size: int, what: str) -> None:
    names = [info.orig_filename for info in infos]
    if len(set(names)) != len(names):
        raise _zip_error(what, "it has duplicate entries")
    total = 0
    for info in infos:
        _check_entry(info, what)
        total += info.file_size
    if total > expansion_limit(size):
        raise _zip_error(
            what,
            f"its entries declare {total} bytes, more than {MAX_EXPANSION} times its size "
            f"of {size} (a decompression bomb, which PyPI also refuses)",
        )


def _check_entry(info: zipfile.ZipInfo, what: str) -> None:
    name = info.orig_filename
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):
        raise _zip_error(what, f"entry {name!r} has control characters in its name")
    if info.flag_bits & _FLAG_ENCRYPTED:
        raise _zip_error(what, f"entry {name!r} is encrypted")
    if info.compress_type not in ALLOWED_METHODS:
        raise _zip_error(
            what,
            f"entry {name!r} uses compression method {info.compress_type}; "
            "only stored and deflated entries are accepted (as on PyPI)",
        )
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        raise _zip_error(what, f"stored entry {name!r} declares two different sizes")


def _check_layout(
    fileobj: BinaryIO, infos: list[zipfile.ZipInfo], end: _EndRecord, what: str
) -> None:
    """Entries follow each other from offset 0 to the central directory, with no gap."""
    position = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != position:
            raise _zip_error(what, _misplaced(info, position))
        position = _check_local_header(fileobj, info, what)
    if position != end.directory_offset:
        raise _zip_error(what, "data lies between its last entry and its central directory")


def _misplaced(info: zipfile.ZipInfo, expected: int) -> str:
    name = info.orig_filename
    if info.header_offset < expected:
        return f"entry {name!r} overlaps the entry before it"
    if expected == 0:
        return f"data the central directory does not list precedes its first entry {name!r}"
    return f"data the central directory does not list lies before entry {name!r}"


def _check_local_header(fileobj: BinaryIO, info: zipfile.ZipInfo, what: str) -> int:
    """Compare an entry's local header with the central directory; return where it ends."""
    fileobj.seek(info.header_offset)
    header = fileobj.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or not header.startswith(_SIG_LOCAL):
        raise _zip_error(what, f"entry {info.orig_filename!r} has no local header")
    _sig, _version, flags, method, _time, _date, crc, packed, unpacked, names, extras = (
        _LOCAL_HEADER.unpack(header)
    )
    name = fileobj.read(names)
    extra = fileobj.read(extras)
    encoding = "utf-8" if info.flag_bits & _FLAG_UTF8 else "cp437"
    differs = (
        name != info.orig_filename.encode(encoding)
        or (flags ^ info.flag_bits) & (_FLAG_UTF8 | _FLAG_ENCRYPTED | _FLAG_DESCRIPTOR)
        or method != info.compress_type
    )
    if differs:
        raise _zip_error(
            what, f"entry {info.orig_filename!r} differs between its local header and directory"
        )
    zip64 = _zip64_sizes(extra)
    if not flags & _FLAG_DESCRIPTOR:
        if zip64 is not None and (packed, unpacked) == (_MAX_32, _MAX_32):
            unpacked, packed = zip64
        if (crc, packed, unpacked) != (info.CRC, info.compress_size, info.file_size):
            raise _zip_error(
                what, f"entry {info.orig_filename!r} has other sizes in its local header"
            )
    data_end: int = info.header_offset + _LOCAL_HEADER.size + names + extras + info.compress_size
    if flags & _FLAG_DESCRIPTOR:
        return _check_descriptor(fileobj, info, data_end, wide=zip64 is not None, what=what)
    return data_end


def _zip64_sizes(extra: bytes) -> tuple[int, int] | None:
    """(uncompressed, compressed) from a local header's ZIP64 extra field, if it has one."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, at)
        if kind == _ZIP64_EXTRA:
            if length >= 16 and at + 20 <= len(extra):
                unpacked, packed = struct.unpack_from("<QQ", extra, at + 4)
                return unpacked, packed
            return (-1, -1)
        at += 4 + length
    return None


def _check_descriptor(
    fileobj: BinaryIO, info: zipfile.ZipInfo, at: int, *, wide: bool, what: str
) -> int:
    """A data descriptor after the entry's data must repeat the directory's CRC and sizes."""
    layout = "<IQQ" if wide else "<III"
    fileobj.seek(at)
    data = fileobj.read(4 + struct.calcsize(layout))
    if data.startswith(_SIG_DESCRIPTOR):
        data, at = data[4:], at + 4
    values = struct.unpack_from(layout, data) if len(data) >= struct.calcsize(layout) else ()
    if values != (info.CRC, info.compress_size, info.file_size):
        raise _zip_error(what, f"entry {info.orig_filename!r} has a data descriptor that differs")
    return at + struct.calcsize(layout)


def _read_wheel_members(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], dist: DistFilename, *, max_size: int
) -> bytes:
    """Read METADATA, WHEEL and RECORD of the one .dist-info folder the filename names."""
    folder = _dist_info_folder(infos, dist)
    by_name = {info.orig_filename: info for info in infos}
    found: list[zipfile.ZipInfo] = []
    for member in ("METADATA", "WHEEL", "RECORD"):
        info = by_name.get(f"{folder}/{member}")
        if info is None:
            raise InvalidUpload(
                f"{dist.filename!r} has no {folder}/{member} file, which every wheel needs; "
                "rebuild it"
            )
        found.append(info)
    metadata, wheel, record = found
    data = _read_member(archive, metadata, max_size, "the wheel's METADATA")
    _read_member(archive, wheel, MAX_WHEEL_FILE_SIZE, "the wheel's WHEEL")
    _check_member(archive, record, MAX_RECORD_SIZE, "the wheel's RECORD")
    return data


def _dist_info_folder(infos: Iterable[zipfile.ZipInfo], dist: DistFilename) -> str:
    folders = {
        info.orig_filename.split("/", 1)[0]
        for info in infos
        if "/" in info.orig_filename
        and info.orig_filename.split("/", 1)[0].endswith(".dist-info")
        and _dist_info_matches(info.orig_filename.split("/", 1)[0], dist)
    }
    if len(folders) != 1:
        raise InvalidUpload(
            f"{dist.filename!r} does not contain exactly one .dist-info folder matching its "
            f"filename (found {sorted(folders)!r}); rebuild it"
        )
    return folders.pop()


def _dist_info_matches(directory: str, dist: DistFilename) -> bool:
    stem = directory.removesuffix(".dist-info")
    name, _, version = stem.partition("-")
    if not version:
        return False
    return canonicalize_name(name) == dist.project and canonicalize_version(
        version
    ) == canonicalize_version(dist.version)


def _single_pkg_info(infos: list[zipfile.ZipInfo], dist: DistFilename) -> zipfile.ZipInfo:
    candidates = [
        info
        for info in infos
        if info.orig_filename.count("/") == 1 and info.orig_filename.endswith("/PKG-INFO")
    ]
    if len(candidates) != 1:
        raise InvalidUpload(
            f"{dist.filename!r} does not contain exactly one top-level PKG-INFO file"
        )
    return candidates[0]


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, what: str) -> bytes:
    """Decompress one entry, at most ``cap`` bytes; reading to its end checks its CRC."""
    if info.file_size > cap:
        raise InvalidUpload(f"{what} is larger than {cap} bytes")
    with archive.open(info) as member:
        return _read_capped(member, cap, what)


def _check_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, what: str) -> None:
    """Decompress one entry to its end in chunks (which checks its CRC), keeping none of it."""
    if info.file_size > cap:
        raise InvalidUpload(f"{what} is larger than {cap} bytes")
    read = 0
    with archive.open(info) as member:
        while chunk := member.read(MIB):
            read += len(chunk)
            if read > cap:  # pragma: no cover - zipfile stops at the declared size
                raise InvalidUpload(f"{what} is larger than {cap} bytes")


def _read_capped(member: IO[bytes], cap: int, what: str) -> bytes:
    data = member.read(cap + 1)
    if len(data) > cap:
        raise InvalidUpload(f"{what} is larger than {cap} bytes")
    return data


# ---------------------------------------------------------------- tar: .tar.gz sdists


def tar_expansion_limit(archive_size: int) -> int:
    """The most bytes a .tar.gz sdist of this size may expand to (all of it is read).

    >>> tar_expansion_limit(3_000) // MIB
    4
    >>> tar_expansion_limit(10 * MIB) // MIB
    500
    """
    return max(TAR_EXPANSION_FREE_SIZE, MAX_EXPANSION * archive_size)


def tar_header_limit(archive_size: int) -> int:
    """The most tar headers (members and their extension headers) an sdist of this size holds.

    Real sdists take a kilobyte or more of the archive per member; this allows 128 bytes.

    >>> tar_header_limit(3_000)
    1023
    >>> tar_header_limit(30 * MIB)
    200000
    """
    return min(MAX_ENTRIES, TAR_FREE_HEADERS + archive_size // TAR_BYTES_PER_HEADER)


class _BoundedReader:
    """A decompressing stream that fails once it has produced more than ``limit`` bytes."""

    def __init__(self, inner: gzip.GzipFile, limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self._produced = 0

    def read(self, size: int = -1) -> bytes:
        room = self._limit + 1 - self._produced
        data = self._inner.read(room if size < 0 else min(size, room))
        self._produced += len(data)
        if self._produced > self._limit:
            raise InvalidUpload(
                f"the sdist expands to more than {self._limit} bytes, more than "
                f"{MAX_EXPANSION} times its size (a decompression bomb); rebuild it"
            )
        return data

    def drain(self) -> None:
        """Read to the end, which checks the gzip stream's CRC and length."""
        while self.read(MIB):
            pass


def _read_tar(fileobj: BinaryIO, dist: DistFilename, *, max_size: int) -> bytes:
    size = fileobj.seek(0, os.SEEK_END)
    fileobj.seek(0)
    member_type = bounded_member_type(tar_header_limit(size))
    try:
        with gzip.GzipFile(fileobj=fileobj, mode="rb") as unzipped:
            stream = _BoundedReader(unzipped, tar_expansion_limit(size))
            with tarfile.open(  # type: ignore[call-overload]
                fileobj=stream, mode="r|", tarinfo=member_type
            ) as archive:
                found = _scan_tar(archive, dist, max_size=max_size)
            stream.drain()
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError, OverflowError) as exc:
        raise InvalidUpload(
            f"the sdist is not a valid .tar.gz archive ({exc}); rebuild it"
        ) from None
    if found is None:
        raise InvalidUpload(f"{dist.filename!r} does not contain a top-level PKG-INFO file")
    return found


def _scan_tar(archive: tarfile.TarFile, dist: DistFilename, *, max_size: int) -> bytes | None:
    found: bytes | None = None
    check = MemberCheck()
    for member in archive:
        check(member)
        parts = member.name.split("/")
        if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isfile():
            if found is not None:
                raise InvalidUpload(f"{dist.filename!r} has more than one PKG-INFO")
            if member.size > max_size:
                raise InvalidUpload(f"the sdist's PKG-INFO is larger than {max_size} bytes")
            extracted = archive.extractfile(member)
            if extracted is None:  # pragma: no cover - isfile() was checked
                continue
            found = _read_capped(extracted, max_size, "the sdist's PKG-INFO")
    return found
