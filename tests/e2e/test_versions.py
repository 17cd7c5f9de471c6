"""Index versions: every change makes version N+1; old versions stay readable, never writable."""

from __future__ import annotations

import hashlib

import httpx

from tests.builders import Dist
from tests.driver import Packhouse, installed
from tests.simple_pages import (
    JSON,
    anchors,
    filenames,
    html_page,
    index_version,
    json_page,
    simple_path,
)

V1 = Dist("timeline", "1.0")
V2 = Dist("timeline", "2.0")


def _two_releases(ph: Packhouse) -> tuple[str, dict[str, bytes]]:
    """An index at version 2: timeline 1.0 uploaded in version 1, 2.0 in version 2."""
    index = ph.create_index()
    user = ph.uploader(index)
    blobs = {}
    for dist in (V1, V2):
        (path,) = ph.publish(index, user, dist)
        blobs[path.name] = path.read_bytes()
    assert index_version(ph.http, index) == 2
    return index, blobs


def _download(ph: Packhouse, page_path: str, entry: dict[str, str]) -> httpx.Response:
    """Fetch a file by the (relative) URL a page gives for it."""
    url = httpx.URL(ph.url + page_path).join(entry["url"])
    return ph.http.get(url)


def test_an_old_version_serves_its_own_files_and_pip_installs_from_it(ph: Packhouse) -> None:
    index, blobs = _two_releases(ph)

    pinned = simple_path(index, "timeline", version=1)
    body = json_page(ph.http, pinned)
    assert filenames(body) == {V1.wheel_filename}
    assert body["versions"] == ["1.0"]
    assert set(anchors(html_page(ph.http, pinned))) == {V1.wheel_filename}
    (entry,) = body["files"]
    response = _download(ph, pinned, entry)
    assert response.status_code == 200
    assert response.content == blobs[V1.wheel_filename]
    assert hashlib.sha256(response.content).hexdigest() == entry["hashes"]["sha256"]

    assert filenames(json_page(ph.http, simple_path(index, "timeline"))) == {
        V1.wheel_filename,
        V2.wheel_filename,
    }
    assert json_page(ph.http, simple_path(index, version=1))["projects"] == [{"name": "timeline"}]
    assert json_page(ph.http, simple_path(index, version=0))["projects"] == []

    _, old = ph.pip_install(f"{ph.url}/pypi/{index}/versions/1/simple/", "timeline")
    assert installed(old) == {"timeline==1.0"}
    _, new = ph.pip_install(ph.index_url(index), "timeline")
    assert installed(new) == {"timeline==2.0"}


def test_rollback_makes_a_new_version_equal_to_the_old_one(ph: Packhouse) -> None:
    index, _ = _two_releases(ph)
    before_v2 = json_page(ph.http, simple_path(index, "timeline", version=2))

    result = ph.cli("index", "rollback", index, "1")
    assert result.stdout.strip().endswith("index version 3"), result.stdout

    assert index_version(ph.http, index) == 3
    current = json_page(ph.http, simple_path(index, "timeline"))
    assert filenames(current) == {V1.wheel_filename}
    assert current["versions"] == ["1.0"]
    assert set(anchors(html_page(ph.http, simple_path(index, "timeline")))) == {V1.wheel_filename}
    # Version 3's content equals version 1's, byte for byte (same links, same upload times).
    v3, v1 = (
        ph.http.get(simple_path(index, "timeline", version=n), headers={"Accept": JSON}).content
        for n in (3, 1)
    )
    assert v3 == v1
    # Version 2 is untouched by the rollback.
    assert json_page(ph.http, simple_path(index, "timeline", version=2)) == before_v2
    assert filenames(before_v2) == {V1.wheel_filename, V2.wheel_filename}
    pinned2 = simple_path(index, "timeline", version=2)
    for entry in before_v2["files"]:
        assert _download(ph, pinned2, entry).status_code == 200

    _, target = ph.pip_install(ph.index_url(index), "timeline")
    assert installed(target) == {"timeline==1.0"}

    # Rolling forward again is just another rollback.
    ph.cli("index", "rollback", index, "2")
    assert index_version(ph.http, index) == 4
    assert filenames(json_page(ph.http, simple_path(index, "timeline"))) == {
        V1.wheel_filename,
        V2.wheel_filename,
    }


