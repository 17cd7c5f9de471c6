"""Core metadata is read leniently: only what identifies a file or guides installers is refused."""

from __future__ import annotations

import pytest

from packhouse.domain.filenames import DistFilename
from packhouse.domain.metadata import CoreMetadata
from packhouse.errors import InvalidUpload


def parse(*lines: str, body: str = "") -> CoreMetadata:
    text = "\n".join(lines) + "\n"
    return CoreMetadata.parse((text + ("\n" + body if body else "")).encode())


@pytest.mark.parametrize(
    "declared",
    [">=3.8,<4.0", "<4.0,>=3.8", ">=3.8, <4.0", ">= 3.6, < 4", "~=3.7", ">=2.7, !=3.0.*, !=3.1.*"],
)
def test_requires_python_is_kept_as_declared_not_reordered(declared: str) -> None:
    # packaging's str(SpecifierSet(">=3.8,<4.0")) is "<4.0,>=3.8": the old code served that
    meta = parse(
        "Metadata-Version: 2.1", "Name: foo", "Version: 1.0", f"Requires-Python: {declared}"
    )
    assert meta.requires_python == declared


def test_requires_python_is_unfolded_and_stripped() -> None:
    meta = parse(
        "Metadata-Version: 2.1", "Name: foo", "Version: 1.0", "Requires-Python:  >=3.8,", "  <4"
    )
    assert meta.requires_python == ">=3.8,  <4"


@pytest.mark.parametrize("value", ["", "UNKNOWN", "  "])
def test_empty_or_unknown_requires_python_is_none(value: str) -> None:
    meta = parse("Metadata-Version: 2.1", "Name: foo", "Version: 1.0", f"Requires-Python: {value}")
    assert meta.requires_python is None


@pytest.mark.parametrize(
    "field",
    [
        "License-File: LICENSE",
        "License-Expression: MIT",
        "Dynamic: license-file",
        "Import-Name: foo",
        "X-Unknown: whatever",
        "Requires-Dist: not a valid requirement ((",
        "Classifier: Not :: A :: Classifier",
        "Project-URL: no comma here",
        "Description-Content-Type: text/html",
    ],
)
@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3"])
def test_fields_of_later_or_no_metadata_version_are_accepted(field: str, version: str) -> None:
    raw = f"Metadata-Version: {version}\nName: foo\nVersion: 1.0\n{field}\n".encode()
    meta = CoreMetadata.parse(raw)
    assert meta.raw == raw
    assert meta.project == "foo"


def test_summary_is_one_line_and_unknown_is_none() -> None:
    assert (
        parse("Metadata-Version: 1.0", "Name: a", "Version: 1", "Summary: UNKNOWN").summary is None
    )
    folded = parse("Metadata-Version: 2.1", "Name: a", "Version: 1", "Summary: one", "   two")
    assert folded.summary == "one two"
    assert (
        parse("Metadata-Version: 2.1", "Name: a", "Version: 1", "Summary: café").summary == "café"
    )
    # PostgreSQL text cannot hold NUL: control characters are dropped from the stored summary
    nul = parse("Metadata-Version: 2.1", "Name: a", "Version: 1", "Summary: a\x00b\x7f")
    assert nul.summary == "ab"


def test_non_utf8_optional_fields_are_accepted_and_kept() -> None:
    raw = "Metadata-Version: 1.0\nName: a\nVersion: 1\nAuthor: Jürgen\nSummary: dé\n".encode(
        "latin-1"
    )
    meta = CoreMetadata.parse(raw)
    assert meta.raw == raw
    assert meta.summary is None  # not UTF-8: not shown, still served in .metadata


def test_crlf_and_description_in_body() -> None:
    raw = (
        b"Metadata-Version: 2.1\r\nName: a\r\nVersion: 1\r\nRequires-Python: >=3.9\r\n\r\nbody\r\n"
    )
    meta = CoreMetadata.parse(raw)
    assert meta.requires_python == ">=3.9"
    assert meta.raw == raw


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (("Metadata-Version: 2.1", "Version: 1.0"), "no Name field"),
        (("Metadata-Version: 2.1", "Name: a", "Name: b", "Version: 1"), "2 Name fields"),
        (("Metadata-Version: 2.1", "Name: a!", "Version: 1"), "not a valid project name"),
        (("Metadata-Version: 2.1", "Name: a"), "no Version field"),
        (("Metadata-Version: 2.1", "Name: a", "Version: x.y"), "not a valid PEP 440 version"),
        (("Name: a", "Version: 1"), "no Metadata-Version field"),
        (("Metadata-Version: 3.0", "Name: a", "Version: 1"), "unknown major version"),
        (("Metadata-Version: two", "Name: a", "Version: 1"), "not a version such as"),
        (
            ("Metadata-Version: 2.1", "Name: a", "Version: 1", "Requires-Python: >=3.5.*"),
            "is not a PEP 440 version specifier set",
        ),
    ],
)
def test_what_is_still_refused(lines: tuple[str, ...], message: str) -> None:
    with pytest.raises(InvalidUpload, match=message) as caught:
        parse(*lines)
    assert "\n" not in caught.value.message


def test_name_in_bytes_that_are_not_utf8_is_refused() -> None:
    with pytest.raises(InvalidUpload, match="Name field is not UTF-8"):
        CoreMetadata.parse(b"Metadata-Version: 2.1\nName: caf\xe9\nVersion: 1\n")


def test_name_and_version_must_match_the_filename() -> None:
    meta = parse("Metadata-Version: 2.1", "Name: Foo.Bar", "Version: 1.0.0")
    meta.check_matches(DistFilename.parse("foo_bar-1.0-py3-none-any.whl"))
    with pytest.raises(InvalidUpload, match="names project"):
        meta.check_matches(DistFilename.parse("foo_baz-1.0-py3-none-any.whl"))
    with pytest.raises(InvalidUpload, match="has version"):
        meta.check_matches(DistFilename.parse("foo_bar-1.1.tar.gz"))
