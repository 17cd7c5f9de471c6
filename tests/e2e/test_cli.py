"""The ``packhouse`` command as an operator meets it: where its data is, its lists, its help.

In process through Typer's runner (``ph.cli``, as the driver does), and as a real subprocess
(the installed ``packhouse`` and ``python -m packhouse``) where the folder it runs in, its
terminal or its exit code is the point.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import secrets
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import typer.main

from packhouse.cli import app as cli_app
from packhouse.config import Settings
from packhouse.domain.roles import OPERATOR
from packhouse.wiring import build
from tests.builders import Dist
from tests.driver import VENV_BIN, Packhouse, ServerProcess, clean_env, unique
from tests.e2e.test_private_and_tokens import create_token, set_token_expiry

ROOT = Path(__file__).resolve().parents[2]
HINT = "--data-dir PATH"


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, module: bool = False
) -> subprocess.CompletedProcess[str]:
    """The installed ``packhouse`` (or ``python -m packhouse``), without a terminal on stdin."""
    command = [sys.executable, "-m", "packhouse"] if module else [str(VENV_BIN / "packhouse")]
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    assert result.stdout == "", result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def table(stdout: str) -> list[dict[str, str]]:
    """Tab-separated rows under their header, as dicts keyed by the lower-cased header."""
    header, *lines = stdout.splitlines()
    keys = [key.lower() for key in header.split("\t")]
    return [dict(zip(keys, line.split("\t"), strict=True)) for line in lines]


def both(ph: Packhouse, *args: str) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """A list command's rows as text (under a header) and as JSON."""
    return table(ph.cli(*args).stdout), json.loads(ph.cli(*args, "--json").stdout)


# ---------------------------------------------------------------- where the data is (defect 9)