def test_old_versions_are_read_only_and_bounded(ph: Packhouse) -> None:
    index, blobs = _two_releases(ph)
    user = ph.uploader(index)
    wheel = Dist("timeline", "3.0")
    data = ph.build(wheel).read_bytes()

    form = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": wheel.name,
        "version": wheel.version,
        "filetype": "bdist_wheel",
        "pyversion": "py3",
        "metadata_version": "2.1",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
    }
    for path in (f"/pypi/{index}/versions/1/legacy/", f"/pypi/{index}/versions/2/legacy"):
        response = ph.http.post(
            path, data=form, files={"content": (wheel.wheel_filename, data)}, auth=user.auth
        )
        assert response.status_code in (404, 405), response.text
    assert index_version(ph.http, index) == 2

    assert ph.http.get(simple_path(index, version=3)).status_code == 404
    assert ph.http.get(simple_path(index, "timeline", version=3)).status_code == 404
    assert ph.http.get(simple_path(index, "timeline", version=99)).status_code == 404
    assert ph.http.get(simple_path(index, "timeline", version=0)).status_code == 404
    assert ph.http.get(simple_path(index, version=2)).status_code == 200
    assert len(blobs) == 2


def test_remove_makes_a_new_version_and_old_versions_still_serve_the_file(ph: Packhouse) -> None:
    index, blobs = _two_releases(ph)

    result = ph.cli("remove", "--index", index, V2.wheel_filename)
    assert result.stdout.strip().endswith("index version 3"), result.stdout
    assert index_version(ph.http, index) == 3

    assert filenames(json_page(ph.http, simple_path(index, "timeline"))) == {V1.wheel_filename}
    pinned = simple_path(index, "timeline", version=2)
    old = json_page(ph.http, pinned)
    assert filenames(old) == {V1.wheel_filename, V2.wheel_filename}
    assert V2.wheel_filename in anchors(html_page(ph.http, pinned))
    (entry,) = (f for f in old["files"] if f["filename"] == V2.wheel_filename)
    response = _download(ph, pinned, entry)
    assert response.status_code == 200
    assert response.content == blobs[V2.wheel_filename]
    assert _download(ph, pinned, {"url": entry["url"] + ".metadata"}).status_code == 200

    _, target = ph.pip_install(ph.index_url(index), "timeline")
    assert installed(target) == {"timeline==1.0"}

    # Removing what is not there is an error and makes no version.
    again = ph.cli("remove", "--index", index, V2.wheel_filename, check=False)
    assert again.returncode != 0
    assert V2.wheel_filename in again.stderr
    assert index_version(ph.http, index) == 3

    # Removing the last file of a project removes the project from the current version only.
    ph.cli("remove", "--index", index, V1.wheel_filename)
    assert ph.http.get(simple_path(index, "timeline")).status_code == 404
    assert json_page(ph.http, simple_path(index))["projects"] == []
    assert json_page(ph.http, simple_path(index, version=3))["projects"] == [{"name": "timeline"}]


def test_rollback_to_a_missing_version_fails_with_one_line(ph: Packhouse) -> None:
    index, _ = _two_releases(ph)

    for target in ("3", "99"):
        result = ph.cli("index", "rollback", index, target, check=False)
        assert result.returncode != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert target in lines[0]
        assert "Traceback" not in result.stdout + result.stderr
    assert index_version(ph.http, index) == 2
    assert ph.http.get(simple_path(index, version=3)).status_code == 404

    missing = ph.cli("index", "rollback", "no-such-index", "1", check=False)
    assert missing.returncode != 0
    assert len(missing.stderr.strip().splitlines()) == 1


def test_index_show_lists_the_versions(ph: Packhouse) -> None:
    index, _ = _two_releases(ph)
    ph.cli("index", "rollback", index, "1")

    shown = ph.cli("index", "show", index).stdout
    assert f"name: {index}" in shown
    assert "version: 3" in shown
    rows = {}
    for line in shown.splitlines():
        number, _, rest = line.strip().partition("\t")
        if line.startswith("  ") and number.isdigit():
            rows[int(number)] = rest
    assert sorted(rows) == [1, 2, 3]
    assert V1.wheel_filename in rows[1]
    assert V2.wheel_filename in rows[2]
    assert "rollback" in rows[3]
    assert "1" in rows[3].partition("rollback")[2]

    listed = ph.cli("index", "list").stdout
    (row,) = (line for line in listed.splitlines() if line.startswith(index + "\t"))
    assert row == f"{index}\thosted\tfalse\t3"
