"""Index and project names: parsing and normalization."""

from __future__ import annotations

import re
from typing import NewType

from packaging.utils import NormalizedName, canonicalize_name

from packhouse.errors import Invalid

IndexName = NewType("IndexName", str)

#: Index names that would collide with top-level URLs or future features.
RESERVED_INDEX_NAMES = frozenset({"api", "static", "files", "ui", "healthz", "metrics"})

# Always ``fullmatch``: ``$`` would also match before a final newline ("team-a\n").
_INDEX_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
#: The longest project name (the width of the database's project columns).
MAX_PROJECT_NAME = 255
_PROJECT_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE | re.ASCII)
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def parse_index_name(value: str) -> IndexName:
    """Check an index name: lowercase letters, digits and ``-``, 1-64 characters.

    >>> parse_index_name("team-a")
    'team-a'
    >>> parse_index_name("Team_A")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    packhouse.errors.Invalid: invalid index name 'Team_A': use 1-64 lowercase letters, ...
    >>> parse_index_name("team-a\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    packhouse.errors.Invalid: invalid index name 'team-a\\n': use 1-64 lowercase letters, ...
    """
    if not _INDEX_NAME.fullmatch(value):
        raise Invalid(f"invalid index name {value!r}: use 1-64 lowercase letters, digits and '-'")
    if value in RESERVED_INDEX_NAMES:
        raise Invalid(f"index name {value!r} is reserved; pick another name")
    return IndexName(value)


def parse_project_name(value: str) -> NormalizedName:
    """Check a project name (PEP 508) and return its normalized form (PEP 503).

    >>> parse_project_name("Foo.Bar_baz")
    'foo-bar-baz'
    >>> parse_project_name("foo\\n")
    Traceback (most recent call last):
    ...
    packhouse.errors.Invalid: invalid project name 'foo\\n'
    >>> parse_project_name("a" * 256)
    Traceback (most recent call last):
    ...
    packhouse.errors.Invalid: a project name has at most 255 characters, not 256
    """
    if len(value) > MAX_PROJECT_NAME:
        raise Invalid(f"a project name has at most {MAX_PROJECT_NAME} characters, not {len(value)}")
    if not _PROJECT_NAME.fullmatch(value):
        raise Invalid(f"invalid project name {value!r}")
    return canonicalize_name(value)


def is_normalized(value: str) -> bool:
    """Whether a project name is already in its normalized form.

    >>> is_normalized("foo-bar"), is_normalized("Foo_Bar")
    (True, False)
    """
    return canonicalize_name(value) == value


def parse_user_name(value: str) -> str:
    """Check a user or team name: letters, digits, ``.``, ``_``, ``-``; 1-64 characters.

    >>> parse_user_name("alice")
    'alice'
    >>> parse_user_name("bob\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    packhouse.errors.Invalid: invalid name 'bob\\n': use 1-64 letters, digits, '.', '_' and '-'
    """
    if not _USER_NAME.fullmatch(value) or value == "__token__":
        raise Invalid(f"invalid name {value!r}: use 1-64 letters, digits, '.', '_' and '-'")
    return value
