"""``packhouse serve`` itself: a port already in use is refused unless sharing it is asked for."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import httpx

from tests.driver import VENV_BIN, ServerProcess, clean_env


def serve(data_dir: Path, port: int, *args: str) -> subprocess.Popen[str]:
    command = [str(VENV_BIN / "packhouse"), "serve", "--port", str(port), "--workers", "1", *args]
    env = clean_env(PACKHOUSE_DATA_DIR=str(data_dir))
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_a_second_server_on_a_port_in_use_refuses_to_start(tmp_path: Path) -> None:
    with ServerProcess.start(tmp_path / "first") as first:
        port = int(first.url.rsplit(":", 1)[1])
        second = serve(tmp_path / "second", port)
        try:
            _out, err = second.communicate(timeout=60)
        finally:
            second.kill()
        assert second.returncode != 0
        assert f"port {port} on 127.0.0.1 is in use" in err
        assert "--reuse-port" in err
        # The first server alone still answers, every time.
        for _ in range(20):
            assert httpx.get(first.url + "/healthz").status_code == 200


def test_reuse_port_shares_the_port_on_purpose(tmp_path: Path) -> None:
    with ServerProcess.start(tmp_path / "first") as first:
        port = int(first.url.rsplit(":", 1)[1])
        second = serve(tmp_path / "second", port, "--reuse-port")
        try:
            with contextlib.suppress(subprocess.TimeoutExpired):  # still running: shared
                second.communicate(timeout=10)
            assert second.returncode is None
        finally:
            second.terminate()
            second.communicate(timeout=30)
