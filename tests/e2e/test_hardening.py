"""Smaller holes of issue 15: names with control characters, hostile Host headers, headers that
stop content sniffing, and the PyPI JSON API's shape."""

from __future__ import annotations

import pytest

from tests.builders import Dist
from tests.driver import Packhouse

API = "/api/v1"


@pytest.mark.parametrize("bad", ["\n", "\r", "\t", " ", "\x00", "\x7f", "\u2028"])
def test_names_with_control_characters_are_refused_over_http(ph: Packhouse, bad: str) -> None:
    admin = ph.create_user(admin=True)
    for path, body in [
        ("/users", {"name": f"bob{bad}", "password": "long-enough-password"}),
        ("/teams", {"name": f"team{bad}"}),
        ("/indexes", {"name": f"idx{bad}"}),
    ]:
        response = ph.http.post(API + path, json=body, auth=admin.auth)
        assert response.status_code in (400, 422), (path, body, response.text)
    listed = ph.http.get(API + "/users", params={"limit": 1000}, auth=admin.auth).json()
    names = [user["name"] for user in listed["items"]]
    assert f"bob{bad}" not in names


class Dist24(Dist):
    """A release whose metadata says 2.4, so that twine lets ``License-File`` and ``Dynamic`` by."""

    def metadata(self) -> bytes:
        return super().metadata().replace(b"Metadata-Version: 2.1", b"Metadata-Version: 2.4", 1)


SHAPED = Dist24(
    "Shaped.Thing",
    "1.0",
    requires=("lib-core>=1.0",),
    extra_metadata=(
        "License-File: LICENSE",
        "License-File: NOTICE",
        "Dynamic: Requires-Dist",
        "Download-URL: https://downloads.example/shaped",
        "Project-URL: Source, https://code.example/shaped",
    ),
)
PLAIN = Dist("Plain.Thing", "1.0")
#: Every key of PyPI's ``info`` object (warehouse ``legacy/api/json.py``).
PYPI_INFO_KEYS = {
    "author", "author_email", "bugtrack_url", "classifiers", "description",
    "description_content_type", "docs_url", "download_url", "downloads", "dynamic", "home_page",
    "keywords", "license", "license_expression", "license_files", "maintainer",
    "maintainer_email", "name", "package_url", "platform", "project_url", "project_urls",
    "provides_extra", "release_url", "requires_dist", "requires_python", "summary", "version",
    "yanked", "yanked_reason",
}  # fmt: skip
PYPI_FILE_KEYS = {
    "comment_text", "digests", "downloads", "filename", "has_sig", "md5_digest", "packagetype",
    "python_version", "requires_python", "size", "upload_time", "upload_time_iso_8601", "url",
    "yanked", "yanked_reason",
}  # fmt: skip


def test_the_json_api_has_pypis_shape(ph: Packhouse) -> None:
    index = ph.create_index()
    ph.publish(index, ph.uploader(index), SHAPED, PLAIN)

    for path in ("shaped-thing/json", "shaped-thing/1.0/json"):
        body = ph.http.get(f"/pypi/{index}/pypi/{path}").json()
        info = body["info"]
        assert set(info) == PYPI_INFO_KEYS
        assert info["classifiers"] == []  # never null
        assert info["downloads"] == {"last_day": -1, "last_week": -1, "last_month": -1}
        assert info["license_files"] == ["LICENSE", "NOTICE"]
        assert info["dynamic"] == ["Requires-Dist"]  # as declared
        assert info["download_url"] == "https://downloads.example/shaped"
        assert info["project_urls"] == {"Source": "https://code.example/shaped"}
        assert info["package_url"] == info["project_url"] == f"/indexes/{index}/shaped-thing/"
        assert info["release_url"] == f"/indexes/{index}/shaped-thing/1.0/"
        assert info["docs_url"] is None
        assert info["bugtrack_url"] is None
        (entry,) = body["urls"]
        assert set(entry) == PYPI_FILE_KEYS
        assert entry["downloads"] == -1
        assert ph.http.get(entry["url"]).status_code == 200

    info = ph.http.get(f"/pypi/{index}/pypi/plain-thing/json").json()["info"]
    assert info["classifiers"] == []
    for empty in ("license_files", "dynamic", "requires_dist", "provides_extra", "project_urls"):
        assert info[empty] is None, empty


HOSTILE_HOST = "evil.example.com"


