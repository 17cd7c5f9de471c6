"""Core metadata: what an index reads from METADATA/PKG-INFO, leniently, as PyPI does.

An index checks what identifies a file and what clients rely on, and takes everything else as
the file declares it. So a field is never refused for its metadata version (setuptools and wheel
wrote ``License-File`` under 2.1 for years), unknown or malformed optional fields are kept as
they are in the bytes served as ``.metadata``, and only these are refused, each a rule PyPI also
applies:

- no ``Metadata-Version``, or one of an unknown major version (the core metadata spec: tools
  MUST fail on a major version they do not know; PyPI refuses versions it does not know);
- no ``Name``, more than one, not a valid project name, or longer than 255 characters;
- no ``Version``, more than one, or not a PEP 440 version;
- a ``Requires-Python`` that is not a PEP 440 specifier set (installers read it to choose).

Name and version must also agree with the filename (``check_matches``), as PyPI requires.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from packaging.metadata import RawMetadata, parse_email
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidName,
    NormalizedName,
    canonicalize_name,
    canonicalize_version,
)
from packaging.version import InvalidVersion, Version

from packhouse.domain.filenames import DistFilename
from packhouse.errors import InvalidUpload

#: Major metadata versions this index reads: 1.x and 2.x (any minor, per the spec).
KNOWN_MAJOR_VERSIONS = frozenset({1, 2})
#: Longest ``Name`` accepted (``distributions.display_name``); a longer one can still
#: normalize to a short project name (``a___b`` is ``a-b``).
MAX_NAME_LENGTH = 255
#: A line break followed by the whitespace that continues a folded header (RFC 5322 unfolding).
_FOLD = re.compile(r"\r?\n(?=[ \t])")
#: distutils wrote ``UNKNOWN`` for fields it had no value for; PyPI drops such values.
_UNKNOWN = "UNKNOWN"
_SPEC = "see https://packaging.python.org/specifications/core-metadata/"


@dataclass(frozen=True, slots=True)
class CoreMetadata:
    """The core metadata fields an index needs, plus the raw bytes served as ``.metadata``."""

    #: The project name as the metadata spells it.
    name: str
    version: Version
    #: One line; None when absent, empty or ``UNKNOWN``.
    summary: str | None
    #: As declared (unfolded, stripped): ``>=3.8,<4.0`` stays in that order.
    requires_python: str | None
    #: The ``METADATA`` / ``PKG-INFO`` file exactly as found in the archive.
    raw: bytes

    @property
    def project(self) -> NormalizedName:
        return canonicalize_name(self.name)

    @classmethod
    def parse(cls, raw: bytes) -> CoreMetadata:
        """Read a core metadata file; refuse only what identifies the file or guides installers.

        >>> m = CoreMetadata.parse(b"Metadata-Version: 2.1\\nName: Foo\\nVersion: 1.0\\n"
        ...                        b"License-File: LICENSE\\nRequires-Python: >=3.8,<4.0\\n")
        >>> m.project, str(m.version), m.requires_python
        ('foo', '1.0', '>=3.8,<4.0')
        >>> CoreMetadata.parse(b"Metadata-Version: 2.1\\nName: Foo\\n")
        Traceback (most recent call last):
        ...
        packhouse.errors.InvalidUpload: invalid core metadata: no Version field; \
see https://packaging.python.org/specifications/core-metadata/
        """
        fields, unparsed = parse_email(raw)
        _check_metadata_version(fields, unparsed)
        name = _project_name(_single(fields, unparsed, "name", "Name"))
        return cls(
            name=name,
            version=_version(_single(fields, unparsed, "version", "Version")),
            summary=_summary(fields.get("summary")),
            requires_python=_requires_python(fields.get("requires_python")),
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


def _invalid(problem: str) -> InvalidUpload:
    return InvalidUpload(f"invalid core metadata: {problem}; {_SPEC}")


def _single(fields: RawMetadata, unparsed: dict[str, list[str]], key: str, header: str) -> str:
    """A required single-use field: present once, as UTF-8 text."""
    if key in unparsed:
        values = unparsed[key]
        if len(values) > 1:
            raise _invalid(f"{len(values)} {header} fields, {values!r}; keep one")
        raise _invalid(f"the {header} field is not UTF-8 text")
    value = fields.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"no {header} field")
    return value.strip()


def _check_metadata_version(fields: RawMetadata, unparsed: dict[str, list[str]]) -> None:
    """Metadata-Version must be there and of a major version this index reads.

    >>> _check_metadata_version({"metadata_version": "2.5"}, {})
    >>> _check_metadata_version({"metadata_version": "3.0"}, {})
    Traceback (most recent call last):
    ...
    packhouse.errors.InvalidUpload: invalid core metadata: Metadata-Version '3.0' has an \
unknown major version (this index reads 1.x and 2.x); \
see https://packaging.python.org/specifications/core-metadata/
    """
    declared = _single(fields, unparsed, "metadata_version", "Metadata-Version")
    try:
        major = Version(declared).major
    except InvalidVersion:
        raise _invalid(f"Metadata-Version {declared!r} is not a version such as '2.1'") from None
    if major not in KNOWN_MAJOR_VERSIONS:
        raise _invalid(
            f"Metadata-Version {declared!r} has an unknown major version "
            "(this index reads 1.x and 2.x)"
        )


def _project_name(name: str) -> str:
    if len(name) > MAX_NAME_LENGTH:
        raise _invalid(f"Name is {len(name)} characters long, more than {MAX_NAME_LENGTH}")
    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        raise _invalid(
            f"Name {name!r} is not a valid project name (letters, digits, '.', '_', '-', "
            "starting and ending with a letter or digit)"
        ) from None
    return name


def _version(declared: str) -> Version:
    try:
        return Version(declared)
    except InvalidVersion:
        raise _invalid(f"Version {declared!r} is not a valid PEP 440 version") from None


def _requires_python(declared: str | None) -> str | None:
    """The declared specifier set, unfolded and stripped; refused only if it does not parse.

    >>> _requires_python(" >=3.8, <4.0 ")
    '>=3.8, <4.0'
    >>> _requires_python("UNKNOWN") is None
    True
    """
    value = _unfold(declared)
    if value is None:
        return None
    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        raise _invalid(
            f"Requires-Python {value!r} is not a PEP 440 version specifier set such as '>=3.9'"
        ) from None
    return value


def _summary(declared: str | None) -> str | None:
    """One line for listings: folded lines joined, control characters (NUL…) dropped.

    >>> _summary("A folded\\n  summary\\x00 ")
    'A folded summary'
    """
    value = _unfold(declared)
    if not value:
        return None
    line = " ".join(value.split())
    return "".join(c for c in line if unicodedata.category(c) != "Cc") or None


def _unfold(declared: str | None) -> str | None:
    if declared is None:
        return None
    value = _FOLD.sub("", declared).strip()
    return value if value and value != _UNKNOWN else None
