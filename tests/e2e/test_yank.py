"""Yanking (PEP 592): installers skip a yanked release unless pinned; each yank is a version."""

from __future__ import annotations

from typing import Any

from tests.builders import Dist
from tests.driver import Packhouse, installed
from tests.simple_pages import anchors, html_page, index_version, json_page, simple_path

GOOD = Dist("shaky", "1.0")
BAD = Dist("shaky", "1.1")
REASON = "broken build"


def _released(ph: Packhouse) -> str:
    """An index at version 2: shaky 1.0 (version 1) and shaky 1.1 (version 2), wheels."""
    index = ph.create_index()
    user = ph.uploader(index)
    ph.publish(index, user, GOOD)
    ph.publish(index, user, BAD)
    assert index_version(ph.http, index) == 2
    return index


def _yank_state(ph: Packhouse, index: str, version: int | None = None) -> dict[str, Any]:
    """``{filename: (HTML data-yanked or None, JSON yanked)}`` of the shaky page."""
    path = simple_path(index, "shaky", version=version)
    html = anchors(html_page(ph.http, path))
    body = json_page(ph.http, path)
    json_yanked = {f["filename"]: f["yanked"] for f in body["files"]}
    assert set(html) == set(json_yanked)
    return {name: (attrs.get("data-yanked"), json_yanked[name]) for name, attrs in html.items()}


def test_installers_skip_a_yanked_release_unless_pinned(ph: Packhouse) -> None:
    index = _released(ph)
    ph.cli("yank", "--index", index, "shaky", "1.1", "--reason", REASON)

    _, target = ph.pip_install(ph.index_url(index), "shaky")
    assert installed(target) == {"shaky==1.0"}
    result, target = ph.pip_install(ph.index_url(index), "shaky==1.1")
    assert installed(target) == {"shaky==1.1"}
    assert REASON in result.stdout + result.stderr  # pip warns with the reason

    _, venv = ph.uv_install(ph.index_url(index), "shaky")
    assert installed(venv) == {"shaky==1.0"}
    result, venv = ph.uv_install(ph.index_url(index), "shaky==1.1")
    assert installed(venv) == {"shaky==1.1"}
    assert REASON in result.stdout + result.stderr  # uv warns with the reason

    # A range that only a yanked release satisfies is not installed by either.
    result, _ = ph.pip_install(ph.index_url(index), "shaky>1.0", check=False)
    assert result.returncode != 0
    result, _ = ph.uv_install(ph.index_url(index), "shaky>1.0", check=False)
    assert result.returncode != 0


def test_yank_reason_unyank_and_versions(ph: Packhouse) -> None:
    index = _released(ph)
    good, bad = GOOD.wheel_filename, BAD.wheel_filename
    assert _yank_state(ph, index) == {good: (None, False), bad: (None, False)}

    result = ph.cli("yank", "--index", index, "shaky", "1.1", "--reason", REASON)
    assert result.stdout.strip().endswith("index version 3"), result.stdout
    assert index_version(ph.http, index) == 3
    assert _yank_state(ph, index) == {good: (None, False), bad: (REASON, REASON)}
    assert f'data-yanked="{REASON}"' in html_page(ph.http, simple_path(index, "shaky"))

    # The same yank again changes nothing and makes no version.
    again = ph.cli("yank", "--index", index, "shaky", "1.1", "--reason", REASON)
    assert "nothing to do" in again.stdout
    assert index_version(ph.http, index) == 3

    ph.cli("unyank", "--index", index, "shaky", "1.1")
    assert index_version(ph.http, index) == 4
    assert _yank_state(ph, index) == {good: (None, False), bad: (None, False)}
    assert "data-yanked" not in html_page(ph.http, simple_path(index, "shaky"))

    ph.cli("yank", "--index", index, "shaky", "1.1")
    assert index_version(ph.http, index) == 5
    assert _yank_state(ph, index) == {good: (None, False), bad: ("", True)}
    assert 'data-yanked=""' in html_page(ph.http, simple_path(index, "shaky"))

    # A new reason on a yanked release is a change too.
    ph.cli("yank", "--index", index, "shaky", "1.1", "--reason", 'says "no" <here>')
    assert index_version(ph.http, index) == 6
    raw = html_page(ph.http, simple_path(index, "shaky"))
    assert 'data-yanked="says &quot;no&quot; &lt;here&gt;"' in raw
    assert _yank_state(ph, index)[bad] == ('says "no" <here>', 'says "no" <here>')

    # Every old version keeps the yank state it had.
    assert _yank_state(ph, index, 2) == {good: (None, False), bad: (None, False)}
    assert _yank_state(ph, index, 3) == {good: (None, False), bad: (REASON, REASON)}
    assert _yank_state(ph, index, 4) == {good: (None, False), bad: (None, False)}
    assert _yank_state(ph, index, 5) == {good: (None, False), bad: ("", True)}

    # Installing from an old version follows that version's yank state.
    _, target = ph.pip_install(f"{ph.url}/pypi/{index}/versions/4/simple/", "shaky")
    assert installed(target) == {"shaky==1.1"}

    # Rolling back restores the yank state too.
    ph.cli("index", "rollback", index, "3")
    assert index_version(ph.http, index) == 7
    assert _yank_state(ph, index) == {good: (None, False), bad: (REASON, REASON)}


def test_yank_errors(ph: Packhouse) -> None:
    index = _released(ph)

    for args in (("shaky", "9.9"), ("nothing", "1.0")):
        result = ph.cli("yank", "--index", index, *args, check=False)
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert ph.cli("unyank", "--index", index, "shaky", "1.1").stdout.startswith("nothing to do")
    assert index_version(ph.http, index) == 2


def test_pypi_json_api_reports_yanks(ph: Packhouse) -> None:
    index = _released(ph)
    project_url = f"/pypi/{index}/pypi/shaky/json"
    assert ph.http.get(project_url).json()["info"]["version"] == "1.1"

    ph.cli("yank", "--index", index, "shaky", "1.1", "--reason", REASON)
    body = ph.http.get(project_url).json()
    assert body["info"]["version"] == "1.0"  # the newest release that is not yanked
    assert body["info"]["yanked"] is False
    assert body["info"]["yanked_reason"] is None
    (bad,) = body["releases"]["1.1"]
    assert bad["yanked"] is True
    assert bad["yanked_reason"] == REASON
    (good,) = body["releases"]["1.0"]
    assert good["yanked"] is False
    assert good["yanked_reason"] is None
    assert body["last_serial"] == 3

    release = ph.http.get(f"/pypi/{index}/pypi/shaky/1.1/json").json()
    assert release["info"]["version"] == "1.1"
    assert release["info"]["yanked"] is True
    assert release["info"]["yanked_reason"] == REASON
    (url,) = release["urls"]
    assert url["yanked"] is True
    assert url["yanked_reason"] == REASON

    ph.cli("yank", "--index", index, "shaky", "1.1")  # no reason
    release = ph.http.get(f"/pypi/{index}/pypi/shaky/1.1/json").json()
    assert release["info"]["yanked"] is True
    assert release["info"]["yanked_reason"] is None

    ph.cli("unyank", "--index", index, "shaky", "1.1")
    body = ph.http.get(project_url).json()
    assert body["info"]["version"] == "1.1"
    assert body["releases"]["1.1"][0]["yanked"] is False
    assert body["releases"]["1.1"][0]["yanked_reason"] is None
