"""Packhouse at scale: one hosted index with 100,000 projects and 1,000,000 files.

The index, its user and grant are made with the CLI; the files are then INSERTED DIRECTLY into
the SQLite database (distributions, index_files, index_projects, index_versions, audit_log and a
few yanks and removals), in the shape the upload path writes them. No blob exists: only pages are
measured.

Measured against ``packhouse serve --workers 2``: start-up, the root page uncached and cached,
project pages uncached and under wrk, the workers' memory, the database size and the insert time;
then, in-process, the page path's queries (timings and ``EXPLAIN QUERY PLAN``).

    python -m bench.scale [--projects N] [--files-per-project N] [--duration S]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import os
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    OUT,
    SECRETS,
    VENV_BIN,
    Background,
    Table,
    clean_env,
    fmt,
    free_port,
    log,
    memory_kb,
    rmtree,
    run,
    wait_http,
    worker_pids,
    wrk,
)

INDEX = "scale"
USER = "scaler"
PASSWORD = "scale-bench-password-0"  # noqa: S105 - a throwaway local account
JSON = "application/vnd.pypi.simple.v1+json"
HTML = "application/vnd.pypi.simple.v1+html"
BATCH = 100_000
WORKERS = 2
#: Projects whose first release is yanked (1 in YANK_EVERY) or whose first sdist is removed.
YANK_EVERY = 100
REMOVE_EVERY = 200
REQUIRES_PYTHON = (">=3.8", ">=3.9", ">=3.10", None)


# ---------------------------------------------------------------------------------------------
# the data set


@dataclass(frozen=True)
class Dataset:
    data_dir: Path
    index_id: int
    projects: int
    files: int
    yanks: int
    removals: int
    version: int
    insert_s: float
    setup_s: float

    @property
    def database(self) -> Path:
        return self.data_dir / "packhouse.sqlite3"


def project_name(p: int) -> str:
    return f"proj-{p:06d}"


def release_version(p: int, r: int) -> str:
    return f"{1 + r // 3}.{r % 3}.{p % 10}"


def file_name(p: int, j: int) -> tuple[str, str, str]:
    """``(filename, version, kind)`` of a project's j-th file: an sdist and a wheel per release."""
    version = release_version(p, j // 2)
    stem = f"{project_name(p).replace('-', '_')}-{version}"
    if j % 2 == 0:
        return f"{stem}.tar.gz", version, "sdist"
    return f"{stem}-py3-none-any.whl", version, "bdist_wheel"


def _digests(filename: str) -> tuple[str, str, str, str]:
    raw = filename.encode()
    return (
        hashlib.sha256(raw).hexdigest(),
        hashlib.md5(raw, usedforsecurity=False).hexdigest(),
        hashlib.blake2b(raw, digest_size=32).hexdigest(),
        hashlib.sha256(b"metadata:" + raw).hexdigest(),
    )


class Clock:
    """Timestamps for index versions, spread evenly over the last three years."""

    def __init__(self, versions: int) -> None:
        self._end = datetime.now(UTC).replace(tzinfo=None)
        self._start = self._end - timedelta(days=3 * 365)
        self._step = (self._end - self._start) / max(1, versions)

    def at(self, version: int) -> str:
        # SQLAlchemy's SQLite DateTime format, naive UTC (see db.tables.UTCDateTime).
        return (self._start + self._step * version).strftime("%Y-%m-%d %H:%M:%S.%f")


def create_index(data_dir: Path) -> float:
    """The schema by the migrations, then the index, a user and a grant by the CLI."""
    start = time.perf_counter()
    from packhouse.config import Settings
    from packhouse.wiring import build

    build(Settings(data_dir=data_dir)).close()
    env = clean_env(PACKHOUSE_DATA_DIR=str(data_dir))
    packhouse = str(VENV_BIN / "packhouse")
    SECRETS.add(PASSWORD)
    run([packhouse, "index", "create", INDEX], env=env, timeout=120)
    run(
        [packhouse, "user", "create", USER, "--password-stdin"],
        env=env,
        timeout=120,
        stdin=PASSWORD + "\n",
    )
    run([packhouse, "grant", "uploader", "--index", INDEX, "--user", USER], env=env, timeout=120)
    return time.perf_counter() - start


def _batches(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk_insert(data_dir: Path, *, projects: int, files_per_project: int) -> Dataset:
    """Insert every upload, then the yanks and removals, as versions 1..N of the index."""
    setup_s = create_index(data_dir)
    database = data_dir / "packhouse.sqlite3"
    uploads = projects * files_per_project
    yanked = [p for p in range(projects) if p % YANK_EVERY == YANK_EVERY // 2]
    removed = [p for p in range(projects) if p % REMOVE_EVERY == 3] if files_per_project > 1 else []
    # Versions: 1..uploads are the uploads (release round by release round, one file each, as
    # twine makes them), then one version per yank, then one per removed file.
    removed_in = {p: uploads + len(yanked) + n + 1 for n, p in enumerate(removed)}
    last_version = uploads + len(yanked) + len(removed)
    clock = Clock(last_version)

    start = time.perf_counter()
    con = sqlite3.connect(database, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=OFF")  # bulk load only; the server uses FULL
        con.execute("PRAGMA cache_size=-524288")
        con.execute("PRAGMA temp_store=MEMORY")
        (index_id,) = con.execute("SELECT id FROM indexes WHERE name = ?", (INDEX,)).fetchone()
        tables = ("distributions", "index_files", "index_projects", "index_versions", "index_yanks")
        for table in tables:
            (count,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            if count:
                raise RuntimeError(f"{database}: {table} is not empty")

        def uploads_rows() -> Iterator[tuple[Any, ...]]:
            for j in range(files_per_project):
                for p in range(projects):
                    number = j * projects + p + 1  # the row ids and the index version
                    yield p, j, number

        # Secondary indexes are dropped for the load and made again from their own SQL after it
        # (a sorted build is much faster than a million random B-tree inserts).
        indexes = _secondary_indexes(con)
        for name, _sql in indexes:
            con.execute(f'DROP INDEX "{name}"')
        for batch in _batches(uploads_rows(), BATCH):
            dists, members, versions, audit = [], [], [], []
            for p, j, number in batch:
                filename, version, kind = file_name(p, j)
                sha256, md5, blake2, meta = _digests(filename)
                name = project_name(p)
                at = clock.at(number)
                dists.append(
                    (
                        number,
                        sha256,
                        filename,
                        name,
                        name.capitalize(),
                        version,
                        kind,
                        20_000 + (number * 7919) % 2_000_000,
                        md5,
                        blake2,
                        REQUIRES_PYTHON[p % len(REQUIRES_PYTHON)],
                        f"Benchmark project {p}",
                        meta,
                        at,
                    )
                )
                gone = removed_in.get(p) if j == 0 else None
                members.append(
                    (number, index_id, number, filename, name, version, number, gone, at, USER)
                )
                summary = f"upload {filename}"
                versions.append((index_id, number, at, "upload", USER, summary))
                audit.append(
                    (at, USER, "upload", INDEX, filename, f"version {number}: {summary}", "::1")
                )
            con.execute("BEGIN")
            con.executemany(
                "INSERT INTO distributions (id, sha256, filename, project, display_name, version,"
                " kind, size, md5, blake2_256, requires_python, summary, metadata_sha256,"
                " created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                dists,
            )
            con.executemany(
                "INSERT INTO index_files (id, index_id, distribution_id, filename, project,"
                " version, added_in, removed_in, uploaded_at, uploader)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                members,
            )
            _insert_versions(con, versions, audit)
            con.execute("COMMIT")

        versions, audit = [], []
        yanks = []
        for n, p in enumerate(yanked):
            number = uploads + n + 1
            name, version, at = project_name(p), release_version(p, 0), clock.at(number)
            summary = f"yank {name} {version}"
            yanks.append((index_id, name, version, "broken build", number, None))
            versions.append((index_id, number, at, "yank", "operator", summary))
            audit.append(
                (at, "operator", "yank", INDEX, summary, f"version {number}: {summary}", "cli")
            )
        for p, number in removed_in.items():
            filename, at = file_name(p, 0)[0], clock.at(number)
            summary = f"delete {filename}"
            versions.append((index_id, number, at, "delete", "operator", summary))
            audit.append(
                (at, "operator", "delete", INDEX, filename, f"version {number}: {summary}", "cli")
            )
        con.execute("BEGIN")
        # Every project keeps a live file (a removal takes one sdist of several): one open row
        # each, from the version of its first upload.
        con.executemany(
            "INSERT INTO index_projects (index_id, project, added_in, removed_in)"
            " VALUES (?,?,?,NULL)",
            ((index_id, project_name(p), p + 1) for p in range(projects)),
        )
        con.executemany(
            "INSERT INTO index_yanks (index_id, project, version, reason, added_in, removed_in)"
            " VALUES (?,?,?,?,?,?)",
            yanks,
        )
        _insert_versions(con, versions, audit)
        con.execute("UPDATE indexes SET version = ? WHERE id = ?", (last_version, index_id))
        con.execute("COMMIT")
        for _name, sql in indexes:
            con.execute(sql)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return Dataset(
        data_dir=data_dir,
        index_id=index_id,
        projects=projects,
        files=uploads,
        yanks=len(yanked),
        removals=len(removed),
        version=last_version,
        insert_s=time.perf_counter() - start,
        setup_s=setup_s,
    )


def _secondary_indexes(con: sqlite3.Connection) -> list[tuple[str, str]]:
    """``(name, CREATE INDEX sql)`` of the explicit indexes of the tables the load fills."""
    return con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN"
        " ('distributions', 'index_files', 'index_projects', 'index_versions', 'audit_log')"
    ).fetchall()


def _insert_versions(
    con: sqlite3.Connection, versions: list[tuple[Any, ...]], audit: list[tuple[Any, ...]]
) -> None:
    con.executemany(
        "INSERT INTO index_versions (index_id, number, created_at, action, actor, summary)"
        " VALUES (?,?,?,?,?,?)",
        versions,
    )
    con.executemany(
        "INSERT INTO audit_log (at, actor, action, index_name, target, detail, remote_addr)"
        " VALUES (?,?,?,?,?,?,?)",
        audit,
    )


# ---------------------------------------------------------------------------------------------
# measuring the server


def fetch(client: httpx.Client, url: str, accept: str, *, gzip: bool = True) -> tuple[float, int]:
    """Seconds until the whole (still compressed) body is read, and its size in bytes."""
    headers = {"Accept": accept, "Accept-Encoding": "gzip" if gzip else "identity"}
    start = time.perf_counter()
    with client.stream("GET", url, headers=headers) as response:
        size = sum(len(chunk) for chunk in response.iter_raw())
        elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} ({accept}): HTTP {response.status_code}")
    return elapsed, size


def warm_all_workers(url: str, accept: str, *, rounds: int = 3, parallel: int = 8) -> float:
    """Fetch a page on many fresh connections at once so that every worker renders it."""

    def one(_: int) -> float:
        with httpx.Client(timeout=120) as client:
            return fetch(client, url, accept)[0]

    worst = 0.0
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        for _ in range(rounds):
            worst = max(worst, *pool.map(one, range(parallel)))
    return worst


def memory(master: int) -> str:
    pids = worker_pids(master)
    values = [memory_kb(pid) for pid in pids]
    rss = sum(v.get("Rss", 0) for v in values) / 1024
    pss = sum(v.get("Pss", 0) for v in values) / 1024
    each = ", ".join(f"{v.get('Rss', 0) / 1024:.0f}" for v in values)
    return f"RSS {rss:.1f} MB, PSS {pss:.1f} MB ({len(pids)} workers; RSS each {each} MB)"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def measure_server(table: Table, dataset: Dataset, out: Path, *, duration: float) -> None:
    # Start-up as users get it: scripts/bootstrap has uv compile the venv to bytecode. It is
    # measured twice, the first time with whatever the OS had cached, then warm.
    env = clean_env(PACKHOUSE_DATA_DIR=str(dataset.data_dir))
    site = VENV_BIN.parent / "lib"
    compiled = any(site.glob("python3*/site-packages/starlette/__pycache__/*.pyc"))
    for attempt in ("first start", "second start"):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [str(VENV_BIN / "packhouse"), "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", str(WORKERS)]
        start = time.monotonic()
        server = Background.start("packhouse", command, env=env, log_path=out / "scale-server.log")
        try:
            wait_http(f"{base}/healthz", proc=server, timeout=180, interval=0.02)
            bytecode = "venv compiled" if compiled else "venv not compiled to bytecode"
            label = f"start-up: serve --workers {WORKERS} until /healthz 200"
            label += f" ({attempt}; {bytecode})"
            table.set((label,), value=_s(start))
        except BaseException:
            server.stop()
            raise
        if attempt == "first start":
            deadline = time.monotonic() + 60
            while len(worker_pids(server.proc.pid)) < WORKERS and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(2)
            server.stop()
    root = f"{base}/pypi/{INDEX}/simple/"
    try:
        deadline = time.monotonic() + 60
        while len(worker_pids(server.proc.pid)) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3)  # let the other worker finish its start-up too
        table.set(("memory: idle after start",), value=memory(server.proc.pid))

        with httpx.Client(timeout=120) as client:  # one kept-alive connection: one worker
            # The worker's first slow-path request pays one-time costs (first database
            # connection, thread pool, lazy imports): take them on a small page first.
            first_ever = fetch(client, f"{root}{project_name(0)}/", HTML)[0]
            first_json, gz_json = fetch(client, root, JSON)
            cached_json = [fetch(client, root, JSON)[0] for _ in range(15)]
            first_html, gz_html = fetch(client, root, HTML)
            cached_html = [fetch(client, root, HTML)[0] for _ in range(15)]
            plain_json = fetch(client, root, JSON, gzip=False)[1]
            plain_html = fetch(client, root, HTML, gzip=False)[1]
        table.set(("first request of a fresh worker (a project page, HTML)",), value=ms(first_ever))
        table.set(("root page JSON: first request (uncached)",), value=ms(first_json))
        table.set(("root page JSON: cached (median of 15)",), value=_med(cached_json))
        table.set(("root page HTML: first request (uncached)",), value=ms(first_html))
        table.set(("root page HTML: cached (median of 15)",), value=_med(cached_html))
        table.set(
            ("root page size (plain / gzip)",),
            value=f"JSON {plain_json / 1e6:.2f} / {gz_json / 1e6:.2f} MB, "
            f"HTML {plain_html / 1e6:.2f} / {gz_html / 1e6:.2f} MB",
        )
        worst = max(warm_all_workers(root, JSON), warm_all_workers(root, HTML))
        table.set(
            ("root page: slowest of 48 fetches, 8 at once on fresh connections (both workers)",),
            value=ms(worst),
        )
        table.set(
            ("memory: after the root page (both formats, both workers)",),
            value=memory(server.proc.pid),
        )

        rng = random.Random(20261125)  # noqa: S311 - a reproducible pick, not a secret
        picks = rng.sample(range(dataset.projects), min(20, dataset.projects))
        first_times, cached_times = [], []
        with httpx.Client(timeout=60) as client:
            for p in picks:
                url = f"{root}{project_name(p)}/"
                first_times.append(fetch(client, url, JSON)[0])
                cached_times.append(fetch(client, url, JSON)[0])
        table.set(
            (f"project page JSON: first request (uncached), {len(picks)} random projects",),
            value=f"median {_med(first_times)}, max {ms(max(first_times))}",
        )
        table.set(
            ("project page JSON: second request (cached), same projects",),
            value=f"median {_med(cached_times)}, max {ms(max(cached_times))}",
        )

        target = f"{root}{project_name(picks[0])}/"
        warm_all_workers(target, JSON)
        # 32 connections on 2 workers queue (latency ~ connections / throughput); 2 connections
        # (one per worker) show the service time.
        for connections, seconds in ((32, duration), (2, max(3.0, duration / 2))):
            result = wrk(
                target, duration=seconds, connections=connections, headers={"Accept": JSON}
            )
            table.set(
                (f"project page JSON, cached, wrk {seconds:.0f} s x {connections} connections",),
                value=f"{fmt(result.requests_per_s, 0)} req/s, p50 {fmt(result.p50_ms, 2)} ms, "
                f"p99 {fmt(result.p99_ms, 2)} ms, errors {result.errors}, "
                f"non-2xx {result.non_2xx}",
            )
        table.set(("memory: after wrk",), value=memory(server.proc.pid))
    finally:
        server.stop()


def _s(start: float) -> str:
    return f"{time.monotonic() - start:.2f} s"


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _med(values: list[float]) -> str:
    return ms(statistics.median(values))


# ---------------------------------------------------------------------------------------------
# the page path's queries, in-process


def page_queries(table: Table, dataset: Dataset) -> None:
    """Time the page path's queries and pieces in-process; record their query plans."""
    from sqlalchemy import event

    from packhouse.config import Settings
    from packhouse.db.files import FileRepo
    from packhouse.domain.pages import IndexPage, PageFormat, render_index
    from packhouse.services import pages
    from packhouse.wiring import build

    runtime = build(Settings(data_dir=dataset.data_dir), migrate=False)
    captured: dict[str, tuple[str, Any]] = {}
    label = ""

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if label and label not in captured and statement.lstrip().upper().startswith("SELECT"):
            captured[label] = (statement, parameters)

    event.listen(runtime.engine, "before_cursor_execute", capture)
    try:
        project = project_name(YANK_EVERY // 2)  # one with a yank
        version = dataset.version

        def timed(name: str, call: Callable[[], Any], repeat: int = 3) -> tuple[str, Any]:
            """``"wall ms (cpu ms)"``, best of ``repeat``, and the call's result."""
            nonlocal label
            label = name
            wall = cpu = float("inf")
            result = None
            for _ in range(repeat):
                begin, begin_cpu = time.perf_counter(), time.process_time()
                result = call()
                cpu = min(cpu, time.process_time() - begin_cpu)
                wall = min(wall, time.perf_counter() - begin)
            label = ""
            return f"{ms(wall)} (cpu {ms(cpu)})", result

        with runtime.sessions() as session:
            repo = FileRepo(session)
            t_projects, names = timed(
                "live_projects", lambda: repo.live_projects(dataset.index_id, version)
            )
            # The root page's query before index_projects, for comparison (and as a check).
            t_distinct, from_files = timed(
                "projects from index_files (before index_projects)",
                lambda: _projects_from_files(session, dataset.index_id, version),
            )
            if list(from_files) != list(names):
                raise RuntimeError("index_projects does not list the projects index_files has")
            t_files, _ = timed(
                "live_files(project)",
                lambda: repo.live_files(dataset.index_id, version, project=project),
            )
            t_yanks, _ = timed(
                "live_yanks(project)",
                lambda: repo.live_yanks(dataset.index_id, version, project=project),
            )
        t_render, body = timed("", lambda: render_index(IndexPage(names), PageFormat.JSON))
        t_finish, _ = timed("", lambda: pages._finish(body, PageFormat.JSON))
        table.set(
            ("root page JSON in-process (best of 3): query / render / gzip+etag",),
            value=f"{t_projects} / {t_render} / {t_finish} ({len(names):,} projects)",
        )
        table.set(
            ("root page query before index_projects: DISTINCT over index_files (best of 3)",),
            value=t_distinct,
        )
        table.set(
            ("project page in-process (best of 3): live_files / live_yanks",),
            value=f"{t_files} / {t_yanks}",
        )

        from packhouse.db.state import _QUERY

        captured["state lookup"] = (_QUERY.format(param="?"), (INDEX,))
        con = sqlite3.connect(f"file:{dataset.database}?mode=ro", uri=True)
        try:
            for name, (statement, parameters) in captured.items():
                plan = con.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
                steps = "; ".join(row[-1] for row in plan)
                table.notes.append(f"plan `{name}`: {steps}")
        finally:
            con.close()
    finally:
        event.remove(runtime.engine, "before_cursor_execute", capture)
        runtime.close()


def _projects_from_files(session: Any, index_id: int, version: int) -> list[str]:
    """The root page's query before ``index_projects``: a DISTINCT over every live file."""
    from sqlalchemy import select

    from packhouse.db.files import live_at
    from packhouse.db.tables import IndexFileRow

    query = (
        select(IndexFileRow.project)
        .where(IndexFileRow.index_id == index_id, live_at(IndexFileRow, version))
        .distinct()
        .order_by(IndexFileRow.project)
    )
    return list(session.scalars(query))


# ---------------------------------------------------------------------------------------------


def run_scale(
    out: Path, *, projects: int = 100_000, files_per_project: int = 10, duration: float = 10.0
) -> Table:
    table = Table(
        f"Packhouse at scale: {projects:,} projects, {projects * files_per_project:,} files",
        ["measure", "value"],
        labels=1,
    )
    data_dir = out / "scale-data"
    if data_dir.exists():
        rmtree(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    load_before = _loadavg()
    log(f"scale: inserting {projects * files_per_project:,} files into {data_dir} ...")
    dataset = bulk_insert(data_dir, projects=projects, files_per_project=files_per_project)
    table.set(
        ("insert (rows straight into SQLite)",),
        value=f"{dataset.insert_s:.1f} s ({dataset.files / dataset.insert_s:,.0f} files/s); "
        f"schema + CLI index/user/grant {dataset.setup_s:.1f} s",
    )
    log("scale: measuring the server ...")
    measure_server(table, dataset, out, duration=duration)
    sizes = {
        suffix: (dataset.data_dir / f"packhouse.sqlite3{suffix}").stat().st_size
        if (dataset.data_dir / f"packhouse.sqlite3{suffix}").exists()
        else 0
        for suffix in ("", "-wal")
    }
    table.set(
        ("database file (main + -wal)",),
        value=f"{sum(sizes.values()) / 2**20:,.1f} MB ({sizes[''] / 2**20:,.1f} + "
        f"{sizes['-wal'] / 2**20:,.1f})",
    )
    table.set(
        ("load average (1/5/15 min) before / after the server runs",),
        value=(f"{load_before} / {_loadavg()} on {os.cpu_count()} cores"),
    )
    log("scale: query plans ...")
    page_queries(table, dataset)
    table.notes[:0] = [
        f"Rows were INSERTED DIRECTLY into SQLite (sqlite3 executemany, {BATCH:,} rows per "
        "transaction, WAL, synchronous=OFF during the load only): the schema comes from the "
        "migrations and the index, user and grant from the CLI; no blob exists, only pages "
        "are measured.",
        f"History: {dataset.files:,} uploads of one file each (versions 1..{dataset.files:,}, "
        f"release round by release round, an sdist and a wheel per release, with index_versions "
        f"and audit_log rows), then {dataset.yanks:,} yanks and {dataset.removals:,} file "
        f"removals; the index is at version {dataset.version:,}.",
        f"Server: `packhouse serve --workers {WORKERS}` on 127.0.0.1; timings by httpx with "
        "Accept-Encoding: gzip on one kept-alive connection (so one worker), compressed body "
        "read in full; 'uncached' is the first request for that page in that worker.",
        f"Data left in {data_dir} (delete it when done).",
    ]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--files-per-project", type=int, default=10)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    table = run_scale(
        OUT / "scale",
        projects=args.projects,
        files_per_project=args.files_per_project,
        duration=args.duration,
    )
    print(table.markdown())


if __name__ == "__main__":
    main()
