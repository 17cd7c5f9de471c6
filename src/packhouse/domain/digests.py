"""File digests: computed while streaming, compared with what an upload claims."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from packhouse.errors import InvalidUpload


@dataclass(frozen=True, slots=True)
class Digests:
    """The digests of one file's bytes, as lowercase hex."""

    sha256: str
    md5: str
    blake2_256: str
    #: Length of the file in bytes.
    size: int


class DigestHasher:
    """Hashes a stream incrementally with every algorithm the upload API may send."""

    __slots__ = ("_blake2", "_md5", "_sha256", "size")

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._blake2 = hashlib.blake2b(digest_size=32)
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._sha256.update(chunk)
        self._md5.update(chunk)
        self._blake2.update(chunk)
        self.size += len(chunk)

    def digests(self) -> Digests:
        return Digests(
            sha256=self._sha256.hexdigest(),
            md5=self._md5.hexdigest(),
            blake2_256=self._blake2.hexdigest(),
            size=self.size,
        )


@dataclass(frozen=True, slots=True)
class ClaimedDigests:
    """The digests an upload form sent; any of them may be missing."""

    sha256: str | None = None
    md5: str | None = None
    blake2_256: str | None = None

    def verify(self, actual: Digests) -> None:
        """Raise ``InvalidUpload`` unless every claimed digest matches the actual bytes.

        >>> d = DigestHasher(); d.update(b"x"); actual = d.digests()
        >>> ClaimedDigests(sha256=actual.sha256).verify(actual)
        >>> ClaimedDigests(md5="00" * 16).verify(actual)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        packhouse.errors.InvalidUpload: md5_digest does not match the uploaded file: ...
        """
        for field in ("sha256", "md5", "blake2_256"):
            claimed = getattr(self, field)
            if claimed is not None and not hmac.compare_digest(claimed, getattr(actual, field)):
                raise InvalidUpload(
                    f"{field}_digest does not match the uploaded file: "
                    "the file was corrupted in transit; upload it again"
                )


def parse_hex_digest(field: str, value: str, *, length: int) -> str:
    """Check a hex digest from a form field and return it lowercased.

    >>> parse_hex_digest("md5_digest", "AB" * 16, length=32)
    'abababababababababababababababab'
    >>> parse_hex_digest("sha256_digest", "zz", length=64)
    Traceback (most recent call last):
    ...
    packhouse.errors.InvalidUpload: sha256_digest is not a 64-character hex digest: 'zz'
    """
    lowered = value.strip().lower()
    if len(lowered) != length or not all(c in "0123456789abcdef" for c in lowered):
        raise InvalidUpload(f"{field} is not a {length}-character hex digest: {value!r}")
    return lowered
