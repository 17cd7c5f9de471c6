"""The hot path over HTTP against the live server: negotiation, caching, gzip, downloads."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from packaging.specifiers import SpecifierSet

from tests.builders import Dist
from tests.driver import Packhouse
from tests.simple_pages import (
    JSON,
    PIP_ACCEPT,
    anchors,
    filenames,
    fresh_get,
    index_version,
    json_page,
    simple_path,
)

THING = Dist("Web.Thing", "1.0", requires_python=">=3.8,<4")
THING_2 = Dist("Web.Thing", "2.0", requires_python=">=3.8,<4")
OTHER = Dist("other-thing", "0.1")
PROJECT = "web-thing"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
PLAIN = {"Accept-Encoding": "identity"}
#: Enough fresh connections to reach both worker processes of the session's server.
ROUNDS = 10


def _published(ph: Packhouse) -> tuple[str, Path]:
    """An index at version 1 holding THING's wheel."""
    index = ph.create_index()
    (wheel,) = ph.publish(index, ph.uploader(index), THING)
    return index, wheel


def _get_without_accept(http: httpx.Client, path: str) -> httpx.Response:
    request = http.build_request("GET", path)
    del request.headers["accept"]
    return http.send(request)


def _wheel_entry(ph: Packhouse, index: str) -> dict[str, Any]:
    (entry,) = json_page(ph.http, simple_path(index, PROJECT))["files"]
    assert isinstance(entry, dict)
    return entry


def _file_path(index: str, entry: dict[str, Any]) -> str:
    return f"/pypi/{index}/files/{entry['hashes']['sha256']}/{entry['filename']}"


def test_content_negotiation(ph: Packhouse) -> None:
    index, _ = _published(ph)
    page = simple_path(index, PROJECT)

    for path in (page, simple_path(index)):
        plain = _get_without_accept(ph.http, path)
        assert plain.status_code == 200
        assert plain.headers["content-type"] == "text/html; charset=utf-8"
        assert "accept" in [v.strip().lower() for v in plain.headers["vary"].split(",")]

        pip = ph.http.get(path, headers={"Accept": PIP_ACCEPT})
        assert pip.status_code == 200
        assert pip.headers["content-type"] == JSON
        assert pip.json()["meta"]["api-version"] == "1.4"
        assert "accept" in pip.headers["vary"].lower()

        html = ph.http.get(path, headers={"Accept": HTML_V1})
        assert html.headers["content-type"].startswith(HTML_V1)
        assert html.text.startswith("<!DOCTYPE html>")

        forced = ph.http.get(path, params={"format": JSON}, headers={"Accept": "text/html"})
        assert forced.headers["content-type"] == JSON
        forced_html = ph.http.get(path, params={"format": HTML_V1}, headers={"Accept": JSON})
        assert forced_html.headers["content-type"].startswith(HTML_V1)

        refused = ph.http.get(path, headers={"Accept": "application/xml"})
        assert refused.status_code == 406
        assert refused.text.strip()
        assert ph.http.get(path, params={"format": "application/xml"}).status_code == 406

    # JSON and HTML list the same files.
    assert set(anchors(ph.http.get(page).text)) == filenames(json_page(ph.http, page))


def test_html_page_carries_pep_503_and_714_attributes(ph: Packhouse) -> None:
    index, wheel = _published(ph)
    html = ph.http.get(simple_path(index, PROJECT)).text
    entry = _wheel_entry(ph, index)
    core = entry["core-metadata"]
    assert isinstance(core, dict)
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()

    assert '<meta name="pypi:repository-version" content="1.4">' in html
    assert f'data-core-metadata="sha256={core["sha256"]}"' in html
    assert f'data-dist-info-metadata="sha256={core["sha256"]}"' in html
    # Requires-Python is HTML-escaped in its attribute. (The server stores the specifier set
    # in packaging's normal form, "<4,>=3.8", so the order of the clauses is not checked.)
    (raw,) = re.findall(r'data-requires-python="([^"]*)"', html)
    assert "<" not in raw
    assert ">" not in raw
    assert sorted(raw.split(",")) == sorted(["&gt;=3.8", "&lt;4"])
    (attrs,) = anchors(html).values()
    assert attrs["href"] == f"../../files/{sha256}/{wheel.name}#sha256={sha256}"
    assert SpecifierSet(attrs["data-requires-python"] or "") == SpecifierSet(">=3.8,<4")
    assert SpecifierSet(str(entry["requires-python"])) == SpecifierSet(">=3.8,<4")
    assert "data-yanked" not in attrs
    root = ph.http.get(simple_path(index)).text
    assert '<meta name="pypi:repository-version" content="1.4">' in root


