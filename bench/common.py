"""Shared helpers: paths, logged subprocesses, wrk, process memory, the results tables."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
VENV_BIN = Path(sys.executable).parent

#: Every external command the run used, in order, with secrets masked (for the report).
COMMANDS: list[str] = []
#: Values masked in logged command lines (passwords, tokens).
SECRETS: set[str] = set()


def log(message: str = "") -> None:
    print(message, flush=True)


def mask(text: str) -> str:
    for secret in SECRETS:
        if secret:
            text = text.replace(secret, "***")
    return text


def short_path(arg: str) -> str:
    """Paths under the repository printed relative to it."""
    return arg.replace(str(ROOT) + "/", "")


def describe(command: Sequence[str], *, files: int = 0) -> str:
    """A command line for the report; ``files`` trailing file arguments are summarised."""
    args = [short_path(str(a)) for a in command]
    if files:
        shown = args[:-files]
        first = args[-files]
        shown.append(f"<{files} files: {Path(first).parent}/...>")
        args = shown
    return mask(shlex.join(args))


def note_command(command: Sequence[str], *, files: int = 0) -> None:
    line = describe(command, files=files)
    if line not in COMMANDS:
        COMMANDS.append(line)


def run(
    command: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    cwd: Path | None = None,
    check: bool = True,
    files: int = 0,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command (bounded in time), remembering its line for the report."""
    note_command(command, files=files)
    result = subprocess.run(
        list(map(str, command)),
        env=env if env is not None else clean_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"command failed ({result.returncode}): {describe(command, files=files)}\n"
            + mask((result.stdout[-3000:] + "\n" + result.stderr[-3000:]).strip())
        )
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """An environment without pip/uv/twine configuration that could reach another index."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_", "TWINE_", "PACKHOUSE_", "VIRTUAL_ENV"))
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        UV_NO_CONFIG="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


# ---------------------------------------------------------------------------------------------
# background processes


@dataclass
class Background:
    """A server started by the suite, in its own session so that it can be stopped whole."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def start(
        cls,
        name: str,
        command: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        log_path: Path,
        cwd: Path | None = None,
    ) -> Background:
        note_command(command)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as out:
            proc = subprocess.Popen(
                list(map(str, command)),
                env=env if env is not None else clean_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                start_new_session=True,
            )
        return cls(name, proc, log_path)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)


def wait_http(
    url: str,
    *,
    timeout: float = 90,
    proc: Background | None = None,
    ok: Callable[[int], bool] = lambda status: status == 200,
    interval: float = 0.05,
) -> float:
    """Poll a URL until it answers as wanted; the seconds it took."""
    import httpx

    start = time.monotonic()
    deadline = start + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        try:
            status = httpx.get(url, timeout=2).status_code
            if ok(status):
                return time.monotonic() - start
            last = f"HTTP {status}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(interval)
    tail = proc.tail() if proc is not None else ""
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s ({last})\n{tail}")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# wrk


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    errors: int
    non_2xx: int
    transfer_per_s: str
    raw: str


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unparsed latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rps:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{output[-2000:]}")
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.MULTILINE))
    total = re.search(r"(\d+) requests in", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    transfer = re.search(r"Transfer/sec:\s+(\S+)", output)
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=_ms(percentiles["50"]) if "50" in percentiles else None,
        p99_ms=_ms(percentiles["99"]) if "99" in percentiles else None,
        requests=int(total.group(1)) if total else 0,
        errors=sum(int(g) for g in errors.groups()) if errors else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        transfer_per_s=transfer.group(1) if transfer else "?",
        raw=output,
    )


def wrk(
    url: str,
    *,
    duration: float,
    threads: int = 2,
    connections: int = 32,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    latency: bool = True,
) -> WrkResult:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s"]
    if latency:
        command.append("--latency")
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    result = run(command, timeout=duration + 60)
    return parse_wrk(result.stdout)


# ---------------------------------------------------------------------------------------------
# memory of processes


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    result: list[int] = []
    todo = [pid]
    while todo:
        for child in children(todo.pop()):
            result.append(child)
            todo.append(child)
    return result


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def memory_kb(pid: int) -> dict[str, int]:
    """Rss and Pss of a process in kB, from /proc/PID/smaps_rollup."""
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
                values[parts[0][:-1]] = int(parts[1])
    return values


