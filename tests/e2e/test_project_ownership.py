"""Project ownership: no takeover of a project inside an index, and uploaders yank only their files.

The story from the issue: an uploader uploaded ``9.2`` into a project another uploader had made,
and then yanked the other's ``1.0``. With ``project_ownership = first-uploader`` (the default
for new indexes) the upload is refused until a maintainer adds them; with ``open`` it goes
through, but the yank of someone else's file does not.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from tests.builders import Dist, make_wheel
from tests.driver import Packhouse, User, unique
from tests.e2e.test_durability import upload_form
from tests.simple_pages import index_version, json_page, simple_path

ORIGINAL = Dist("tower", "1.0")
TAKEOVER = Dist("tower", "9.2", module_source="EVIL = True\n")


def _api(ph: Packhouse, user: User) -> httpx.Client:
    return httpx.Client(base_url=ph.url + "/api/v1", auth=user.auth, timeout=60)


def _try_publish(
    ph: Packhouse, index: str, user: User, dist: Dist
) -> subprocess.CompletedProcess[str]:
    folder = ph.tmp / unique("dist")
    folder.mkdir()
    path = Packhouse(ph.server, folder).build(dist)
    return ph.twine_upload(index, [path], username=user.name, password=user.password, check=False)


def _unwrapped(result: subprocess.CompletedProcess[str]) -> str:
    """twine's output with rich's line wrapping (which depends on the terminal) undone."""
    return " ".join((result.stdout + result.stderr).split())


def _yank(ph: Packhouse, user: User, index: str, project: str, version: str) -> httpx.Response:
    with _api(ph, user) as api:
        return api.post(
            f"/indexes/{index}/projects/{project}/releases/{version}/yank", json={"reason": "x"}
        )


def _owners(ph: Packhouse, user: User, index: str, project: str) -> list[dict[str, Any]]:
    with _api(ph, user) as api:
        response = api.get(f"/indexes/{index}/projects/{project}/owners")
    assert response.status_code == 200, response.text
    owners: list[dict[str, Any]] = response.json()
    return owners


def _audit(ph: Packhouse, index: str) -> list[str]:
    rows = ph.cli("audit", "--index", index, "--json").stdout
    return [f"{e['actor']} {e['action']} {e['target']} {e['detail']}" for e in json.loads(rows)]


def test_an_uploader_cannot_take_over_anothers_project(ph: Packhouse) -> None:
    index = ph.create_index()
    alice, bob = ph.uploader(index), ph.uploader(index)
    ph.publish(index, alice, ORIGINAL)

    refused = _try_publish(ph, index, bob, TAKEOVER)
    assert refused.returncode != 0
    output = _unwrapped(refused)
    assert "403" in output, output
    assert f"belongs to user {alice.name!r}" in output, output
    assert _yank(ph, bob, index, "tower", "1.0").status_code == 403
    assert [f["filename"] for f in json_page(ph.http, simple_path(index, "tower"))["files"]] == [
        ORIGINAL.wheel_filename
    ]
    assert index_version(ph.http, index) == 1

    # Uploaders may see who owns it; the first upload made alice the owner, audited.
    assert _owners(ph, bob, index, "tower") == [{"kind": "user", "name": alice.name}]
    assert f"{alice.name} project.owner.add tower user {alice.name} (first uploader)" in _audit(
        ph, index
    )


def test_a_maintainer_adds_an_owner_and_uploaders_still_yank_only_their_files(
    ph: Packhouse,
) -> None:
    index = ph.create_index()
    alice, bob = ph.uploader(index), ph.uploader(index)
    carol = ph.create_user()
    ph.grant("maintainer", index, carol)
    ph.publish(index, alice, ORIGINAL)

    with _api(ph, bob) as api:  # an uploader cannot add themselves
        assert (
            api.put(f"/indexes/{index}/projects/tower/owners/users/{bob.name}").status_code == 403
        )
    with _api(ph, carol) as api:
        added = api.put(f"/indexes/{index}/projects/tower/owners/users/{bob.name}")
    assert added.status_code == 200, added.text
    assert added.json() == {"kind": "user", "name": bob.name}
    assert f"{carol.name} project.owner.add tower user {bob.name}" in _audit(ph, index)

    assert _try_publish(ph, index, bob, TAKEOVER).returncode == 0
    assert _yank(ph, bob, index, "tower", "1.0").status_code == 403  # alice's file
    assert _yank(ph, bob, index, "tower", "9.2").status_code == 200  # his own
    assert _yank(ph, alice, index, "tower", "1.0").status_code == 200
    assert _yank(ph, carol, index, "tower", "9.2").status_code == 200  # maintainers: any

    # Maintainers upload to any project without being an owner.
    assert _try_publish(ph, index, carol, Dist("tower", "3.0")).returncode == 0

    with _api(ph, carol) as api:
        removed = api.delete(f"/indexes/{index}/projects/tower/owners/users/{bob.name}")
        assert removed.status_code == 204
        again = api.delete(f"/indexes/{index}/projects/tower/owners/users/{bob.name}")
        assert again.status_code == 404
    assert f"{carol.name} project.owner.remove tower user {bob.name}" in _audit(ph, index)
    assert _try_publish(ph, index, bob, Dist("tower", "9.3")).returncode != 0


def test_open_index_takes_the_upload_but_not_the_yank(ph: Packhouse) -> None:
    index = ph.create_index()
    ph.cli("index", "set", index, "--project-ownership", "open")
    alice, bob = ph.uploader(index), ph.uploader(index)
    ph.publish(index, alice, ORIGINAL)

    assert _try_publish(ph, index, bob, TAKEOVER).returncode == 0
    refused = _yank(ph, bob, index, "tower", "1.0")
    assert refused.status_code == 403
    assert ORIGINAL.wheel_filename in refused.json()["detail"]
    assert _yank(ph, bob, index, "tower", "9.2").status_code == 200

    # A release with files of two uploaders: neither uploader yanks it alone.
    ph.publish(index, bob, ORIGINAL, sdist=True)
    assert _yank(ph, alice, index, "tower", "1.0").status_code == 403
    assert _yank(ph, bob, index, "tower", "1.0").status_code == 403

    # Owners were recorded all along: switching to first-uploader protects alice's project.
    ph.cli("index", "set", index, "--project-ownership", "first-uploader")
    assert _try_publish(ph, index, bob, Dist("tower", "9.4")).returncode != 0


def _unyank(ph: Packhouse, user: User, index: str, project: str, version: str) -> httpx.Response:
    with _api(ph, user) as api:
        return api.post(f"/indexes/{index}/projects/{project}/releases/{version}/unyank")


def test_an_uploader_cannot_undo_a_maintainers_yank_of_their_release(ph: Packhouse) -> None:
    """Review 11: the uploader of a release a maintainer yanked could unyank it at once."""
    index = ph.create_index()
    alice, carol = ph.uploader(index), ph.create_user()
    ph.grant("maintainer", index, carol)
    ph.publish(index, alice, ORIGINAL)

    assert _yank(ph, carol, index, "tower", "1.0").status_code == 200
    refused = _unyank(ph, alice, index, "tower", "1.0")
    assert refused.status_code == 403
    assert f"{carol.name!r} yanked it" in refused.json()["detail"]
    # Nor can a new reason make the yank hers.
    with _api(ph, alice) as api:
        path = f"/indexes/{index}/projects/tower/releases/1.0/yank"
        assert api.post(path, json={"reason": "mine now"}).status_code == 403
    assert _unyank(ph, alice, index, "tower", "1.0").status_code == 403
    assert json_page(ph.http, simple_path(index, "tower"))["files"][0]["yanked"] == "x"

    # The maintainer undoes it; the uploader's own yank stays hers to undo.
    assert _unyank(ph, carol, index, "tower", "1.0").status_code == 200
    assert _yank(ph, alice, index, "tower", "1.0").status_code == 200
    assert _unyank(ph, alice, index, "tower", "1.0").status_code == 200
    assert json_page(ph.http, simple_path(index, "tower"))["files"][0]["yanked"] is False


def test_a_team_owns_what_its_grant_uploaded(ph: Packhouse) -> None:
    index = ph.create_index()
    team = unique("team")
    ph.cli("team", "create", team)
    member, colleague = ph.create_user(), ph.create_user()
    for user in (member, colleague):
        ph.cli("team", "add", team, user.name)
    ph.cli("grant", "uploader", "--index", index, "--team", team)
    outsider = ph.uploader(index)

    ph.publish(index, member, ORIGINAL)
    owners = ph.cli("project", "owners", "--index", index, "tower", "--json").stdout
    assert json.loads(owners) == [{"kind": "team", "name": team}]
    assert _try_publish(ph, index, colleague, Dist("tower", "1.1")).returncode == 0
    refused = _try_publish(ph, index, outsider, TAKEOVER)
    assert refused.returncode != 0
    assert f"team {team!r}" in _unwrapped(refused)

    ph.cli("project", "add-owner", "--index", index, "tower", "--user", outsider.name)
    assert _try_publish(ph, index, outsider, TAKEOVER).returncode == 0
    listed = ph.cli("project", "owners", "--index", index, "tower").stdout.splitlines()
    assert listed == ["KIND\tNAME", f"user\t{outsider.name}", f"team\t{team}"]


def test_index_setting_through_the_api(ph: Packhouse) -> None:
    owner = ph.create_user()
    index = ph.create_index()
    ph.grant("owner", index, owner)
    uploader = ph.uploader(index)
    with _api(ph, owner) as api:
        assert api.get(f"/indexes/{index}").json()["project_ownership"] == "first-uploader"
        changed = api.patch(f"/indexes/{index}", json={"project_ownership": "open"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["project_ownership"] == "open"
        bad = api.patch(f"/indexes/{index}", json={"project_ownership": "anyone"})
        assert bad.status_code == 422
    with _api(ph, uploader) as api:
        refused = api.patch(f"/indexes/{index}", json={"project_ownership": "first-uploader"})
        assert refused.status_code == 403
    assert any("project_ownership=open" in line for line in _audit(ph, index))


def test_delete_a_release_and_a_project(ph: Packhouse) -> None:
    index = ph.create_index()
    alice = ph.uploader(index)
    carol = ph.create_user()
    ph.grant("maintainer", index, carol)
    ph.publish(index, alice, ORIGINAL, Dist("tower", "1.1"), Dist("other", "1.0"))
    assert index_version(ph.http, index) == 3

    with _api(ph, alice) as api:
        assert api.delete(f"/indexes/{index}/projects/tower/releases/1.0").status_code == 403
        assert api.delete(f"/indexes/{index}/projects/tower").status_code == 403
    with _api(ph, carol) as api:
        release = api.delete(f"/indexes/{index}/projects/tower/releases/1.0.0")
        assert release.status_code == 200, release.text
        assert release.json() == {"version": 4, "summary": "delete release tower 1.0.0"}
        missing = api.delete(f"/indexes/{index}/projects/tower/releases/7.0")
        assert missing.status_code == 404
        assert [
            f["filename"] for f in json_page(ph.http, simple_path(index, "tower"))["files"]
        ] == [Dist("tower", "1.1").wheel_filename]

        project = api.delete(f"/indexes/{index}/projects/tower")
        assert project.status_code == 200, project.text
        assert project.json() == {"version": 5, "summary": "delete project tower"}
        assert api.delete(f"/indexes/{index}/projects/tower").status_code == 404
    assert ph.http.get(simple_path(index, "tower")).status_code == 404
    assert json_page(ph.http, simple_path(index, "other"))["files"]
    # Old versions keep serving it, and the name still belongs to its owner.
    assert json_page(ph.http, simple_path(index, "tower", version=3))["files"]
    assert _owners(ph, carol, index, "tower") == [{"kind": "user", "name": alice.name}]

    refused = ph.cli("project", "delete", "--index", index, "other", check=False)
    assert refused.returncode != 0
    assert "--yes" in refused.stderr
    ph.cli("project", "delete", "--index", index, "other", "--yes")
    assert index_version(ph.http, index) == 6


def test_concurrent_owner_additions_and_first_upload_never_fail(ph: Packhouse) -> None:
    """Review 10: adding one owner from several requests at once, while that owner's first upload
    claims the project, once hit the unique constraint (500 on PostgreSQL); now each succeeds."""
    index = ph.create_index()
    alice, carol = ph.uploader(index), ph.create_user()
    ph.grant("maintainer", index, carol)
    managers = [("__token__", ph.token(carol, index, "maintainer")) for _ in range(6)]
    uploader = ("__token__", ph.token(alice, index))
    dist = Dist(unique("race"), "1.0")
    data = make_wheel(dist)
    barrier = threading.Barrier(len(managers) + 1, timeout=30)
    results: list[httpx.Response | BaseException | None] = [None] * (len(managers) + 1)

    def add_owner(slot: int) -> None:
        with _api(ph, carol) as api:
            barrier.wait()
            path = f"/indexes/{index}/projects/{dist.name}/owners/users/{alice.name}"
            results[slot] = api.put(path, auth=managers[slot])

    def upload(slot: int) -> None:
        with httpx.Client(base_url=ph.url, timeout=60) as client:
            barrier.wait()
            results[slot] = client.post(
                f"/pypi/{index}/legacy/",
                data=upload_form(dist.name, dist.version, dist.wheel_filename, data),
                files={"content": (dist.wheel_filename, data, "application/octet-stream")},
                auth=uploader,
            )

    _run_all([add_owner] * len(managers) + [upload], results)
    statuses = [r.status_code if isinstance(r, httpx.Response) else r for r in results]
    assert statuses == [200] * (len(managers) + 1), [
        r.text if isinstance(r, httpx.Response) else r for r in results
    ]
    assert _owners(ph, carol, index, dist.name) == [{"kind": "user", "name": alice.name}]


def _run_all(
    workers: Sequence[Callable[[int], None]], results: list[httpx.Response | BaseException | None]
) -> None:
    def guarded(slot: int) -> None:
        try:
            workers[slot](slot)
        except BaseException as exc:  # reported by the caller, with the slot
            results[slot] = exc

    threads = [
        threading.Thread(target=guarded, args=(i,), daemon=True) for i in range(len(workers))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=75)
    assert not any(t.is_alive() for t in threads), "a request did not finish in time"
