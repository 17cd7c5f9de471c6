"""Distribution filenames: wheels and sdists, parsed with ``packaging.utils``."""

from __future__ import annotations

import enum
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
        if not filename or filename.startswith(".") or _FORBIDDEN_CHARACTERS & set(filename):
            raise InvalidUpload(
                f"invalid filename {filename!r}: it must be a bare filename, not a path"
            )
        if not _SAFE_FILENAME.fullmatch(filename):
            raise InvalidUpload(
                f"invalid filename {filename!r}: use only ASCII letters, digits and '._-+!'"
            )
        if filename.endswith(".whl"):
            return cls._parse_wheel(filename)
        if filename.endswith((".tar.gz", ".zip")):
            return cls._parse_sdist(filename)
        raise InvalidUpload(
            f"unsupported file type {filename!r}: upload a wheel (.whl) or an sdist (.tar.gz, .zip)"
        )

    @classmethod
    def _parse_wheel(cls, filename: str) -> DistFilename:
        try:
            name, version, _build, _tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, ValueError) as exc:
            raise InvalidUpload(f"invalid wheel filename {filename!r}: {exc}") from None
        return cls(filename, name, version, DistKind.WHEEL)

    @classmethod
    def _parse_sdist(cls, filename: str) -> DistFilename:
        try:
            name, version = parse_sdist_filename(filename)
        except (InvalidSdistFilename, ValueError) as exc:
            raise InvalidUpload(f"invalid sdist filename {filename!r}: {exc}") from None
        return cls(filename, name, version, DistKind.SDIST)

    @property
    def release(self) -> str:
        """The release the file belongs to: its version in PEP 440 canonical form.

        >>> DistFilename.parse("foo-1.0.0-py3-none-any.whl").release
        '1'
        """
        return canonicalize_version(self.version)

    @property
    def normalized(self) -> str:
        """What identifies the file within its index: files with equal ones conflict.

        Wheels: name, canonical version, build tag and the expanded tag set; sdists: name and
        canonical version only, as a release has one sdist (PyPI's rule).

        >>> a = DistFilename.parse("Foo_Bar-1.0-py2.py3-none-any.whl").normalized
        >>> a == DistFilename.parse("foo_bar-1.0.0-py3.py2-none-any.whl").normalized
        True
        >>> a
        'foo-bar-1--py2-none-any.py3-none-any.whl'
        >>> DistFilename.parse("Foo-1.0.zip").normalized
        'foo-1.sdist'
        """
        if self.kind is DistKind.SDIST:
            return f"{self.project}-{self.release}.sdist"
        _name, _version, build, tags = parse_wheel_filename(self.filename)
        build_tag = "".join(str(part) for part in build)
        return f"{self.project}-{self.release}-{build_tag}-{'.'.join(sorted(map(str, tags)))}.whl"

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
