"""``packhouse serve``: migrate once, then run granian (or uvicorn) workers on the app factory."""

from __future__ import annotations

import enum
import errno
import os
import socket
from typing import Annotated, Any

import typer

from packhouse.cli.options import apply_settings, with_setting_options
from packhouse.config import Settings
from packhouse.errors import Invalid
from packhouse.wiring import build

#: Each worker process builds its application with this factory.
_FACTORY = "packhouse.web.app:create_worker_app"


class Server(enum.StrEnum):
    """The HTTP servers ``serve`` can run; granian serves the hot path ~40% faster here."""

    GRANIAN = "granian"
    UVICORN = "uvicorn"


@with_setting_options()  # every setting is also a ``serve`` option
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (default: the number of cores).", show_default=False),
    ] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    reuse_port: Annotated[
        bool,
        typer.Option(
            help="Share the port with servers already listening on it (SO_REUSEPORT); "
            "without it, a port in use is an error."
        ),
    ] = False,
    server: Annotated[
        Server, typer.Option(help="The HTTP server: granian (faster, measured) or uvicorn.")
    ] = Server.GRANIAN,
    **settings_options: Any,
) -> None:
    """Serve Packhouse over HTTP, creating its data dir and database when they are missing."""
    apply_settings(settings_options)  # worker processes build their Settings from the environment
    settings = Settings()
    os.environ["PACKHOUSE_DATA_DIR"] = str(settings.data_dir.resolve())
    build(settings).close()  # create or upgrade the schema once, before any worker starts
    if os.environ.get("FORWARDED_ALLOW_IPS") and not settings.forwarded_allow_ips:
        typer.echo(
            "warning: FORWARDED_ALLOW_IPS is ignored; trust proxies with "
            "PACKHOUSE_FORWARDED_ALLOW_IPS (none are trusted now)",
            err=True,
        )
    if not reuse_port:
        check_port_free(host, port)
    count = workers if workers is not None else (os.cpu_count() or 1)
    typer.echo(f"Packhouse serving {settings.data_dir.resolve()} on http://{host}:{port}/")
    if server is Server.GRANIAN:
        _granian(host, port, count, access_log=access_log)
    else:
        _uvicorn(host, port, count, access_log=access_log)


def check_port_free(host: str, port: int) -> None:
    """Refuse a port another process listens on: granian would share it (SO_REUSEPORT) silently.

    A probe, not a reservation: the server binds a moment later. It binds as a server does
    (``SO_REUSEADDR``, so connections closing in TIME_WAIT do not count as use).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise Invalid(f"cannot listen on {host!r}: {exc.strerror}; check --host") from None
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise Invalid(f"cannot listen on {host}:{port}: {exc.strerror}") from None
                raise Invalid(
                    f"port {port} on {host} is in use: stop the other server, pick another "
                    "--port, or pass --reuse-port to share the port with it on purpose"
                ) from None


def _granian(host: str, port: int, workers: int, *, access_log: bool) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    Granian(
        _FACTORY,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        loop=Loops.uvloop,
        websockets=False,
        log_access=access_log,
        # A worker that dies (killed, out of memory) is replaced, as uvicorn's supervisor does;
        # granian's default would leave the server one worker short until restarted.
        respawn_failed_workers=True,
    ).serve()


def _uvicorn(host: str, port: int, workers: int, *, access_log: bool) -> None:
    import uvicorn

    uvicorn.run(
        _FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_level="info",
        server_header=False,
        # X-Forwarded-* are the application's (PACKHOUSE_FORWARDED_ALLOW_IPS), not uvicorn's
        # FORWARDED_ALLOW_IPS, which trusts 127.0.0.1 by default.
        proxy_headers=False,
        interface="asgi3",  # not guessed: ForwardedHeaders.__call__ is a plain function
        timeout_worker_healthcheck=30,  # slow starts on a loaded machine are not deaths
    )
