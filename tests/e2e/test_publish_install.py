"""Publish with twine and uv, install with pip and uv, on two independent hosted indexes."""

from __future__ import annotations

import hashlib

import httpx
from pypi_simple import ACCEPT_JSON_ONLY, PyPISimple

from tests.builders import Dist
from tests.driver import Packhouse, installed

APP = Dist("App", "1.0", requires=("lib-core>=1.0", "lib-extra"))
LIB_CORE = Dist("lib.core", "1.2", requires_python=">=3.8")
LIB_EXTRA = Dist("lib_extra", "0.5", requires=("lib-core",))


def test_publish_with_every_client_and_install_with_pip_and_uv(ph: Packhouse) -> None:
    index_a, index_b = ph.create_index(), ph.create_index()
    user = ph.uploader(index_a)
    token = ph.token(user, index_a)

    ph.twine_upload(index_a, [ph.build(APP)], username="__token__", password=token)
    ph.twine_upload(
        index_a, [ph.build(LIB_CORE, sdist=True)], username=user.name, password=user.password
    )
    ph.uv_publish(
        index_a,
        [ph.build(LIB_EXTRA), ph.build(LIB_EXTRA, sdist=True)],
        username="__token__",
        password=token,
    )

    _, target = ph.pip_install(ph.index_url(index_a), "app")
    assert installed(target) == {"app==1.0", "lib_core==1.2", "lib_extra==0.5"}
    _, venv = ph.uv_install(ph.index_url(index_a), "app")
    assert installed(venv) == {"app==1.0", "lib_core==1.2", "lib_extra==0.5"}

    assert ph.http.get(f"/pypi/{index_b}/simple/app/").status_code == 404
    assert ph.http.get(f"/pypi/{index_b}/pypi/app/json").status_code == 404
    assert "app" not in ph.http.get(f"/pypi/{index_b}/simple/").text


def test_pages_parse_with_a_third_party_client_and_hashes_match(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.uploader(index)
    ph.publish(index, user, LIB_CORE)
    ph.publish(index, user, LIB_CORE, sdist=True)

    with PyPISimple(ph.index_url(index), accept=ACCEPT_JSON_ONLY) as client:
        page = client.get_project_page("lib-core")
        assert page.repository_version is not None
        assert {p.filename for p in page.packages} == {
            LIB_CORE.wheel_filename,
            LIB_CORE.sdist_filename,
        }
        for package in page.packages:
            assert package.requires_python == ">=3.8"
            assert package.has_metadata
            blob = httpx.get(package.url).content
            assert hashlib.sha256(blob).hexdigest() == package.digests["sha256"]
            metadata = httpx.get(package.url + ".metadata").content
            assert hashlib.sha256(metadata).hexdigest() == package.metadata_digests["sha256"]
            assert b"Name: lib.core" in metadata
    with PyPISimple(ph.index_url(index)) as client:  # HTML through the same client
        html_page = client.get_project_page("lib-core")
        assert {p.filename for p in html_page.packages} == {p.filename for p in page.packages}


def test_json_page_carries_pep_700_fields(ph: Packhouse) -> None:
    index = ph.create_index()
    ph.publish(index, ph.uploader(index), LIB_CORE)

    response = ph.simple_json(index, "lib-core")
    assert response.headers["content-type"] == "application/vnd.pypi.simple.v1+json"
    body = response.json()
    assert body["meta"]["api-version"] == "1.4"
    assert body["versions"] == ["1.2"]
    (entry,) = body["files"]
    assert entry["size"] > 0
    assert entry["upload-time"].endswith("Z")
    assert entry["yanked"] is False
    assert entry["core-metadata"] == entry["dist-info-metadata"]


def test_non_normalized_names_redirect_and_unknown_projects_are_404(ph: Packhouse) -> None:
    index = ph.create_index()
    ph.publish(index, ph.uploader(index), LIB_CORE)

    response = ph.http.get(f"/pypi/{index}/simple/Lib.Core/")
    assert response.status_code == 301
    assert response.headers["location"].endswith(f"/pypi/{index}/simple/lib-core/")
    assert ph.http.get(f"/pypi/{index}/simple/nothing-here/").status_code == 404
    assert ph.http.get("/pypi/no-such-index/simple/").status_code == 404


def test_pypi_json_api(ph: Packhouse) -> None:
    index = ph.create_index()
    ph.publish(index, ph.uploader(index), APP)

    body = ph.http.get(f"/pypi/{index}/pypi/app/json").json()
    assert body["info"]["name"] == "App"
    assert body["info"]["version"] == "1.0"
    assert body["info"]["requires_dist"] == ["lib-core>=1.0", "lib-extra"]
    assert list(body["releases"]) == ["1.0"]
    (url,) = body["urls"]
    assert ph.http.get(url["url"]).status_code == 200  # a path on this server
    assert ph.http.get(f"/pypi/{index}/pypi/app/1.0/json").json()["info"]["version"] == "1.0"
    assert ph.http.get(f"/pypi/{index}/pypi/app/9.9/json").status_code == 404


def test_management_api_shows_an_index(ph: Packhouse) -> None:
    index = ph.create_index()
    ph.publish(index, ph.uploader(index), LIB_CORE)

    body = ph.http.get(f"/api/v1/indexes/{index}").json()
    assert body["name"] == index
    assert body["kind"] == "hosted"
    assert body["private"] is False
    assert body["version"] == 1
    assert ph.http.get("/api/v1/indexes/nope").json() == {
        "detail": "no index named 'nope'; check the name"
    }
