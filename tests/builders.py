"""Distributions built in memory for tests: valid wheels and sdists, and hostile ones."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
import zipfile
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


def make_wheel(dist: Dist) -> bytes:
    """A valid pure-Python wheel."""
    dist_info = f"{dist.module}-{dist.version}.dist-info"
    files = {
        f"{dist.module}/__init__.py": dist.source(),
        f"{dist_info}/METADATA": dist.metadata(),
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


def make_sdist(dist: Dist) -> bytes:
    """A valid sdist that pip and uv build offline, with the in-tree backend above."""
    root = f"{dist.module}-{dist.version}"
    pyproject = (
        "[build-system]\nrequires = []\nbuild-backend = 'packhouse_test_backend'\n"
        "backend-path = ['.']\n"
    )
    files = {
        f"{root}/PKG-INFO": dist.metadata(),
        f"{root}/pyproject.toml": pyproject.encode(),
        f"{root}/packhouse_test_backend.py": BACKEND.encode(),
        f"{root}/{dist.module}/__init__.py": dist.source(),
    }
    return _tar_gz(files)


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
