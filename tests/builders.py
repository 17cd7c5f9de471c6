"""Distributions built in memory for tests: valid wheels and sdists, and hostile ones."""

from __future__ import annotations

import base64
import bz2
import functools
import gzip
import hashlib
import io
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name


@dataclass(frozen=True)
class Dist:
    """A project release to build: name, version, dependencies, and its module's source."""

    name: str
    version: str
    requires: tuple[str, ...] = ()
    requires_python: str | None = None
    summary: str = "A test package."
    #: Extra METADATA lines, e.g. ("Description-Content-Type: text/markdown",).
    extra_metadata: tuple[str, ...] = ()
    body: str = ""
    module_source: str = field(default="")

    @property
    def module(self) -> str:
        return canonicalize_name(self.name).replace("-", "_")

    @property
    def wheel_filename(self) -> str:
        return f"{self.module}-{self.version}-py3-none-any.whl"

    @property
    def sdist_filename(self) -> str:
        return f"{self.module}-{self.version}.tar.gz"

    def metadata(self) -> bytes:
        lines = ["Metadata-Version: 2.1", f"Name: {self.name}", f"Version: {self.version}"]
        lines.append(f"Summary: {self.summary}")
        if self.requires_python:
            lines.append(f"Requires-Python: {self.requires_python}")
        lines += [f"Requires-Dist: {req}" for req in self.requires]
        lines += list(self.extra_metadata)
        text = "\n".join(lines) + "\n"
        if self.body:
            text += "\n" + self.body
        return text.encode()

    def source(self) -> bytes:
        code = self.module_source or f"VERSION = {self.version!r}\n"
        return code.encode()


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def make_wheel(dist: Dist, *, metadata: bytes | None = None) -> bytes:
    """A valid pure-Python wheel; ``metadata`` replaces its METADATA file byte for byte."""
    dist_info = f"{dist.module}-{dist.version}.dist-info"
    files = {
        f"{dist.module}/__init__.py": dist.source(),
        f"{dist_info}/METADATA": dist.metadata() if metadata is None else metadata,
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: packhouse-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


#: A PEP 517 backend with no dependencies, shipped inside test sdists so that pip and uv
#: build them offline: it zips the package folder and PKG-INFO into a wheel.
BACKEND = """
import base64, hashlib, os, zipfile
from email.parser import Parser

def _meta():
    with open("PKG-INFO", encoding="utf-8") as f:
        text = f.read()
    msg = Parser().parsestr(text)
    return text, msg["Name"], msg["Version"]

def _record(path, data):
    d = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={d},{len(data)}"

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    text, name, version = _meta()
    module = name.lower().replace("-", "_").replace(".", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {}
    for root, _dirs, names in os.walk(module):
        for n in names:
            path = os.path.join(root, n)
            with open(path, "rb") as f:
                files[path.replace(os.sep, "/")] = f.read()
    files[f"{dist_info}/METADATA"] = text.encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    record = [_record(p, d) for p, d in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    filename = f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return filename
"""


def make_sdist(dist: Dist, *, metadata: bytes | None = None) -> bytes:
    """A valid sdist that pip and uv build offline, with the in-tree backend above.

    ``metadata`` replaces its PKG-INFO file byte for byte.
    """
    return _tar_gz(sdist_files(dist, metadata=metadata))


def sdist_files(dist: Dist, *, metadata: bytes | None = None) -> dict[str, bytes]:
    """The files of ``make_sdist``'s archive, by path."""
    root = f"{dist.module}-{dist.version}"
    pyproject = (
        "[build-system]\nrequires = []\nbuild-backend = 'packhouse_test_backend'\n"
        "backend-path = ['.']\n"
    )
    return {
        f"{root}/PKG-INFO": dist.metadata() if metadata is None else metadata,
        f"{root}/pyproject.toml": pyproject.encode(),
        f"{root}/packhouse_test_backend.py": BACKEND.encode(),
        f"{root}/{dist.module}/__init__.py": dist.source(),
    }


def _tar_gz(files: dict[str, bytes]) -> bytes:
    """A .tar.gz, byte for byte the same for the same files (fixed mtimes, also gzip's)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def write(directory: Path, filename: str, data: bytes) -> Path:
    path = directory / filename
    path.write_bytes(data)
    return path


def corrupt_zip(data: bytes) -> bytes:
    """Flip bytes in the middle of a zip so its entries fail their CRC or its directory breaks."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :]


def truncate(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


# ---------------------------------------------------------------- hostile archives, byte by byte


@dataclass(frozen=True)
class ZipMember:
    """One zip entry as it is stored: the payload already compressed with ``method``."""

    name: str
    payload: bytes
    #: Uncompressed size and CRC, as the headers declare them.
    size: int
    crc: int
    method: int = zipfile.ZIP_STORED
    #: The name the local header gives, when it should differ from the central directory's.
    local_name: str | None = None

    @classmethod
    def of(cls, name: str, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> ZipMember:
        payload = data
        if method == zipfile.ZIP_DEFLATED:
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            payload = packer.compress(data) + packer.flush()
        return cls(name, payload, len(data), zlib.crc32(data), method)


def build_zip(
    members: list[ZipMember], *, before: bytes = b"", after: bytes = b"", hidden: bytes = b""
) -> bytes:
    """A zip written by hand, so tests can make what ``zipfile`` would refuse to write.

    ``before`` and ``after`` surround the archive; ``hidden`` is a local entry that the
    central directory does not list, placed after the first entry.
    """
    local = bytearray(before)
    directory = bytearray()
    for at, member in enumerate(members):
        offset = len(local)
        name = (member.local_name or member.name).encode()
        local += (
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                0x800,
                member.method,
                0,
                0x21,
                member.crc,
                len(member.payload),
                member.size,
                len(name),
                0,
            )
            + name
            + member.payload
        )
        if at == 0:
            local += hidden
        central_name = member.name.encode()
        directory += (
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0x800,
                member.method,
                0,
                0x21,
                member.crc,
                len(member.payload),
                member.size,
                len(central_name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + central_name
        )
    end = struct.pack(
        "<4sHHHHIIH",
        b"PK\x05\x06",
        0,
        0,
        len(members),
        len(members),
        len(directory),
        len(local),
        0,
    )
    return bytes(local + directory + end + after)


def wheel_members(dist: Dist, *, metadata: bytes | None = None) -> list[ZipMember]:
    """The entries of a valid wheel (``make_wheel``'s files), deflated, in order."""
    with zipfile.ZipFile(io.BytesIO(make_wheel(dist, metadata=metadata))) as archive:
        return [ZipMember.of(info.filename, archive.read(info)) for info in archive.infolist()]


@functools.cache
def bzip2_of_zeros(size: int) -> bytes:
    """``size`` zero bytes compressed with bzip2 (256 MiB become about 200 bytes)."""
    packer = bz2.BZ2Compressor(9)
    chunk = bytes(16 * 1024 * 1024)
    out = [
        packer.compress(chunk[: min(len(chunk), size - done)])
        for done in range(0, size, len(chunk))
    ]
    return b"".join(out) + packer.flush()


def zip_bomb_wheel(dist: Dist, *, entries: int = 8, size: int = 256 * 1024 * 1024) -> bytes:
    """A valid wheel plus ``entries`` bzip2 entries of ``size`` zero bytes each (a few kB)."""
    payload = bzip2_of_zeros(size)
    crc = zlib.crc32(bytes(size)) if size <= 16 * 1024 * 1024 else _crc_of_zeros(size)
    bombs = [
        ZipMember(f"{dist.module}/bomb{i}.bin", payload, size, crc, zipfile.ZIP_BZIP2)
        for i in range(entries)
    ]
    return build_zip(wheel_members(dist) + bombs)


def _crc_of_zeros(size: int) -> int:
    crc, chunk = 0, bytes(16 * 1024 * 1024)
    for done in range(0, size, len(chunk)):
        crc = zlib.crc32(chunk[: min(len(chunk), size - done)], crc)
    return crc


def deflate_bomb_wheel(dist: Dist, *, size: int = 128 * 1024 * 1024) -> bytes:
    """A valid wheel plus one deflated entry of ``size`` zero bytes (about 1/1000 the size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(16 * 1024 * 1024)
    parts = [
        packer.compress(chunk[: min(len(chunk), size - d)]) for d in range(0, size, len(chunk))
    ]
    payload = b"".join(parts) + packer.flush()
    bomb = ZipMember(
        f"{dist.module}/zeros.bin", payload, size, _crc_of_zeros(size), zipfile.ZIP_DEFLATED
    )
    return build_zip([*wheel_members(dist), bomb])


def sdist_with_members(dist: Dist, extra: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    """A valid sdist plus hand-made tar members (links, devices, odd paths) at its end."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, data in sdist_files(dist).items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
        for info, data in extra:
            info.size = len(data) if info.isreg() else 0
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return gzip.compress(buffer.getvalue(), mtime=0)


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, *, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mtime = 1_700_000_000
    return info


def tar_bomb_sdist(dist: Dist, *, size: int = 256 * 1024 * 1024) -> bytes:
    """A valid sdist followed by one member of ``size`` zero bytes: gzip makes it ~1/1000."""
    head = io.BytesIO()
    with tarfile.open(fileobj=head, mode="w") as archive:
        for path, data in sdist_files(dist).items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    tar = head.getvalue()[: -1024 * 10]  # drop the end blocks, append one big member by hand
    tar = tar.rstrip(b"\0")
    tar += b"\0" * (-len(tar) % 512)
    info = tarfile.TarInfo(f"{dist.module}-{dist.version}/zeros.bin")
    info.size = size
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(16 * 1024 * 1024)
    out = [packer.compress(tar + info.tobuf(format=tarfile.USTAR_FORMAT))]
    out += [packer.compress(chunk[: min(len(chunk), size - d)]) for d in range(0, size, len(chunk))]
    out.append(packer.compress(bytes(1024)))
    return b"".join(out) + packer.flush()


def make_tar(dist: Dist) -> bytes:
    """A valid sdist's uncompressed tar, without its end blocks (members can be appended)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for path, data in sdist_files(dist).items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    tar = buffer.getvalue().rstrip(b"\0")
    return tar + b"\0" * (-len(tar) % 512)


def many_members_sdist(dist: Dist, *, members: int = 120_000) -> bytes:
    """A valid sdist plus ``members`` identical empty files: ~268 KB gzipped for 120,000."""
    info = tarfile.TarInfo(f"{dist.module}-{dist.version}/empty")
    info.mtime = 1_700_000_000
    header = info.tobuf(format=tarfile.USTAR_FORMAT)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [packer.compress(make_tar(dist))]
    out += [packer.compress(header * 1000) for _ in range(members // 1000)]
    out.append(packer.compress(header * (members % 1000) + bytes(1024)))
    return b"".join(out) + packer.flush()


def pax_records_sdist(dist: Dist, *, records: int = 2_000_000) -> bytes:
    """A valid sdist plus one file whose pax header holds ``records`` ``6 a=b`` records."""
    payload = b"6 a=b\n" * records
    pax = tarfile.TarInfo("././@PaxHeader")
    pax.type = tarfile.XHDTYPE
    pax.size = len(payload)
    file = tarfile.TarInfo(f"{dist.module}-{dist.version}/file")
    tar = pax.tobuf(format=tarfile.USTAR_FORMAT) + payload + b"\0" * (-len(payload) % 512)
    tar += file.tobuf(format=tarfile.USTAR_FORMAT) + bytes(1024)
    return gzip.compress(make_tar(dist) + tar, mtime=0)


def long_name_sdist(dist: Dist, *, components: int = 32_000) -> bytes:
    """A valid sdist plus one GNU-longname member ``foo-1.0/a/a/…/x`` of ``components`` parts."""
    name = f"{dist.module}-{dist.version}/" + "a/" * components + "x"
    info = tarfile.TarInfo(name)
    info.mtime = 1_700_000_000
    return gzip.compress(make_tar(dist) + info.tobuf(format=tarfile.GNU_FORMAT) + bytes(1024))
