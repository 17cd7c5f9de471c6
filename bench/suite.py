"""The benchmark suite: ``bench/run`` (or ``python -m bench.suite``) prints every table.

Everything is measured in one run on this machine, so the ratios against nginx (and the
peers) are what to compare across machines and days; absolute figures vary with the host.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import corpus as corpus_mod
from bench.common import (
    BENCH,
    COMMANDS,
    OUT,
    VENV_BIN,
    Background,
    Sampler,
    Table,
    WrkResult,
    fmt,
    kb_to_mb,
    log,
    machine,
    median,
    memory_kb,
    ratio,
    rmtree,
    run,
    timed,
    wrk,
)
from bench.servers import (
    HTML,
    JSON,
    Packhouse,
    build_static_tree,
    start_packhouse,
    twine_upload,
    uv_publish,
    warm,
)


@dataclass(frozen=True)
class Options:
    duration: float
    rounds: int
    soak: float
    installs: int
    upload_files: int
    workers: int
    peers: bool
    scale: bool
    scale_projects: int
    write: Path | None


@dataclass(frozen=True)
class Target:
    """One page of one server for wrk: its URL and the headers that pick the format."""

    url: str
    headers: dict[str, str]


PAGES = (
    ("2-file page", corpus_mod.PAIR, "HTML"),
    ("2-file page", corpus_mod.PAIR, "JSON"),
    ("1,000-file page", corpus_mod.BIG, "HTML"),
    ("1,000-file page", corpus_mod.BIG, "JSON"),
)


def _packhouse_target(ph: Packhouse, project: str, kind: str) -> Target:
    return Target(ph.page_url(project), {"Accept": JSON if kind == "JSON" else HTML})


def _static_target(port: int, project: str, kind: str) -> Target:
    name = "index.json" if kind == "JSON" else ""
    return Target(f"http://127.0.0.1:{port}/pypi/bench/simple/{project}/{name}", {})


# ---------------------------------------------------------------------------------------------
# throughput


def measure_pages(
    table: Table, server: str, target_for: Callable[[str, str], Target | None], duration: float
) -> dict[tuple[str, str], WrkResult]:
    results = {}
    for page, project, kind in PAGES:
        label = table.expect(page, kind, server)
        target = target_for(project, kind)
        if target is None:
            table.set(label, **{"requests/s": "n/a", "p50 ms": "n/a", "p99 ms": "n/a"})
            continue
        try:
            warm(target.url, headers=target.headers)
            result = wrk(target.url, duration=duration, headers=target.headers)
        except Exception as exc:
            table.fail(label, f"{exc.__class__.__name__}: {str(exc)[:300]}")
            continue
        results[(page, kind)] = result
        bad = (
            f" ({result.errors} socket errors, {result.non_2xx} non-2xx)"
            if (result.errors or result.non_2xx)
            else ""
        )
        table.set(
            label,
            **{
                "requests/s": fmt(result.requests_per_s, 0) + bad,
                "p50 ms": fmt(result.p50_ms, 2),
                "p99 ms": fmt(result.p99_ms, 2),
            },
        )
        log(f"  {server:28} {page} {kind}: {result.requests_per_s:,.0f} req/s")
    return results


def measure_pages_interleaved(
    table: Table,
    servers: dict[str, Callable[[str, str], Target]],
    duration: float,
    rounds: int,
    *,
    reference: str = "nginx (static files)",
) -> tuple[dict[str, dict[tuple[str, str], WrkResult]], dict[tuple[str, str, str], float]]:
    """Each page on every server in turn, ``rounds`` times, ``duration / rounds`` seconds each.

    On a shared machine the speed drifts over minutes; taking the servers in alternation (the
    order rotating each round) exposes each to the same drift. Figures are the medians over
    the rounds, and the ratio is the median of the per-round ratios to ``reference``.
    """
    step = max(1.0, duration / rounds)
    results: dict[str, dict[tuple[str, str], WrkResult]] = {name: {} for name in servers}
    ratios: dict[tuple[str, str, str], float] = {}
    names = list(servers)
    for page, project, kind in PAGES:
        targets = {name: target_for(project, kind) for name, target_for in servers.items()}
        runs: dict[str, list[WrkResult]] = {name: [] for name in names}
        failed: set[str] = set()
        for name, target in targets.items():
            try:
                warm(target.url, headers=target.headers)
            except Exception as exc:
                table.fail(table.expect(page, kind, name), f"{exc.__class__.__name__}: {exc}")
                failed.add(name)
        for round_ in range(rounds):
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in order:
                if name in failed:
                    continue
                target = targets[name]
                try:
                    runs[name].append(wrk(target.url, duration=step, headers=target.headers))
                except Exception as exc:
                    table.fail(table.expect(page, kind, name), f"{exc.__class__.__name__}: {exc}")
                    failed.add(name)
        for name in names:
            label = table.expect(page, kind, name)
            if name in failed or not runs[name]:
                continue
            mine = runs[name]
            combined = WrkResult(
                requests_per_s=median([r.requests_per_s for r in mine]),
                p50_ms=_median_or_none([r.p50_ms for r in mine]),
                p99_ms=_median_or_none([r.p99_ms for r in mine]),
                requests=sum(r.requests for r in mine),
                errors=sum(r.errors for r in mine),
                non_2xx=sum(r.non_2xx for r in mine),
                transfer_per_s=mine[-1].transfer_per_s,
                raw="\n".join(r.raw for r in mine),
            )
            results[name][(page, kind)] = combined
            base = runs.get(reference, [])
            if name != reference and len(base) == len(mine):
                paired = [
                    m.requests_per_s / b.requests_per_s for m, b in zip(mine, base, strict=True)
                ]
                ratios[(page, kind, name)] = median(paired)
            bad = (
                f" ({combined.errors} socket errors, {combined.non_2xx} non-2xx)"
                if (combined.errors or combined.non_2xx)
                else ""
            )
            rates = [r.requests_per_s for r in mine]
            spread = f" ({fmt(min(rates), 0)} to {fmt(max(rates), 0)})"
            table.set(
                label,
                **{
                    "requests/s": fmt(combined.requests_per_s, 0) + spread + bad,
                    "p50 ms": fmt(combined.p50_ms, 2),
                    "p99 ms": fmt(combined.p99_ms, 2),
                },
            )
            log(f"  {name:28} {page} {kind}: {combined.requests_per_s:,.0f} req/s")
    return results, ratios


def _median_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return median(known) if known else None


def add_ratios(
    table: Table,
    results: dict[str, dict[tuple[str, str], WrkResult]],
    paired: dict[tuple[str, str, str], float],
    reference: str = "nginx (static files)",
) -> None:
    """The ``÷ nginx`` column: paired per-round ratios where there are, else the medians'."""
    for page, _, kind in PAGES:
        base = results.get(reference, {}).get((page, kind))
        for server, by_page in results.items():
            mine = by_page.get((page, kind))
            value = paired.get((page, kind, server)) or ratio(
                mine.requests_per_s if mine else None, base.requests_per_s if base else None
            )
            if value is not None:
                table.set((page, kind, server), **{"÷ nginx": f"{value:.0%}"})


