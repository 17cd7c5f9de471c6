"""``packhouse serve``: migrate once, then run uvicorn workers on the app factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from packhouse.config import Settings
from packhouse.wiring import build


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: the number of cores).")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="PACKHOUSE_DATA_DIR")] = None,
    database_url: Annotated[str | None, typer.Option(help="PACKHOUSE_DATABASE_URL")] = None,
    storage_url: Annotated[str | None, typer.Option(help="PACKHOUSE_STORAGE_URL")] = None,
    base_url: Annotated[str | None, typer.Option(help="PACKHOUSE_BASE_URL")] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve Packhouse over HTTP."""
    overrides = {
        "PACKHOUSE_DATA_DIR": str(data_dir.resolve()) if data_dir else None,
        "PACKHOUSE_DATABASE_URL": database_url,
        "PACKHOUSE_STORAGE_URL": storage_url,
        "PACKHOUSE_BASE_URL": base_url,
    }
    for key, value in overrides.items():
        if value is not None:
            os.environ[key] = value  # worker processes build their Settings from the environment
    settings = Settings()
    os.environ["PACKHOUSE_DATA_DIR"] = str(settings.data_dir.resolve())
    build(settings).close()  # create or upgrade the schema once, before any worker starts
    count = workers if workers is not None else (os.cpu_count() or 1)
    typer.echo(f"Packhouse serving {settings.data_dir.resolve()} on http://{host}:{port}/")
    uvicorn.run(
        "packhouse.web.app:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=count,
        access_log=access_log,
        log_level="info",
        server_header=False,
        timeout_worker_healthcheck=30,  # slow starts on a loaded machine are not deaths
    )