def test_etag_and_if_none_match(ph: Packhouse) -> None:
    index, _ = _published(ph)
    page = simple_path(index, PROJECT)

    for headers in (
        {"Accept": JSON, **PLAIN},
        {"Accept": JSON, "Accept-Encoding": "gzip"},
        {"Accept": "text/html", **PLAIN},
    ):
        first = ph.http.get(page, headers=headers)
        etag = first.headers["etag"]
        assert re.fullmatch(r'"[^"]+"', etag)
        again = ph.http.get(page, headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert "must-revalidate" in again.headers["cache-control"]
        other = ph.http.get(page, headers={**headers, "If-None-Match": '"something-else"'})
        assert other.status_code == 200
        assert other.content == first.content

    path = _file_path(index, _wheel_entry(ph, index))
    first = ph.http.get(path)
    again = ph.http.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    metadata = ph.http.get(path + ".metadata")
    assert (
        ph.http.get(
            path + ".metadata", headers={"If-None-Match": metadata.headers["etag"]}
        ).status_code
        == 304
    )


def test_each_representation_has_its_own_etag(ph: Packhouse) -> None:
    """A strong ETag names one representation (RFC 9110 8.8.3): the JSON page, the PEP 691 HTML
    page and the legacy text/html page differ at least in Content-Type, so their ETags differ;
    else a cache that revalidates one with the other's ETag serves the wrong Content-Type."""
    index, _ = _published(ph)
    page = simple_path(index, PROJECT)
    tags = {}
    for accept in (JSON, HTML_V1, "text/html"):
        response = ph.http.get(page, headers={"Accept": accept, **PLAIN})
        tags[response.headers["content-type"]] = response.headers["etag"]
    assert len(tags) == 3
    assert len(set(tags.values())) == 3, tags


def test_gzip(ph: Packhouse) -> None:
    index, _ = _published(ph)

    for path in (simple_path(index, PROJECT), simple_path(index)):
        for accept in (JSON, "text/html"):
            plain = ph.http.get(path, headers={"Accept": accept, **PLAIN})
            assert plain.status_code == 200
            assert "content-encoding" not in plain.headers
            assert "accept-encoding" in plain.headers["vary"].lower()

            zipped = ph.http.get(path, headers={"Accept": accept, "Accept-Encoding": "gzip"})
            assert zipped.status_code == 200
            assert zipped.headers["content-encoding"] == "gzip"
            assert "accept-encoding" in zipped.headers["vary"].lower()
            assert zipped.headers["content-type"] == plain.headers["content-type"]
            assert zipped.content == plain.content  # httpx decodes
            assert zipped.headers["etag"] != plain.headers["etag"]

            with ph.http.stream(
                "GET", path, headers={"Accept": accept, "Accept-Encoding": "gzip"}
            ) as raw:
                compressed = b"".join(raw.iter_raw())
            assert compressed[:2] == b"\x1f\x8b"
            assert gzip.decompress(compressed) == plain.content
            assert int(raw.headers["content-length"]) == len(compressed)


def test_gzip_refused_with_q_zero_is_not_sent(ph: Packhouse) -> None:
    """RFC 9110 12.5.3: ``gzip;q=0`` means the client does not accept gzip."""
    index, _ = _published(ph)
    path = simple_path(index, PROJECT)

    plain = ph.http.get(path, headers=PLAIN)
    refused = ph.http.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    assert refused.content == plain.content


def test_head_matches_get_without_a_body(ph: Packhouse) -> None:
    index, _ = _published(ph)

    for path in (simple_path(index, PROJECT), simple_path(index, PROJECT, version=1)):
        for headers in (
            {"Accept": JSON, **PLAIN},
            {"Accept": "text/html", "Accept-Encoding": "gzip"},
        ):
            for _ in range(2):  # a first (rendering) and a cached answer
                head = ph.http.head(path, headers=headers)
                get = ph.http.get(path, headers=headers)
                assert head.status_code == get.status_code == 200
                assert head.content == b""
                for name in ("etag", "content-type", "cache-control", "vary", "content-length"):
                    assert head.headers.get(name) == get.headers.get(name), name


def test_cache_control(ph: Packhouse) -> None:
    index, _ = _published(ph)

    for path in (simple_path(index, PROJECT), simple_path(index)):
        current = ph.http.get(path)
        assert "must-revalidate" in current.headers["cache-control"]
        assert "immutable" not in current.headers["cache-control"]
        assert "public" in current.headers["cache-control"]
    for path in (simple_path(index, PROJECT, version=1), simple_path(index, version=1)):
        pinned = ph.http.get(path)
        assert pinned.status_code == 200
        assert "immutable" in pinned.headers["cache-control"]
        assert "must-revalidate" not in pinned.headers["cache-control"]
    path = _file_path(index, _wheel_entry(ph, index))
    assert "immutable" in ph.http.get(path).headers["cache-control"]


def test_file_downloads(ph: Packhouse) -> None:
    index, wheel = _published(ph)
    data = wheel.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    entry = _wheel_entry(ph, index)
    path = _file_path(index, entry)
    assert path.endswith(f"/{sha256}/{wheel.name}")

    # Fresh connections reach both workers; after a worker's first answer the ASGI layer
    # serves the file from what it remembers, and must answer exactly the same.
    for _ in range(ROUNDS):
        with httpx.Client(base_url=ph.url, timeout=30) as http:
            _check_download(http, path, data, entry)


def _check_download(http: httpx.Client, path: str, data: bytes, entry: dict[str, Any]) -> None:
    sha256 = entry["hashes"]["sha256"]
    response = http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert int(response.headers["content-length"]) == len(data) == entry["size"]
    assert response.headers["etag"] == f'"{sha256}"'
    assert response.content == data

    ranged = http.get(path, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert ranged.content == data[:10]
    assert ranged.headers["content-range"] == f"bytes 0-9/{len(data)}"
    assert int(ranged.headers["content-length"]) == 10
    tail = http.get(path, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206
    assert tail.content == data[-5:]

    core = entry["core-metadata"]
    assert isinstance(core, dict)
    metadata = http.get(path + ".metadata")
    assert metadata.status_code == 200
    assert metadata.headers["content-type"].startswith("text/plain")
    assert hashlib.sha256(metadata.content).hexdigest() == core["sha256"]
    assert metadata.headers["etag"] == f'"{core["sha256"]}"'
    assert b"Name: Web.Thing" in metadata.content


def test_file_downloads_refusals(ph: Packhouse) -> None:
    index, wheel = _published(ph)
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    entry = _wheel_entry(ph, index)
    core = entry["core-metadata"]
    assert isinstance(core, dict)
    path = _file_path(index, entry)
    for _ in range(ROUNDS):  # every worker has found the file once: refusals must still hold
        assert httpx.get(ph.url + path, timeout=30).status_code == 200
        assert httpx.get(ph.url + path + ".metadata", timeout=30).status_code == 200
    wrong = "0" * 64
    assert ph.http.get(f"/pypi/{index}/files/{wrong}/{wheel.name}").status_code == 404
    assert ph.http.get(f"/pypi/{index}/files/{wrong}/{wheel.name}.metadata").status_code == 404
    unknown_name = f"/pypi/{index}/files/{sha256}/other-0.1-py3-none-any.whl"
    assert ph.http.get(unknown_name).status_code == 404
    assert ph.http.get(f"/pypi/{index}/files/{core['sha256']}/{wheel.name}").status_code == 404

    elsewhere = ph.create_index()
    ph.publish(elsewhere, ph.uploader(elsewhere), OTHER)
    for suffix in ("", ".metadata"):
        response = ph.http.get(f"/pypi/{elsewhere}/files/{sha256}/{wheel.name}{suffix}")
        assert response.status_code == 404
    assert ph.http.get(f"/pypi/no-such-index/files/{sha256}/{wheel.name}").status_code == 404


def test_private_files_need_a_reader_on_every_request(ph: Packhouse) -> None:
    index = ph.create_index(private=True)
    (wheel,) = ph.publish(index, ph.uploader(index), THING)
    reader = ph.create_user()
    ph.grant("reader", index, reader)
    auth = (reader.name, reader.password)
    page = ph.http.get(simple_path(index, PROJECT), headers={"Accept": JSON}, auth=auth)
    (entry,) = page.json()["files"]
    url = ph.url + _file_path(index, entry)

    def statuses(credentials: tuple[str, str] | None) -> set[int]:
        return {httpx.get(url, auth=credentials, timeout=30).status_code for _ in range(ROUNDS)}

    assert statuses(auth) == {200}
    response = httpx.get(url, auth=auth, timeout=30)
    assert response.content == wheel.read_bytes()
    assert response.headers["cache-control"].startswith("private")
    assert statuses(None) == {401}
    assert statuses(("nobody", "wrong")) == {401}
    ph.cli("revoke", "--index", index, "--user", reader.name)
    assert statuses(auth) == {404}


def test_trailing_slash_redirects(ph: Packhouse) -> None:
    index, _ = _published(ph)

    for target in (
        simple_path(index),
        simple_path(index, PROJECT),
        simple_path(index, version=1),
        simple_path(index, PROJECT, version=1),
    ):
        path = target.removesuffix("/")
        response = ph.http.get(path)
        assert response.status_code == 301, path
        assert httpx.URL(response.headers["location"]).path == target
    kept = ph.http.get(f"/pypi/{index}/simple/{PROJECT}", params={"format": JSON})
    assert kept.status_code == 301
    assert httpx.URL(kept.headers["location"]).params["format"] == JSON
    assert ph.http.get(f"/pypi/{index}/simple/{PROJECT}", follow_redirects=True).status_code == 200


def test_root_page_lists_projects_in_both_formats(ph: Packhouse) -> None:
    index, _ = _published(ph)
    ph.publish(index, ph.uploader(index), OTHER)

    body = json_page(ph.http, simple_path(index))
    assert body["meta"]["api-version"] == "1.4"
    assert sorted(body["projects"], key=lambda p: p["name"]) == [
        {"name": "other-thing"},
        {"name": PROJECT},
    ]
    links = anchors(ph.http.get(simple_path(index)).text)
    assert {name: attrs["href"] for name, attrs in links.items()} == {
        "other-thing": "other-thing/",
        PROJECT: f"{PROJECT}/",
    }
    assert json_page(ph.http, simple_path(index, version=1))["projects"] == [{"name": PROJECT}]


Check = Callable[[httpx.Response], None]


def _every_worker_sees(url: str, check: Check, *, accept: str = JSON) -> None:
    """GET on ROUNDS fresh connections; every answer must pass ``check``."""
    for _ in range(ROUNDS):
        response = fresh_get(url, headers={"Accept": accept})
        assert response.status_code == 200, response.text
        check(response)


def test_pages_are_never_stale(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    ph.publish(index, user, THING)
    page = f"{ph.url}{simple_path(index, PROJECT)}"
    root = f"{ph.url}{simple_path(index)}"

    def files_are(*names: str) -> Check:
        return lambda r: _assert_equal(filenames(r.json()), set(names))

    def yanked_is(value: object) -> Check:
        return lambda r: _assert_equal(
            {f["filename"]: f["yanked"] for f in r.json()["files"]},
            {THING.wheel_filename: False, THING_2.wheel_filename: value},
        )

    # Warm every worker's page cache on the current version first.
    _every_worker_sees(page, files_are(THING.wheel_filename))
    _every_worker_sees(root, lambda r: _assert_equal(r.json()["projects"], [{"name": PROJECT}]))
    old_etag = fresh_get(page, headers={"Accept": JSON}).headers["etag"]

    ph.publish(index, user, THING_2)
    _every_worker_sees(page, files_are(THING.wheel_filename, THING_2.wheel_filename))
    for _ in range(ROUNDS):
        revalidated = fresh_get(page, headers={"Accept": JSON, "If-None-Match": old_etag})
        assert revalidated.status_code == 200
    ph.publish(index, user, OTHER)
    _every_worker_sees(
        root,
        lambda r: _assert_equal(
            sorted(p["name"] for p in r.json()["projects"]), ["other-thing", PROJECT]
        ),
    )

    ph.cli("yank", "--index", index, PROJECT, "2.0", "--reason", "oops")
    _every_worker_sees(page, yanked_is("oops"))
    _every_worker_sees(page, lambda r: _assert_in('data-yanked="oops"', r.text), accept="text/html")
    ph.cli("unyank", "--index", index, PROJECT, "2.0")
    _every_worker_sees(page, yanked_is(False))

    ph.cli("remove", "--index", index, THING_2.wheel_filename)
    _every_worker_sees(page, files_are(THING.wheel_filename))
    ph.cli("index", "rollback", index, "5")  # the version before the removal
    _every_worker_sees(page, files_are(THING.wheel_filename, THING_2.wheel_filename))

    ph.cli("index", "rollback", index, "1")
    assert index_version(ph.http, index) == 8
    _every_worker_sees(page, files_are(THING.wheel_filename))
    _every_worker_sees(root, lambda r: _assert_equal(r.json()["projects"], [{"name": PROJECT}]))
    _every_worker_sees(page, lambda r: _assert_in(THING.wheel_filename, r.text), accept="text/html")
    _every_worker_sees(
        page, lambda r: _assert_not_in(THING_2.wheel_filename, r.text), accept="text/html"
    )


def test_a_recreated_index_never_serves_the_deleted_indexs_pages(ph: Packhouse) -> None:
    """A deleted index's name is retired; once an admin purges it, an index created with that
    name starts empty: no worker may answer with a page it rendered for the deleted index (same
    name, same version number, and on SQLite possibly the same row id)."""
    index, _ = _published(ph)
    page = f"{ph.url}{simple_path(index, PROJECT)}"
    root = f"{ph.url}{simple_path(index)}"
    _every_worker_sees(page, lambda r: _assert_equal(filenames(r.json()), {THING.wheel_filename}))
    _every_worker_sees(root, lambda r: _assert_equal(r.json()["projects"], [{"name": PROJECT}]))

    ph.cli("index", "delete", index, "--yes")
    for _ in range(ROUNDS):
        assert fresh_get(page, headers={"Accept": JSON}).status_code == 404
    refused = ph.cli("index", "create", index, check=False)
    assert refused.returncode != 0
    assert "not available" in refused.stderr
    ph.cli("index", "purge", index, "--yes")
    ph.cli("index", "create", index)
    assert index_version(ph.http, index) == 0
    for _ in range(ROUNDS):
        assert fresh_get(page, headers={"Accept": JSON}).status_code == 404

    ph.publish(index, ph.uploader(index), OTHER)
    assert index_version(ph.http, index) == 1
    for _ in range(ROUNDS):
        assert fresh_get(page, headers={"Accept": JSON}).status_code == 404
        listed = fresh_get(root, headers={"Accept": JSON}).json()["projects"]
        assert listed == [{"name": "other-thing"}]


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


def _assert_in(needle: str, haystack: str) -> None:
    assert needle in haystack


def _assert_not_in(needle: str, haystack: str) -> None:
    assert needle not in haystack