# ---------------------------------------------------------------------------------------------
# installs


def _pip_command(index_url: str, target: Path) -> list[str]:
    command = [str(VENV_BIN / "pip"), "install", "--no-cache-dir", "--index-url", index_url]
    return [*command, "--target", str(target), corpus_mod.TREE_ROOT]


def _uv_command(index_url: str, target: Path) -> list[str]:
    # the venv itself is not the index's work: it is made before the clock starts
    run([str(VENV_BIN / "uv"), "venv", "--quiet", str(target)], timeout=300)
    command = [str(VENV_BIN / "uv"), "pip", "install", "--no-cache", "--index-url", index_url]
    return [*command, "--python", str(target / "bin" / "python"), corpus_mod.TREE_ROOT]


def _timed_install(
    command_for: Callable[[str, Path], list[str]], index_url: str, runs: int
) -> float:
    times = []
    for n in range(runs):
        target = OUT / "installs" / f"run-{n}"
        rmtree(target)
        command = command_for(index_url, target)
        start = time.perf_counter()
        run(command, timeout=900)
        times.append(time.perf_counter() - start)
        rmtree(target)
    return median(times)


def measure_installs(table: Table, sources: dict[str, str], runs: int) -> None:
    for client, install in (("pip install", _pip_command), ("uv pip install", _uv_command)):
        seconds = {}
        for source, index_url in sources.items():
            label = table.expect(client, source)
            try:
                seconds[source] = _timed_install(install, index_url, runs)
            except Exception as exc:
                table.fail(label, f"{exc.__class__.__name__}: {str(exc)[:300]}")
                continue
            table.set(label, **{"median s": fmt(seconds[source], 2), "runs": str(runs)})
            log(f"  {client} from {source}: {seconds[source]:.2f} s")
        base = seconds.get("nginx (static files)")
        for source, value in seconds.items():
            if base:
                table.set((client, source), **{"÷ nginx": f"{value / base:.2f}x"})