def test_a_hostile_host_header_is_never_echoed(ph: Packhouse) -> None:
    index = ph.create_index()
    ph.publish(index, ph.uploader(index), SHAPED)
    wheel = ph.simple_json(index, "shaped-thing").json()["files"][0]
    file_path = f"/pypi/{index}/files/{wheel['hashes']['sha256']}/{wheel['filename']}"
    host = {"Host": HOSTILE_HOST}

    for path in (
        f"/pypi/{index}/pypi/shaped-thing/json",
        f"/pypi/{index}/pypi/shaped-thing/1.0/json",
        f"/pypi/{index}/pypi/Shaped.Thing/json",  # redirects
        f"/pypi/{index}/pypi/Shaped.Thing/1.0/json",
        f"/pypi/{index}/simple/",
        f"/pypi/{index}/simple",
        f"/pypi/{index}/simple/shaped-thing/",
        f"/pypi/{index}/simple/Shaped.Thing/",
        f"/pypi/{index}/simple/shaped-thing",
        f"/pypi/{index}/versions/1/simple/Shaped.Thing/",
        file_path + ".metadata",
        "/healthz/",
        "/api/v1/indexes/",
        f"/api/v1/indexes/{index}",
        "/nowhere",
    ):
        for accept in ("text/html", "application/vnd.pypi.simple.v1+json", "*/*"):
            response = ph.http.get(path, headers={**host, "Accept": accept})
            assert HOSTILE_HOST not in response.text, (path, response.text)
            assert HOSTILE_HOST not in str(response.headers), (path, response.headers)
    moved = ph.http.get(f"/pypi/{index}/pypi/Shaped.Thing/json", headers=host)
    assert moved.status_code == 301
    assert moved.headers["location"] == f"/pypi/{index}/pypi/shaped-thing/json"


def _surfaces(ph: Packhouse) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, headers) of every kind of answer: pages, files, JSON, errors, redirects."""
    index = ph.create_index()
    private = ph.create_index(private=True)
    ph.publish(index, ph.uploader(index), PLAIN)
    wheel = ph.simple_json(index, "plain-thing").json()["files"][0]
    file_path = f"/pypi/{index}/files/{wheel['hashes']['sha256']}/{wheel['filename']}"
    html, json = {"Accept": "text/html"}, {"Accept": "application/vnd.pypi.simple.v1+json"}
    etag = ph.http.get(f"/pypi/{index}/simple/plain-thing/", headers=html).headers["etag"]
    return [
        ("GET", f"/pypi/{index}/simple/", html),
        ("GET", f"/pypi/{index}/simple/", json),
        ("GET", f"/pypi/{index}/simple/plain-thing/", html),  # cached: the hot path
        ("GET", f"/pypi/{index}/simple/plain-thing/", {**html, "If-None-Match": etag}),
        ("GET", f"/pypi/{index}/simple/plain-thing/?format=text/html", {}),  # the routes
        ("HEAD", f"/pypi/{index}/simple/plain-thing/", html),
        ("GET", f"/pypi/{index}/versions/1/simple/plain-thing/", json),
        ("GET", f"/pypi/{index}/simple/Plain.Thing/", html),  # 301
        ("GET", f"/pypi/{index}/simple/no-such-thing/", html),  # 404
        ("GET", f"/pypi/{index}/simple/", {"Accept": "image/png"}),  # 406
        ("GET", f"/pypi/{private}/simple/", html),  # 401
        ("GET", file_path, {}),
        ("GET", file_path + ".metadata", {}),
        ("GET", file_path, {"If-None-Match": f'"{wheel["hashes"]["sha256"]}"'}),
        ("GET", f"/pypi/{index}/pypi/plain-thing/json", {}),
        ("GET", f"/pypi/{index}/pypi/nothing/json", {}),
        ("POST", f"/pypi/{index}/legacy/", {}),  # 401
        ("GET", "/api/v1/indexes", {}),
        ("GET", "/api/v1/users", {}),  # 401
        ("GET", "/api/v1/openapi.json", {}),
        ("GET", "/healthz", {}),
        ("GET", "/metrics", {}),
        ("GET", "/nowhere", {}),
    ]


def test_every_response_forbids_sniffing_and_scripts(ph: Packhouse) -> None:
    for method, path, headers in _surfaces(ph):
        for _ in range(2):  # the second time from the hot path's caches
            response = ph.http.request(method, path, headers=headers)
            where = (method, path, headers, response.status_code)
            assert response.headers.get("x-content-type-options") == "nosniff", where
            policy = response.headers.get("content-security-policy", "")
            assert policy.startswith("default-src 'none'"), where
            assert response.headers.get_list("x-content-type-options") == ["nosniff"], where