def test_an_admin_command_from_another_folder_refuses_instead_of_making_an_empty_server(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "src"
    elsewhere.mkdir()
    for module in (False, True):
        error = one_line_error(run("index", "list", cwd=elsewhere, module=module))
        assert f"no Packhouse data dir at {str(elsewhere / 'packhouse-data')!r}" in error
        assert HINT in error
        assert "PACKHOUSE_DATA_DIR=PATH" in error
        assert "packhouse init" in error
    assert list(elsewhere.iterdir()) == []  # nothing was created

    # A data dir without a database (a typo'd path someone made, an emptied folder) is refused too.
    empty = tmp_path / "empty"
    empty.mkdir()
    error = one_line_error(run("--data-dir", str(empty), "user", "list", cwd=tmp_path))
    assert f"no Packhouse database at {str(empty / 'packhouse.sqlite3')!r}" in error
    assert list(empty.iterdir()) == []
    env = clean_env(PACKHOUSE_DATA_DIR=str(empty))
    assert "no Packhouse database" in one_line_error(
        run("token", "list", "--user", "x", cwd=tmp_path, env=env)
    )


def test_init_creates_the_data_and_is_idempotent_then_commands_run(tmp_path: Path) -> None:
    first = run("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    database = tmp_path / "packhouse-data" / "packhouse.sqlite3"
    assert database.is_file()
    assert first.stdout.startswith("Packhouse data created: database ")
    assert str(database) in first.stdout

    again = run("init", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Packhouse data already set up (schema up to date)")

    listed = run("index", "list", cwd=tmp_path)
    assert (listed.returncode, listed.stdout, listed.stderr) == (
        0,
        "NAME\tKIND\tPRIVATE\tVERSION\n",
        "",
    )
    # The same data from another folder, through --data-dir (relative to where it is typed).
    created = run("--data-dir", "packhouse-data", "index", "create", "from-init", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    sub = tmp_path / "sub"
    sub.mkdir()
    listed = run("--data-dir", "../packhouse-data", "index", "list", "--json", cwd=sub)
    assert [i["name"] for i in json.loads(listed.stdout)] == ["from-init"]


def test_serve_still_creates_its_data_dir(ph: Packhouse) -> None:
    """``serve`` (and so scripts/serve and the test servers) makes what it needs: see the
    README test; here, the server under test's data dir holds its database."""
    if "PACKHOUSE_DATABASE_URL" not in ph.server.env:
        assert (ph.server.data_dir / "packhouse.sqlite3").is_file()
    assert ph.cli("index", "list").returncode == 0


@pytest.fixture
def empty_postgres_database(ph: Packhouse) -> Iterator[str]:
    url = ph.server.env.get("PACKHOUSE_DATABASE_URL")
    if not url:
        pytest.skip("the server under test uses SQLite")
    name = f"packhouse_empty_{uuid.uuid4().hex[:12]}"
    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_postgresql_server_needs_no_data_dir_but_refuses_an_empty_database(
    ph: Packhouse, empty_postgres_database: str, tmp_path: Path
) -> None:
    index = ph.create_index()
    env = clean_env(
        PACKHOUSE_DATABASE_URL=ph.server.env["PACKHOUSE_DATABASE_URL"],
        PACKHOUSE_STORAGE_URL=(tmp_path / "blobs").as_uri(),
    )
    listed = run("index", "list", cwd=tmp_path, env=env)  # no ./packhouse-data here
    assert listed.returncode == 0, listed.stderr
    assert index in listed.stdout
    assert not (tmp_path / "packhouse-data").exists()

    env["PACKHOUSE_DATABASE_URL"] = empty_postgres_database
    error = one_line_error(run("index", "list", cwd=tmp_path, env=env))
    assert "has no Packhouse tables" in error
    assert "packhouse init" in error
    assert run("init", cwd=tmp_path, env=env).returncode == 0
    assert run("index", "list", cwd=tmp_path, env=env).stdout == "NAME\tKIND\tPRIVATE\tVERSION\n"


# ---------------------------------------------------------------- --index everywhere (defect 13)


def test_yank_unyank_and_remove_take_the_index_as_an_option(ph: Packhouse) -> None:
    index = ph.create_index()
    dist = Dist("optioned", "1.0")
    ph.publish(index, ph.uploader(index), dist)

    yanked = ph.cli("yank", "--index", index, "optioned", "1.0", "--reason", "broken")
    assert yanked.stdout == "yank optioned 1.0: index version 2\n"
    assert yanked.stderr == ""
    assert ph.cli("unyank", "optioned", "1.0", "--index", index).stdout.endswith("version 3\n")

    # The old positional form (DESIGN.md's first CLI) still works, and says what to type now.
    old = ph.cli("yank", index, "optioned", "1.0")
    assert old.stdout == "yank optioned 1.0: index version 4\n"
    assert old.stderr == (
        f"warning: the index is an option now: `packhouse yank --index {index} optioned 1.0`\n"
    )

    missing = ph.cli("unyank", "optioned", "1.0", check=False)
    assert missing.returncode == 1
    assert missing.stderr == (
        "error: which index? add --index: `packhouse unyank --index INDEX PROJECT VERSION`\n"
    )
    twice = ph.cli("yank", "--index", index, index, "optioned", "1.0", check=False)
    assert twice.returncode == 1
    assert "too many arguments" in twice.stderr

    removed = ph.cli("remove", "--index", index, dist.wheel_filename)
    assert removed.stdout == f"remove {dist.wheel_filename}: index version 5\n"
    assert "delete" not in removed.stdout + removed.stderr


def test_the_deprecated_positional_remove_still_works(ph: Packhouse) -> None:
    index = ph.create_index()
    dist = Dist("old-style", "1.0")
    ph.publish(index, ph.uploader(index), dist)
    result = ph.cli("remove", index, dist.wheel_filename)
    assert result.stdout == f"remove {dist.wheel_filename}: index version 2\n"
    assert f"`packhouse remove --index {index} {dist.wheel_filename}`" in result.stderr


# ---------------------------------------------------------------- lists: header and --json


def test_every_list_prints_a_header_and_json(ph: Packhouse) -> None:
    index = ph.create_index()
    user = ph.create_user()
    ph.grant("uploader", index, user)
    team = unique("team")
    ph.cli("team", "create", team)
    ph.cli("team", "add", team, user.name)
    token_id, _ = create_token(ph, user, index, "reader", "--name", "ci")

    text, data = both(ph, "index", "list")
    (row,) = (r for r in text if r["name"] == index)
    assert row == {"name": index, "kind": "hosted", "private": "false", "version": "0"}
    assert {"name": index, "kind": "hosted", "private": False, "version": 0} in data
    assert len(text) == len(data)

    text, data = both(ph, "user", "list")
    (row,) = (r for r in text if r["name"] == user.name)
    assert row["admin"] == "false"
    assert {d["name"] for d in data} == {r["name"] for r in text}

    text, data = both(ph, "team", "list")
    assert {"name": team, "members": user.name} in text
    assert {"name": team, "members": [user.name]} in data

    text, data = both(ph, "token", "list", "--user", user.name)
    assert text == [
        {
            "id": str(token_id),
            "name": "ci",
            "index": index,
            "role": "reader",
            "state": "active",
            "expires_at": "-",
            "last_used_at": "-",
        }
    ]
    assert [(d["id"], d["state"], d["expires_at"]) for d in data] == [(token_id, "active", None)]

    text, data = both(ph, "audit", "--index", index)
    assert [r["action"] for r in text] == [d["action"] for d in data]
    assert [r["action"] for r in text] == ["token.create", "grant", "index.create"]
    assert datetime.fromisoformat(data[0]["at"]) > datetime.now(UTC) - timedelta(minutes=10)

    shown = json.loads(ph.cli("index", "show", index, "--json").stdout)
    assert shown["grants"] == [{"role": "uploader", "kind": "user", "name": user.name}]
    assert (shown["name"], shown["version"], shown["versions"]) == (index, 0, [])
    text_show = ph.cli("index", "show", index).stdout
    assert "  ROLE\tKIND\tNAME\n" in text_show
    assert f"  uploader\tuser\t{user.name}\n" in text_show


def test_index_projects_and_files_list_what_an_index_holds(ph: Packhouse) -> None:
    index = ph.create_index()
    uploader = ph.uploader(index)
    alpha, beta = Dist("Alpha.Pkg", "1.0"), Dist("beta", "2.0")
    ph.publish(index, uploader, alpha)
    ph.publish(index, uploader, alpha, sdist=True)
    ph.publish(index, uploader, beta)
    ph.cli("yank", "--index", index, "alpha-pkg", "1.0", "--reason", "bad\tbuild")

    text, data = both(ph, "index", "projects", index)
    assert text == [{"project": "alpha-pkg"}, {"project": "beta"}]
    assert data == [{"project": "alpha-pkg"}, {"project": "beta"}]

    text, data = both(ph, "index", "files", index)
    assert [(r["filename"], r["project"], r["version"], r["yanked"]) for r in text] == [
        (alpha.wheel_filename, "alpha-pkg", "1.0", "true"),
        (alpha.sdist_filename, "alpha-pkg", "1.0", "true"),
        (beta.wheel_filename, "beta", "2.0", "false"),
    ]
    assert text[0]["yank_reason"] == "bad build"  # one field: the tab became a space
    assert data[0]["yank_reason"] == "bad\tbuild"
    assert data[2]["yank_reason"] is None
    wheel = (ph.tmp / beta.wheel_filename).read_bytes()
    assert data[2]["size"] == len(wheel)
    assert re.fullmatch(r"[0-9a-f]{64}", data[2]["sha256"])

    only = json.loads(ph.cli("index", "files", index, "Beta", "--json").stdout)
    assert [f["filename"] for f in only] == [beta.wheel_filename]
    missing = ph.cli("index", "files", index, "gamma", check=False)
    assert missing.returncode == 1
    assert "gamma" in missing.stderr


def test_index_show_lists_every_version_past_a_thousand(ph: Packhouse) -> None:
    index = ph.create_index()
    ph.publish(index, ph.uploader(index), Dist("busy", "1.0"))  # version 1
    env = ph.server.env
    settings = Settings(
        data_dir=Path(env["PACKHOUSE_DATA_DIR"]), database_url=env.get("PACKHOUSE_DATABASE_URL")
    )
    rt = build(settings, migrate=False)
    try:
        for n in range(1000):  # versions 2..1001
            change = rt.indexes.unyank if n % 2 else rt.indexes.yank
            kwargs = {} if n % 2 else {"reason": ""}
            change(OPERATOR, index, "busy", "1.0", **kwargs)
    finally:
        rt.close()

    shown = json.loads(ph.cli("index", "show", index, "--json").stdout)
    assert shown["version"] == 1001
    assert [v["version"] for v in shown["versions"]] == list(range(1, 1002))
    text = ph.cli("index", "show", index).stdout
    rows = [line for line in text.splitlines() if re.match(r"  \d+\t", line)]
    assert len(rows) == 1001
    assert "versions: 1001\n" in text


def test_token_list_says_when_a_token_has_expired(ph: Packhouse) -> None:
    user = ph.create_user()
    active_id, _ = create_token(ph, user, None, "reader", "--expires-days", "30")
    expired_id, _ = create_token(ph, user, None, "reader", "--expires-days", "1")
    revoked_id, _ = create_token(ph, user, None, "reader", "--expires-days", "1")
    set_token_expiry(ph.server, expired_id, datetime.now(UTC) - timedelta(seconds=1))
    set_token_expiry(ph.server, revoked_id, datetime.now(UTC) - timedelta(seconds=1))
    ph.cli("token", "revoke", str(revoked_id))

    text, data = both(ph, "token", "list", "--user", user.name)
    states = {int(r["id"]): r["state"] for r in text}
    assert states == {active_id: "active", expired_id: "expired", revoked_id: "revoked"}
    assert {d["id"]: d["state"] for d in data} == states


# ---------------------------------------------------------------- version, terminal, help


def test_version_option_prints_the_installed_version(tmp_path: Path) -> None:
    expected = f"packhouse {importlib.metadata.version('packhouse')}\n"
    for module in (False, True):
        result = run("--version", cwd=tmp_path, module=module)
        assert (result.returncode, result.stdout, result.stderr) == (0, expected, "")
    assert not (tmp_path / "packhouse-data").exists()


def test_user_create_without_a_terminal_says_to_pipe_the_password(ph: Packhouse) -> None:
    name = unique("user")
    for args in (("user", "create", name), ("user", "password", name)):
        result = run(*args, cwd=ph.tmp, env=ph.server.env)
        error = one_line_error(result)
        assert error == "error: no terminal to ask for the password: pipe it with --password-stdin"
    assert name not in ph.cli("user", "list").stdout


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    for name, command in group.commands.items():
        yield " ".join((*path, name)), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))


def test_every_option_and_argument_has_help_that_says_what_it_does() -> None:
    root: Any = typer.main.get_command(cli_app)  # Typer's own copy of Click's classes
    bare = re.compile(r"PACKHOUSE_\w+")
    checked, missing = 0, []
    for name, command in [("", root), *_commands(root)]:
        for param in command.params:
            if getattr(param, "hidden", False) or param.name == "help":
                continue
            text = getattr(param, "help", None) or ""
            checked += 1
            if len(text.split()) < 3 or not bare.sub("", text).strip(" ()[]:,;."):
                missing.append(f"packhouse {name} {'/'.join(param.opts)}: {text!r}")
    assert missing == []
    assert checked > 40


def test_every_setting_is_a_serve_option_that_names_its_variable() -> None:
    root: Any = typer.main.get_command(cli_app)  # Typer's own copy of Click's classes
    options = {p.name: p for p in root.commands["serve"].params}
    for field in Settings.model_fields:
        option = options.get(field)
        assert option is not None, f"--{field.replace('_', '-')} is no serve option"
        assert f"--{field.replace('_', '-')}" in option.opts
        help_text = getattr(option, "help", "") or ""
        assert f"PACKHOUSE_{field.upper()}" in help_text
        assert len(help_text.split()) > 4, help_text
    readme = (ROOT / "README.md").read_text()
    for field in Settings.model_fields:
        assert f"`PACKHOUSE_{field.upper()}`" in readme, f"README lacks PACKHOUSE_{field.upper()}"


def test_a_serve_option_takes_effect(tmp_path: Path) -> None:
    limit = 4000
    with ServerProcess.start(tmp_path / "data", args=("--max-upload-size", str(limit))) as server:
        ph = Packhouse(server, tmp_path)
        try:
            index = ph.create_index()
            user = ph.uploader(index)
            ph.publish(index, user, Dist("small", "1.0"))  # under the limit: accepted
            big = ph.build(Dist("biggish", "1.0", body=secrets.token_urlsafe(4 * limit)))
            assert big.stat().st_size > limit
            result = ph.twine_upload(
                index, [big], username=user.name, password=user.password, check=False
            )
            assert result.returncode != 0
            assert f"larger than the limit of {limit} bytes" in result.stdout + result.stderr
        finally:
            ph.http.close()


def test_a_bad_setting_is_one_line_naming_the_variable_and_option(tmp_path: Path) -> None:
    env = clean_env(PACKHOUSE_MAX_UPLOAD_SIZE="0")
    error = one_line_error(run("init", cwd=tmp_path, env=env))
    assert error.startswith("error: PACKHOUSE_MAX_UPLOAD_SIZE (--max-upload-size): ")
    assert "'0'" in error


# ---------------------------------------------------------------- the README and HTTP messages


def _readme_commands(*sections: str) -> list[list[str]]:
    """The ``packhouse`` commands of the README's console blocks in these sections, in order."""
    readme = (ROOT / "README.md").read_text()
    found = []
    for title in sections:
        section = readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
        for block in re.findall(r"```console\n(.*?)```", section, re.DOTALL):
            for line in block.splitlines():
                if not line.startswith("$ uv run packhouse "):
                    continue
                for part in line.removeprefix("$ ").split(" # ")[0].split("&&"):
                    words = shlex.split(part)
                    if words[:3] == ["uv", "run", "packhouse"]:
                        found.append(words[3:])
    return found


def test_the_readme_admin_examples_run_in_order_on_fresh_data(tmp_path: Path) -> None:
    commands = [
        c
        for c in _readme_commands("Using it", "Access control")
        if c[0] not in ("yank", "unyank", "remove") and c[:2] != ["index", "rollback"]
    ]
    assert ["user", "create", "bob"] in commands  # the access-control example makes its user
    env = clean_env(PACKHOUSE_DATA_DIR=str(tmp_path / "data"))
    assert run("init", cwd=tmp_path, env=env).returncode == 0
    for words in commands:
        if words[:2] == ["user", "create"]:
            words = [*words, "--password-stdin"]
        result = subprocess.run(
            [str(VENV_BIN / "packhouse"), *words],
            cwd=tmp_path,
            env=env,
            input="correct horse battery\n",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"packhouse {shlex.join(words)}: {result.stderr}"


def test_http_messages_do_not_tell_api_users_to_run_the_server_cli(ph: Packhouse) -> None:
    admin = ph.create_user(admin=True)
    private = ph.create_index(private=True)
    stranger = ph.create_user()
    answers = [
        ph.http.get("/api/v1/indexes/no-such-index", auth=admin.auth),
        ph.http.get(f"/api/v1/indexes/{private}", auth=stranger.auth),
        ph.http.get(f"/pypi/{private}/simple/", auth=stranger.auth),
        ph.http.get(f"/api/v1/users/{unique('ghost')}", auth=admin.auth),
        ph.http.get(f"/api/v1/teams/{unique('ghost')}", auth=admin.auth),
    ]
    for response in answers:
        assert response.status_code in (400, 403, 404, 422), response.text
        assert "packhouse " not in response.text, response.text
    assert answers[0].json() == {"detail": "no index named 'no-such-index'; check the name"}
    assert answers[1].json() == {"detail": f"no index named {private!r}; check the name"}


def test_source_messages_name_no_cli_command_outside_the_cli() -> None:
    """No error raised below the CLI (and so possibly sent over HTTP) names a CLI command."""
    pattern = re.compile(r"raise \w+\(\s*f?\"[^\"]*`packhouse ", re.DOTALL)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "src" / "packhouse").rglob("*.py")
        if "cli" not in path.parts and pattern.search(path.read_text())
    ]
    assert offenders == []