# ---------------------------------------------------------------------------------------------
# uploads


def measure_uploads(table: Table, ph: Packhouse, corpus: corpus_mod.Corpus) -> None:
    ways = {
        "twine-password": (twine_upload, ph.user, ph.password),
        "twine-token": (twine_upload, "__token__", ph.token),
        "uv-password": (uv_publish, ph.user, ph.password),
        "uv-token": (uv_publish, "__token__", ph.token),
    }
    for name, (upload, username, secret) in ways.items():
        files = corpus.upload_batches[name]
        label = table.expect("Packhouse", name.replace("-", " with "))
        ph.create_index(f"up-{name}")
        try:
            with timed() as elapsed:
                upload(ph.upload_url(f"up-{name}"), files, username=username, password=secret)
        except Exception as exc:
            table.fail(label, f"{exc.__class__.__name__}: {str(exc)[:300]}")
            continue
        shown = json.loads(ph.cli("index", "show", f"up-{name}", "--json"))
        versions = sum(v["action"] == "upload" for v in shown["versions"])
        table.set(
            label,
            **{
                "files": str(len(files)),
                "seconds": fmt(elapsed(), 2),
                "files/s": fmt(len(files) / elapsed(), 0),
                "index versions made": str(versions),
            },
        )
        log(f"  {name}: {len(files) / elapsed():,.0f} files/s")


# ---------------------------------------------------------------------------------------------
# memory


def _memory_row(table: Table, label: str, pids: list[int]) -> dict[int, dict[str, int]]:
    found = {pid: memory_kb(pid) for pid in pids}
    rss = [v.get("Rss", 0) for v in found.values()]
    pss = [v.get("Pss", 0) for v in found.values()]
    table.set(
        table.expect(label),
        **{
            "workers": str(len(pids)),
            "RSS MB per worker (max)": fmt(kb_to_mb(max(rss, default=0))),
            "PSS MB per worker (max)": fmt(kb_to_mb(max(pss, default=0))),
        },
    )
    return found


