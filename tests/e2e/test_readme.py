"""The README's quick start: two commands, the first of which serves from a fresh clone."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.driver import clean_env, free_port

ROOT = Path(__file__).resolve().parents[2]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the quick start has a console block"
    return [line.removeprefix("$ ").split("#")[0].strip() for line in block[1].splitlines()]


def test_quick_start_is_two_commands_and_ci_runs_the_same_tests() -> None:
    assert quick_start_commands() == ["scripts/serve", "scripts/test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci


def test_serve_command_works_in_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=60)
    port = free_port()
    env = clean_env(HOME=os.environ.get("HOME", str(tmp_path)))
    serve = quick_start_commands()[0]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [serve, "--port", str(port), "--workers", "1"],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert _healthy(f"http://127.0.0.1:{port}/healthz", proc), log.read_text()
        assert (clone / "packhouse-data" / "packhouse.sqlite3").is_file()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 240) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False