def worker_pids(master_pid: int) -> list[int]:
    """The worker processes of a ``packhouse serve``: uvicorn's spawned children, or the
    processes granian forks (direct children of the server)."""
    found = descendants(master_pid)
    spawned = [
        p for p in found if "spawn_main" in cmdline(p) or "multiprocessing-fork" in cmdline(p)
    ]
    return sorted(spawned or children(master_pid))


class Sampler:
    """Samples a set of processes' memory every few seconds in a thread."""

    def __init__(self, pids: Callable[[], list[int]], interval: float) -> None:
        self._pids = pids
        self._interval = interval
        self.samples: list[tuple[float, dict[int, dict[str, int]]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._start = 0.0

    def _loop(self) -> None:
        while True:
            now = time.monotonic() - self._start
            self.samples.append((now, {pid: memory_kb(pid) for pid in self._pids()}))
            if self._stop.wait(self._interval):
                return

    def __enter__(self) -> Sampler:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------------------
# results


MISSING = "MISSING"


@dataclass
class Table:
    title: str
    columns: list[str]
    #: label columns identify a row; the rest are measured.
    labels: int
    rows: dict[tuple[str, ...], dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failures: dict[tuple[str, ...], str] = field(default_factory=dict)

    def expect(self, *label: str) -> tuple[str, ...]:
        self.rows.setdefault(label, {})
        return label

    def set(self, label: tuple[str, ...], **values: str) -> None:
        self.rows.setdefault(label, {}).update(values)

    def fail(self, label: tuple[str, ...], reason: str) -> None:
        self.rows.setdefault(label, {})
        self.failures[label] = reason

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("| " + " | ".join("---" for _ in self.columns) + " |")
        for label, values in self.rows.items():
            cells = list(label)
            for column in self.columns[self.labels :]:
                cells.append(values.get(column, MISSING))
            lines.append("| " + " | ".join(cells) + " |")
        failure_notes = [
            f"- MISSING in `{' / '.join(label)}`: {reason}"
            for label, reason in self.failures.items()
        ]
        if self.notes or failure_notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes] + failure_notes
        return "\n".join(lines)


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return MISSING
    return f"{value:,.{digits}f}"


def ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return value / reference


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# ---------------------------------------------------------------------------------------------
# the machine


def _version(command: Sequence[str], pattern: str = r"(\d+\.\d+(?:\.\d+)?)") -> str:
    try:
        result = subprocess.run(
            list(command), capture_output=True, text=True, timeout=60, env=clean_env()
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc.__class__.__name__})"
    match = re.search(pattern, result.stdout + result.stderr)
    return match.group(1) if match else "unknown"


def machine(peer_versions: dict[str, str]) -> list[tuple[str, str]]:
    from importlib.metadata import version

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    load = ""
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    def pkg(name: str) -> str:
        try:
            return version(name)
        except Exception:
            return "not installed"

    rows = [
        ("cores (nproc)", str(os.cpu_count())),
        ("CPU", cpu),
        ("memory", mem),
        ("kernel", platform.release()),
        ("OS", _os_name()),
        ("load average at start", load),
        ("python", platform.python_version()),
        ("packhouse", pkg("packhouse")),
        ("uvicorn", pkg("uvicorn")),
        ("uvloop / httptools", f"{pkg('uvloop')} / {pkg('httptools')}"),
        ("nginx", _version(["nginx", "-v"], r"nginx/(\S+)") if shutil.which("nginx") else "absent"),
        ("wrk", _version(["wrk", "-v"], r"wrk (\S+)") if shutil.which("wrk") else "absent"),
        ("twine", pkg("twine")),
        ("uv (client)", _version([str(VENV_BIN / "uv"), "--version"])),
        ("pip (client)", pkg("pip")),
    ]
    rows += list(peer_versions.items())
    return rows


def _os_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    return platform.platform()


@contextlib.contextmanager
def timed() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def rmtree(path: Path) -> None:
    """Remove a folder under bench/out (and nothing else)."""
    path = path.resolve()
    if OUT.resolve() not in path.parents:
        raise RuntimeError(f"refusing to remove {path}: not under {OUT}")
    shutil.rmtree(path, ignore_errors=True)


def kb_to_mb(kb: int | None) -> float | None:
    return None if kb is None else kb / 1024