def measure_soak(table: Table, ph: Packhouse, seconds: float) -> None:
    """Sustained load on a mix of pages, memory sampled every few seconds."""
    target = _packhouse_target(ph, corpus_mod.PAIR, "JSON")
    with Sampler(ph.workers, interval=5.0) as sampler:
        result = wrk(target.url, duration=seconds, headers=target.headers, connections=32)
    samples = [s for s in sampler.samples if s[1]]
    if len(samples) < 3:
        table.notes.append("soak: too few memory samples")
        return
    warm_index = max(1, len(samples) // 10)
    start, end = samples[warm_index][1], samples[-1][1]
    growth = [
        (end[pid].get("Rss", 0) - start[pid].get("Rss", 0)) / 1024 for pid in end if pid in start
    ]
    table.set(
        table.expect(f"growth over {seconds:.0f} s of load ({result.requests:,} requests)"),
        **{
            "workers": str(len(end)),
            "RSS MB per worker (max)": f"{max(growth, default=0):+.1f} MB",
            "PSS MB per worker (max)": "",
        },
    )


# ---------------------------------------------------------------------------------------------
# orchestration


@contextlib.contextmanager
def stopping(*procs: Background) -> Iterator[None]:
    try:
        yield
    finally:
        for proc in procs:
            proc.stop()


def upload_corpus(ph: Packhouse, corpus: corpus_mod.Corpus) -> float:
    with timed() as elapsed:
        twine_upload(ph.upload_url(), corpus.served, username="__token__", password=ph.token)
    return elapsed()


def run_suite(options: Options) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    rmtree(OUT / "packhouse")
    rmtree(OUT / "static")
    sets = ("twine-password", "twine-token", "uv-password", "uv-token")
    log("building the corpus")
    corpus = corpus_mod.build(OUT / "corpus", upload_sets=sets, upload_files=options.upload_files)
    tables = Tables.new(options)
    peer_versions: dict[str, str] = {}
    ph = start_packhouse(OUT / "packhouse" / "data", workers=options.workers)
    with stopping(ph.proc):
        _memory_row(tables.memory, "Packhouse idle after start", ph.workers())
        log(f"uploading {len(corpus.served)} files to Packhouse with twine")
        seconds = upload_corpus(ph, corpus)
        tables.pages.notes.append(
            f"corpus: {len(corpus.served)} files uploaded through the upload API with twine"
            f" in {seconds:.1f} s; each upload is a new index version"
        )
        projects = [corpus_mod.PAIR, corpus_mod.BIG] + [f"tree-{i:02d}" for i in range(60)]
        static = build_static_tree(ph, projects, with_files=projects[2:])
        results, paired = run_reads(tables, ph, static, corpus, options, peer_versions)
        add_ratios(tables.pages, results, paired)
        _memory_row(tables.memory, "Packhouse after the page load", ph.workers())
        log("uploads")
        measure_uploads(tables.uploads, ph, corpus)
        log(f"sustained load for {options.soak:.0f} s")
        measure_soak(tables.memory, ph, options.soak)
        _memory_row(tables.memory, "Packhouse after the sustained load", ph.workers())
    if options.scale:
        from bench.scale import run_scale

        log("scale")
        tables.scale = run_scale(OUT / "scale", projects=options.scale_projects)
    return report(tables, options, peer_versions, startup=ph.startup_s)


def run_reads(
    tables: Tables,
    ph: Packhouse,
    static: Path,
    corpus: corpus_mod.Corpus,
    options: Options,
    peer_versions: dict[str, str],
) -> tuple[dict[str, dict[tuple[str, str], WrkResult]], dict[tuple[str, str, str], float]]:
    from bench.nginx import start_front, start_static

    nginx, nginx_port = start_static(static, workers=options.workers)
    front, front_port = start_front(ph.port, ph.blob_dir, workers=options.workers)
    with stopping(nginx, front):
        log("pages: nginx (static files), Packhouse and Packhouse behind the nginx front, in turn")
        front_ph = _FrontView(f"http://127.0.0.1:{front_port}")
        results, paired = measure_pages_interleaved(
            tables.pages,
            {
                "nginx (static files)": lambda p, k: _static_target(nginx_port, p, k),
                "Packhouse": lambda p, k: _packhouse_target(ph, p, k),
                "Packhouse + nginx front": lambda p, k: Target(
                    front_ph.page_url(p), _packhouse_target(ph, p, k).headers
                ),
            },
            options.duration,
            options.rounds,
        )
        tables.pages.notes.append(
            f"nginx, Packhouse and the front are measured in turn, {options.rounds} rounds of"
            f" {max(1.0, options.duration / options.rounds):.0f} s per page (the order rotating),"
            " so that all three see the same drift of this shared machine: requests/s is the"
            " median of the rounds (their range in brackets), p50 and p99 the medians of the"
            " rounds', and ÷ nginx the median of the per-round ratios"
        )
        log("installs")
        sources = {
            "Packhouse": ph.index_url(),
            "nginx (static files)": f"http://127.0.0.1:{nginx_port}/pypi/bench/simple/",
        }
        measure_installs(tables.installs, sources, options.installs)
    if options.peers:
        results.update(run_peers(tables, corpus, options, peer_versions))
    return results, paired


@dataclass(frozen=True)
class _FrontView:
    url: str

    def page_url(self, project: str) -> str:
        return f"{self.url}/pypi/bench/simple/{project}/"


def run_peers(
    tables: Tables, corpus: corpus_mod.Corpus, options: Options, peer_versions: dict[str, str]
) -> dict[str, dict[tuple[str, str], WrkResult]]:
    from bench import peers

    results: dict[str, dict[tuple[str, str], WrkResult]] = {}
    out = OUT / "peers"
    peer_versions.update(peers.install_peers(out))
    for start in (peers.start_devpi, peers.start_pypiserver):
        peer = start(out)
        try:
            name = f"{peer.name} {peer.version}"
            files = corpus.pair + corpus.big
            rate = peers.upload(peer, files, twine=VENV_BIN / "twine")
            tables.uploads.set(
                tables.uploads.expect(name, "twine with password (its corpus upload)"),
                **{"files": str(len(files)), "seconds": fmt(len(files) / rate, 1)},
                **{"files/s": fmt(rate, 0), "index versions made": "n/a"},
            )
            log(f"pages: {name}")

            def target(project: str, kind: str, peer: peers.Peer = peer) -> Target | None:
                if kind == "JSON" and not peer.json_pages:
                    return None
                return Target(
                    peer.project_url(project), {"Accept": JSON if kind == "JSON" else HTML}
                )

            results[name] = measure_pages(tables.pages, name, target, options.duration)
            _memory_row(tables.memory, f"{name} after the page load", peer.pids())
        except Exception as exc:
            tables.pages.notes.append(f"{peer.name} failed: {exc.__class__.__name__}: {exc}")
        finally:
            peer.stop()
    return results


@dataclass
class Tables:
    pages: Table
    installs: Table
    uploads: Table
    memory: Table
    scale: Table | None = None

    @classmethod
    def new(cls, options: Options) -> Tables:
        return cls(
            pages=Table(
                f"Simple pages under load (wrk -t2 -c32, {options.duration:.0f} s per page and"
                " server)",
                ["page", "format", "server", "requests/s", "÷ nginx", "p50 ms", "p99 ms"],
                labels=3,
            ),
            installs=Table(
                f"Installing the 60-package tree (fresh target, no cache; median of "
                f"{options.installs})",
                ["client", "index", "median s", "÷ nginx", "runs"],
                labels=2,
            ),
            uploads=Table(
                "Uploads of small files (one client invocation each; durable, fsynced)",
                ["server", "client", "files", "seconds", "files/s", "index versions made"],
                labels=2,
            ),
            memory=Table(
                "Memory of the worker processes",
                ["when", "workers", "RSS MB per worker (max)", "PSS MB per worker (max)"],
                labels=1,
            ),
        )


def report(
    tables: Tables, options: Options, peer_versions: dict[str, str], *, startup: float
) -> str:
    lines = ["# Packhouse benchmark results", ""]
    lines.append(
        f"Run `bench/run {' '.join(sys.argv[1:])}`".rstrip()
        + f" on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."
    )
    lines += ["", "## Machine", "", "| | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in machine(peer_versions)]
    lines += ["", f"Packhouse: {options.workers} worker processes; started in {startup:.2f} s.", ""]
    for table in (tables.pages, tables.installs, tables.uploads, tables.memory, tables.scale):
        if table is not None:
            lines += [table.markdown(), ""]
    lines += ["## Command lines", "", "```", *COMMANDS, "```", ""]
    text = "\n".join(lines)
    return text


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, to try the suite")
    parser.add_argument("--duration", type=float, help="seconds of wrk per page (default 10)")
    parser.add_argument(
        "--rounds", type=int, help="rounds per page, servers in turn (default 5; quick 3)"
    )
    parser.add_argument("--soak", type=float, help="seconds of sustained load (default 300)")
    parser.add_argument("--installs", type=int, help="install runs per cell (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--no-peers", action="store_true", help="skip devpi and pypiserver")
    parser.add_argument("--no-scale", action="store_true", help="skip the million-file run")
    parser.add_argument("--scale-projects", type=int, default=100_000)
    parser.add_argument(
        "--write", type=Path, help="write the report here (default bench/RESULTS.md, not --quick)"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    write = args.write or (None if quick else BENCH / "RESULTS.md")
    return Options(
        duration=args.duration or (3.0 if quick else 10.0),
        soak=args.soak or (20.0 if quick else 300.0),
        rounds=args.rounds or (3 if quick else 5),
        installs=args.installs or (1 if quick else 3),
        upload_files=100 if quick else 500,
        workers=args.workers,
        peers=not args.no_peers,
        scale=not args.no_scale,
        scale_projects=args.scale_projects if not quick else min(args.scale_projects, 10_000),
        write=write,
    )


def main(argv: list[str] | None = None) -> None:
    options = parse(sys.argv[1:] if argv is None else argv)
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} is missing; install Debian's wrk and nginx-light")
    text = run_suite(options)
    print("\n" + text)
    (OUT / "RESULTS.md").write_text(text)
    if options.write is not None:
        options.write.write_text(text)
        log(f"written to {options.write}")


if __name__ == "__main__":
    main()
