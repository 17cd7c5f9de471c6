"""Every name validator refuses whitespace and control characters anywhere in the name.

``re.match`` with ``$`` accepts ``"name\\n"`` (``$`` matches before a final newline); these tests
pin full matches for index, project, user and team names and distribution filenames.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from packhouse.domain.filenames import DistFilename
from packhouse.domain.names import parse_index_name, parse_project_name, parse_user_name
from packhouse.errors import Invalid

#: Characters that never belong in a name, put before, inside and after a valid one.
HOSTILE = ["\n", "\r", "\r\n", "\t", " ", "\x00", "\x0b", "\x0c", "\x7f", "\x85", "\u2028"]


def variants(name: str) -> list[str]:
    half = len(name) // 2
    found = []
    for bad in HOSTILE:
        found += [name + bad, bad + name, name[:half] + bad + name[half:]]
    return found


VALIDATORS: list[tuple[str, Callable[[str], object], str]] = [
    ("index", parse_index_name, "team-a"),
    ("project", parse_project_name, "Foo.Bar"),
    ("user or team", parse_user_name, "alice"),
]


@pytest.mark.parametrize(("kind", "parse", "good"), VALIDATORS)
def test_a_valid_name_passes(kind: str, parse: Callable[[str], object], good: str) -> None:
    assert parse(good)


@pytest.mark.parametrize(
    ("parse", "bad"),
    [(parse, bad) for _kind, parse, good in VALIDATORS for bad in variants(good)],
    ids=repr,
)
def test_whitespace_and_control_characters_are_refused(
    parse: Callable[[str], object], bad: str
) -> None:
    with pytest.raises(Invalid):
        parse(bad)


@pytest.mark.parametrize("lookalike", ["\u017f", "\u212a", "\u0130", "\u0131"])
def test_project_names_are_ascii_even_ignoring_case(lookalike: str) -> None:
    # [A-Z] with IGNORECASE alone also matches the long s, the Kelvin sign and dotted/dotless i.
    with pytest.raises(Invalid):
        parse_project_name(f"a{lookalike}b")


@pytest.mark.parametrize("good", ["foo-1.0-py3-none-any.whl", "Foo_Bar-1!2.0+local.tar.gz"])
def test_a_valid_filename_passes(good: str) -> None:
    assert DistFilename.parse(good).filename == good


@pytest.mark.parametrize(
    "bad",
    [f"{bad}.whl" for bad in variants("foo-1.0-py3-none-any")]
    + [f"{bad}.tar.gz" for bad in variants("foo-1.0")],
    ids=repr,
)
def test_filenames_refuse_whitespace_and_control_characters(bad: str) -> None:
    with pytest.raises(Invalid):
        DistFilename.parse(bad)
