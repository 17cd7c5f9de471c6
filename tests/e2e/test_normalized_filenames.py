"""One file per normalized filename, and releases named by their PEP 440 canonical version.

``Foo_Bar-1.0-py3-none-any.whl`` and ``foo_bar-1.0.0-py3-none-any.whl`` are the same file of the
same release: the second upload is a no-op with the same bytes and a 400 with others. A release
has one sdist. Yanking, un-yanking and deleting ``1.0`` act on the files that say ``1.0.0``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.builders import Dist, make_sdist, make_wheel, write
from tests.driver import Packhouse, User
from tests.simple_pages import index_version, json_page, simple_path

FIRST = Dist("Foo_Bar", "1.0")
#: The same name and version, written differently, with other content.
OTHER = Dist("foo_bar", "1.0.0", module_source="OTHER = True\n")


def _open_index(ph: Packhouse) -> str:
    """An index where every uploader may upload to every project (ownership is tested apart)."""
    index = ph.create_index()
    ph.cli("index", "set", index, "--project-ownership", "open")
    return index


def _upload(
    ph: Packhouse, index: str, user: User, filename: str, data: bytes
) -> subprocess.CompletedProcess[str]:
    path = _write(ph.tmp, user, filename, data)
    return ph.twine_upload(index, [path], username=user.name, password=user.password, check=False)


def _write(tmp: Path, user: User, filename: str, data: bytes) -> Path:
    folder = tmp / user.name
    folder.mkdir(exist_ok=True)
    return write(folder, filename, data)


def _files(ph: Packhouse, index: str, project: str = "foo-bar") -> dict[str, object]:
    """``{filename: yanked}`` of the project's Simple page (JSON)."""
    body = json_page(ph.http, simple_path(index, project))
    return {f["filename"]: f["yanked"] for f in body["files"]}


def test_a_differently_spelled_filename_with_other_content_is_refused(ph: Packhouse) -> None:
    index = _open_index(ph)
    alice, bob = ph.uploader(index), ph.uploader(index)
    first = make_wheel(FIRST)
    assert _upload(ph, index, alice, "Foo_Bar-1.0-py3-none-any.whl", first).returncode == 0

    for filename in ("foo_bar-1.0-py3-none-any.whl", "foo_bar-1.0.0-py3-none-any.whl"):
        result = _upload(ph, index, bob, filename, make_wheel(OTHER))
        assert result.returncode != 0, result.stdout
        output = result.stdout + result.stderr
        assert "400" in output
        assert "'Foo_Bar-1.0-py3-none-any.whl'" in output, output  # names the existing file
    assert _files(ph, index) == {"Foo_Bar-1.0-py3-none-any.whl": False}
    assert index_version(ph.http, index) == 1

    # The same bytes under another spelling are the file already there: nothing changes.
    again = _upload(ph, index, bob, "foo_bar-1.0.0-py3-none-any.whl", first)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _files(ph, index) == {"Foo_Bar-1.0-py3-none-any.whl": False}
    assert index_version(ph.http, index) == 1

    # Other tags make another file of the same release.
    other_tags = _upload(ph, index, bob, "foo_bar-1.0.0-py2.py3-none-any.whl", make_wheel(OTHER))
    assert other_tags.returncode == 0, other_tags.stdout + other_tags.stderr
    assert set(_files(ph, index)) == {
        "Foo_Bar-1.0-py3-none-any.whl",
        "foo_bar-1.0.0-py2.py3-none-any.whl",
    }


def test_a_release_has_one_sdist(ph: Packhouse) -> None:
    index = _open_index(ph)
    alice = ph.uploader(index)
    assert _upload(ph, index, alice, "foo_bar-1.0.tar.gz", make_sdist(FIRST)).returncode == 0

    result = _upload(ph, index, alice, "foo_bar-1.0.0.tar.gz", make_sdist(OTHER))
    assert result.returncode != 0
    assert "already has an sdist" in result.stdout + result.stderr
    assert _files(ph, index) == {"foo_bar-1.0.tar.gz": False}


def test_yank_unyank_and_delete_act_on_the_canonical_version(ph: Packhouse) -> None:
    index = _open_index(ph)
    alice = ph.uploader(index)
    wheel, sdist = "foo_bar-1.0-py3-none-any.whl", "foo_bar-1.0.0.tar.gz"
    assert _upload(ph, index, alice, wheel, make_wheel(FIRST)).returncode == 0
    assert _upload(ph, index, alice, sdist, make_sdist(OTHER)).returncode == 0
    newer = ph.publish(index, alice, Dist("foo_bar", "2.0"))[0].name
    assert index_version(ph.http, index) == 3

    ph.cli("yank", "--index", index, "foo-bar", "1.0", "--reason", "broken")
    assert _files(ph, index) == {wheel: "broken", sdist: "broken", newer: False}
    body = ph.http.get(f"/api/v1/indexes/{index}/projects/foo-bar").json()
    assert {f["filename"]: f["yanked"] for f in body["files"]} == {
        wheel: True,
        sdist: True,
        newer: False,
    }
    release = ph.http.get(f"/pypi/{index}/pypi/foo-bar/1.0.0/json").json()
    assert release["info"]["yanked"] is True

    ph.cli("unyank", "--index", index, "foo-bar", "1.0.0")
    assert _files(ph, index) == {wheel: False, sdist: False, newer: False}
    assert index_version(ph.http, index) == 5

    ph.cli("yank", "--index", index, "foo-bar", "1")
    deleted = ph.cli("project", "delete", "--index", index, "foo-bar", "1.0.0", "--yes")
    assert deleted.stdout.strip().endswith("index version 7"), deleted.stdout
    assert _files(ph, index) == {newer: False}
    # The old version still serves the release; a rollback brings it back, yank and all.
    pinned = json_page(ph.http, simple_path(index, "foo-bar", version=6))
    assert {f["filename"] for f in pinned["files"]} == {wheel, sdist, newer}
    ph.cli("index", "rollback", index, "6")
    assert _files(ph, index) == {wheel: True, sdist: True, newer: False}


def test_remove_takes_the_filename_in_any_spelling(ph: Packhouse) -> None:
    index = _open_index(ph)
    alice = ph.uploader(index)
    assert (
        _upload(ph, index, alice, "Foo_Bar-1.0-py3-none-any.whl", make_wheel(FIRST)).returncode == 0
    )
    ph.publish(index, alice, Dist("foo_bar", "2.0"))

    ph.cli("remove", "--index", index, "foo_bar-1.0.0-py3-none-any.whl")
    assert _files(ph, index) == {"foo_bar-2.0-py3-none-any.whl": False}
