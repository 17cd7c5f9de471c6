"""Distribution filenames: wheels and sdists, parsed with ``packaging.utils``."""

from __future__ import annotations

import enum
import hashlib
import math
import re
from dataclasses import dataclass

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from packhouse.errors import InvalidUpload

_FORBIDDEN_CHARACTERS = frozenset("/\\\x00:")
#: Longest filename accepted: what filesystems store (NAME_MAX), and ``index_files.filename``.
MAX_FILENAME_LENGTH = 255
#: Longest version, in its PEP 440 normal form (the ``version`` columns).
MAX_VERSION_LENGTH = 128
#: Most tags a wheel's compressed tag set may expand to (real ones have a few dozen at most;
#: ``packaging`` builds every combination of the three lists).
MAX_WHEEL_TAGS = 256
#: What wheel and sdist filenames are made of (names, PEP 440 versions, tags); no whitespace or
#: control characters, which ``packaging`` lets through around the version ("foo-1.0\n.tar.gz").
_SAFE_FILENAME = re.compile(r"[A-Za-z0-9._+!-]+", re.ASCII)


class DistKind(enum.StrEnum):
    """The kinds of distribution an index accepts, named as the upload form's ``filetype``."""

    WHEEL = "bdist_wheel"
    SDIST = "sdist"


@dataclass(frozen=True, slots=True)
class DistFilename:
    """A validated distribution filename and what it says about its contents."""

    #: The filename exactly as uploaded (no path).
    filename: str
    #: The project name, normalized.
    project: NormalizedName
    #: The version the filename carries.
    version: Version
    #: Wheel or sdist.
    kind: DistKind
    #: What identifies the file within its index: files with equal ones conflict. Wheels:
    #: name, canonical version, build tag and the expanded tag set; sdists: name and canonical
    #: version only, as a release has one sdist (PyPI's rule).
    normalized: str

    @classmethod
    def parse(cls, filename: str) -> DistFilename:
        """Parse an uploaded filename; refuse paths, hidden files and unknown kinds.

        >>> DistFilename.parse("Foo_Bar-1.0-py3-none-any.whl").project
        'foo-bar'
        >>> DistFilename.parse("foo-1.0.tar.gz").kind
        <DistKind.SDIST: 'sdist'>
        >>> DistFilename.parse("../foo-1.0.tar.gz")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        packhouse.errors.InvalidUpload: invalid filename '../foo-1.0.tar.gz': ...
        """
        if len(filename) > MAX_FILENAME_LENGTH:
            raise InvalidUpload(
                f"invalid filename {filename[:60]!r}... ({len(filename)} characters): at most "
                f"{MAX_FILENAME_LENGTH} characters are accepted; shorten the name or version"
            )
        if not filename or filename.startswith(".") or _FORBIDDEN_CHARACTERS & set(filename):
            raise InvalidUpload(
                f"invalid filename {filename!r}: it must be a bare filename, not a path"
            )
        if not _SAFE_FILENAME.fullmatch(filename):
            raise InvalidUpload(
                f"invalid filename {filename!r}: use only ASCII letters, digits and '._-+!'"
            )
        if filename.endswith(".whl"):
            dist = cls._parse_wheel(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            dist = cls._parse_sdist(filename)
        else:
            raise InvalidUpload(
                f"unsupported file type {filename!r}: "
                "upload a wheel (.whl) or an sdist (.tar.gz, .zip)"
            )
        if len(str(dist.version)) > MAX_VERSION_LENGTH:
            raise InvalidUpload(
                f"invalid filename {filename!r}: its version is longer than "
                f"{MAX_VERSION_LENGTH} characters"
            )
        return dist

    @classmethod
    def _parse_wheel(cls, filename: str) -> DistFilename:
        _check_tag_count(filename)
        try:
            name, version, build, tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, ValueError) as exc:
            raise InvalidUpload(f"invalid wheel filename {filename!r}: {exc}") from None
        build_tag = "".join(str(part) for part in build)
        tag_set = ".".join(sorted(map(str, tags)))
        normalized = f"{name}-{canonicalize_version(version)}-{build_tag}-{tag_set}.whl"
        return cls(filename, name, version, DistKind.WHEEL, normalized)

    @classmethod
    def _parse_sdist(cls, filename: str) -> DistFilename:
        try:
            name, version = parse_sdist_filename(filename)
        except (InvalidSdistFilename, ValueError) as exc:
            raise InvalidUpload(f"invalid sdist filename {filename!r}: {exc}") from None
        normalized = f"{name}-{canonicalize_version(version)}.sdist"
        return cls(filename, name, version, DistKind.SDIST, normalized)

    @property
    def release(self) -> str:
        """The release the file belongs to: its version in PEP 440 canonical form.

        >>> DistFilename.parse("foo-1.0.0-py3-none-any.whl").release
        '1'
        """
        return canonicalize_version(self.version)

    @property
    def key(self) -> str:
        """The file's key within its index (``index_files.file_key``): the sha256 of its
        ``normalized`` form, whose expanded tag set can be longer than any column.

        >>> a = DistFilename.parse("Foo_Bar-1.0-py2.py3-none-any.whl")
        >>> a.key == DistFilename.parse("foo_bar-1.0.0-py3.py2-none-any.whl").key
        True
        >>> a.normalized
        'foo-bar-1--py2-none-any.py3-none-any.whl'
        >>> DistFilename.parse("Foo-1.0.zip").normalized
        'foo-1.sdist'
        >>> len(a.key)
        64
        """
        return hashlib.sha256(self.normalized.encode()).hexdigest()

    @property
    def archive_suffix(self) -> str:
        """``.whl``, ``.tar.gz`` or ``.zip``.

        >>> DistFilename.parse("foo-1.0.tar.gz").archive_suffix
        '.tar.gz'
        """
        for suffix in (".whl", ".tar.gz", ".zip"):
            if self.filename.endswith(suffix):
                return suffix
        raise AssertionError(self.filename)  # pragma: no cover - parse() guarantees a suffix


def _check_tag_count(filename: str) -> None:
    """Refuse a compressed tag set that expands to more than ``MAX_WHEEL_TAGS`` tags, before
    ``packaging`` builds them all (three lists of 100 once took seconds)."""
    parts = filename.removesuffix(".whl").split("-")
    count = math.prod(part.count(".") + 1 for part in parts[-3:]) if len(parts) >= 5 else 1
    if count > MAX_WHEEL_TAGS:
        raise InvalidUpload(
            f"invalid wheel filename {filename!r}: its tags expand to {count} combinations, "
            f"more than {MAX_WHEEL_TAGS}"
        )
