"""Smaller holes of issue 15: names with control characters, hostile Host headers, headers that
stop content sniffing, and the PyPI JSON API's shape."""

from __future__ import annotations

import pytest

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
