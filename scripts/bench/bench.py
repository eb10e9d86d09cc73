#!/usr/bin/env python3
"""`make bench`: Orgplane's read paths, event ingestion and memory, against floors.

Everything runs in one go on a throwaway PostgreSQL cluster (started here, removed at
the end whatever happens):

  1. a fresh cluster, durable (fsync and synchronous_commit on), with pg_stat_statements;
  2. `orgplane migrate` and `orgplane admin bootstrap` (a platform admin's API key);
  3. a generated data set loaded with SQL (load.sql);
  4. `orgplane serve` from target/release, on a free port;
  5. floors measured in the same run: H = wrk on /healthz of that process, D = pgbench
     on the SQL of each endpoint's main lookup (d_*.sql), C = 1/(1/H + 1/D);
  6. wrk on every read path (rotate.lua: real ids, one after the other);
  7. event ingestion (POST /events, batches of 1,000 events);
  8. report cost with little and with much history (orgs A and B);
  9. reads while passwords are being hashed (logins in the background);
 10. a table against the targets, and every figure as JSON in bench-results/.

Python 3.11 standard library only. Called by scripts/bench.sh (which checks the tools and
builds the binary); see `--help` for the arguments.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BINARY = ROOT / "target" / "release" / "orgplane"
RESULTS = ROOT / "bench-results"

EMAIL = "bench@example.com"
PASSWORD = "correct horse battery"
DATABASE = "orgplane"

# Load shape of every wrk and pgbench run: the same 16 clients on 2 threads, so that an
# endpoint and its floors see the same concurrency.
CONNECTIONS = 16
THREADS = 2
EVENTS_PER_BATCH = 1000


class BenchError(Exception):
    """A failure to report to the user as one clear message (no traceback)."""


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# What is measured, and how much of it


@dataclass(frozen=True)
class Sizes:
    """The data set and run lengths of one mode."""

    top: int  # top-level organizations
    subs: int  # sub-organizations per top-level organization
    addrs: int  # addresses in each top-level organization's default pool
    servers: int  # servers per organization
    search_extra: int  # organizations under the search parent
    duration: int  # seconds per wrk / pgbench run
    warmup: int  # seconds of unmeasured wrk before each measured run
    ingest_bodies: int  # distinct pre-generated event batches
    servers_per_body: int  # servers one batch reports for
    history_b_events: int  # events sent to organization B


FULL = Sizes(top=2000, subs=9, addrs=4, servers=2, search_extra=1_000_000 - 20_002,
             duration=10, warmup=2, ingest_bodies=48, servers_per_body=100,
             history_b_events=10_000_000)
QUICK = Sizes(top=200, subs=9, addrs=4, servers=2, search_extra=50_000,
              duration=3, warmup=0, ingest_bodies=16, servers_per_body=100,
              history_b_events=100_000)
HISTORY_A_EVENTS = 1000


@dataclass(frozen=True)
class Endpoint:
    """One read path: how wrk asks it, and which pgbench script is its floor D."""

    name: str  # --only name, JSON key
    label: str  # table row
    method: str
    path: str  # `{v}` takes a value from the values file
    values: str  # "orgs" (organization ids), "search" (search terms) or "none"
    header: str  # credential header
    body: str = ""  # JSON body template
    floor: str = ""  # pgbench script (d_<floor>.sql)
    floor_vars: tuple = ()  # extra -D variables: (("limit", "51"),)
    share: float = 0.40  # target: req/s >= share * C
    optional: bool = False  # being built: a 404 means "not built", not a failure
    postal: bool = False  # answers errors with 200 and an envelope: check its status
    p99_max_ms: float | None = None  # an absolute p99 target besides the floor-based one


READS = [
    Endpoint("org_get", "org get", "GET", "/orgs/{v}", "orgs", "Authorization",
             floor="org_get", share=0.60),
    Endpoint("org_list", "org list", "GET", "/orgs?limit=50", "none", "Authorization",
             floor="org_list", floor_vars=(("limit", "51"),)),
    Endpoint("search", "sub-org search", "GET",
             "/orgs?parent_id={parent}&search={v}&limit=25", "search", "Authorization",
             floor="search", p99_max_ms=50.0),
    Endpoint("statistics", "statistics", "GET", "/orgs/{v}/statistics", "orgs",
             "Authorization", floor="statistics"),
    Endpoint("ip_allocation", "ip_allocation", "GET", "/orgs/{v}/ip_allocation", "orgs",
             "Authorization", floor="ip_allocation"),
    Endpoint("postal_statistics", "postal statistics", "POST",
             "/api/v1/organizations/statistics", "orgs", "X-Server-API-Key",
             body='{"uuid": "{v}"}', floor="statistics", postal=True),
    Endpoint("postal_ip_allocation", "postal ip_allocation", "POST",
             "/api/v1/organizations/ip_allocation", "orgs", "X-Server-API-Key",
             body='{"uuid": "{v}"}', floor="ip_allocation", postal=True),
    # Being built when this was written. PostGrid lists the caller's home's children (the
    # platform organization's: the search set) with a total count.
    Endpoint("postgrid_list", "postgrid sub-org list", "GET",
             "/print-mail/v1/sub_organizations?limit=10", "none", "X-API-Key",
             floor="postgrid_list", optional=True),
    # A page of 25 (the route's default page is 1,000), with the route's SQL as its floor:
    # the page, the total and each organization's counts.
    Endpoint("seed002_list", "seed-002 org list", "GET", "/api/organizations?limit=25",
             "none", "Authorization", floor="seed002_list", floor_vars=(("limit", "25"),),
             optional=True),
]
SCENARIOS = ["ingest", "history", "login"]
ALL_NAMES = [e.name for e in READS] + SCENARIOS


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make bench BENCH_ARGS=...",
        description="Benchmark Orgplane's read paths and ingestion against floors "
                    "measured in the same run.")
    parser.add_argument("--quick", action="store_true",
                        help="small data set and short runs (whole run under 2 minutes)")
    parser.add_argument("--duration", type=int, metavar="SECS",
                        help="seconds per wrk / pgbench run (full: 10, quick: 3)")
    parser.add_argument("--pool", type=int, default=8, metavar="N",
                        help="database.pool_max_size of the server (default 8)")
    parser.add_argument("--workers", type=int, default=2, metavar="N",
                        help="server.workers of the server (default 2)")
    parser.add_argument("--only", metavar="NAME[,NAME]",
                        help="run only these: " + ", ".join(ALL_NAMES))
    args = parser.parse_args(argv)
    if args.duration is not None and args.duration < 1:
        parser.error("--duration must be at least 1")
    if args.pool < 1 or args.workers < 1:
        parser.error("--pool and --workers must be at least 1")
    selected = ALL_NAMES
    if args.only:
        selected = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in selected if n not in ALL_NAMES]
        if unknown:
            parser.error(f"--only: unknown {', '.join(unknown)}; known: {', '.join(ALL_NAMES)}")
    args.selected = set(selected)
    return args


# --------------------------------------------------------------------------------------
# Processes and tools


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env() -> dict[str, str]:
    """Our environment without settings that would silently change what is measured: a
    developer's PG* (psql, pgbench), ORGPLANE_* and RUST_LOG (the server)."""
    return {k: v for k, v in os.environ.items()
            if not (k.startswith("PG") or k.startswith("ORGPLANE") or k == "RUST_LOG")}


def run(cmd: list[str], what: str, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    """Runs a command to completion; a failure raises BenchError with its output."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as e:
        command = " ".join(cmd[:3])
        raise BenchError(f"{what}: no answer after {timeout:.0f} s ({command} ...)") from e
    except FileNotFoundError as e:
        raise BenchError(f"{what}: {cmd[0]} not found") from e
    if done.returncode != 0:
        output = (done.stderr.strip() or done.stdout.strip())[-3000:]
        raise BenchError(f"{what} failed (exit {done.returncode}):\n{output}")
    return done


def pg_bin() -> Path:
    """Where initdb and friends live: PG_BIN (set by bench.sh), else PostgreSQL 15's."""
    path = Path(os.environ.get("PG_BIN") or "/usr/lib/postgresql/15/bin")
    if not (path / "initdb").exists():
        raise BenchError(f"initdb not found in {path}; install postgresql-15 or set PG_BIN")
    return path


def tool(name: str) -> str:
    """A PostgreSQL client tool, from PG_BIN if it is there, else from PATH."""
    candidate = pg_bin() / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BenchError(f"{name} not found; install postgresql-client-15")
    return found


class Postgres:
    """A throwaway cluster in a temporary directory, on a free port of 127.0.0.1."""

    def __init__(self, workdir: Path):
        self.dir = workdir / "postgres"
        self.port = free_port()
        self.started = False
        # initdb refuses root: as root the cluster belongs to the postgres user.
        self.owner = "postgres" if os.geteuid() == 0 else None
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _as_owner(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", self.owner, "--", *argv] if self.owner else argv

    def start(self) -> None:
        self.dir.mkdir(mode=0o700)
        if self.owner:
            shutil.chown(self.dir, user=self.owner, group=self.owner)
        bin_ = pg_bin()
        # From `/`: the postgres user may not be allowed into our working directory.
        run(self._as_owner([str(bin_ / "initdb"), "-D", str(self.dir), "-U", "postgres",
                            "--auth=trust", "-E", "UTF8", "--locale=C"]),
            "initdb", cwd="/", env=clean_env())
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.dir),
            # Durable, as in production: every commit waits for its WAL flush.
            "fsync": "on",
            "synchronous_commit": "on",
            "shared_buffers": "256MB",
            "max_connections": "200",
            "shared_preload_libraries": "pg_stat_statements",
            # Room for the bulk load's WAL, so no checkpoint storm lands in a measurement.
            "max_wal_size": "4GB",
        }
        options = f"-p {self.port} " + " ".join(f"-c {k}={v}" for k, v in settings.items())
        self.started = True  # from here on, stop() has something to stop
        run(self._as_owner([str(bin_ / "pg_ctl"), "-D", str(self.dir), "-l",
                            str(self.dir / "server.log"), "-w", "-t", "60", "-o", options,
                            "start"]),
            "starting PostgreSQL", cwd="/", env=clean_env())
        self.psql(f"CREATE DATABASE {DATABASE}", database="postgres")

    def stop(self) -> None:
        if not self.started:
            return
        ctl = [str(pg_bin() / "pg_ctl"), "-D", str(self.dir), "-w", "-t", "30", "stop"]
        for mode in ("fast", "immediate"):
            done = subprocess.run(self._as_owner(ctl[:-1] + ["-m", mode, "stop"]), cwd="/",
                                  capture_output=True, text=True, env=clean_env())
            if done.returncode == 0:
                break
        self.started = False

    def postmaster_pid(self) -> int:
        try:
            return int((self.dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.dir / "server.log").read_text(errors="replace")
            return "\n".join(text.splitlines()[-lines:])
        except OSError:
            return ""

    def psql_args(self, database: str = DATABASE) -> list[str]:
        return [tool("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-F", "\x1f",
                "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database]

    def psql(self, sql: str, database: str = DATABASE, timeout: float = 600) -> list[list[str]]:
        """Runs SQL; returns the rows of the last result, fields split."""
        done = run(self.psql_args(database) + ["-c", sql], f"psql: {sql.split()[0]}",
                   timeout=timeout, env=clean_env())
        return [line.split("\x1f") for line in done.stdout.splitlines() if line]

    def value(self, sql: str) -> str:
        rows = self.psql(sql)
        if not rows:
            raise BenchError(f"no row from: {sql}")
        return rows[0][0]


class Server:
    """`orgplane serve` on a free port; its output goes to a log file we scan at the end."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.port = free_port()
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "wb")
        # A session of its own: a Ctrl-C reaches us, and we stop the server ourselves.
        self.proc = subprocess.Popen([str(BINARY), "serve", "--bind", f"127.0.0.1:{self.port}"],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"orgplane serve exited ({self.proc.returncode}):\n"
                                 f"{self.log_tail()}")
            try:
                status, _ = http_request(self.port, "GET", "/readyz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"orgplane serve not ready after 60 s:\n{self.log_tail()}")

    def memory_kib(self) -> dict[str, int]:
        """VmRSS (resident now) and VmHWM (the peak so far), in KiB."""
        found = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(rest.split()[0])
        return found

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # graceful: in-flight requests finish
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines: int = 30) -> str:
        text = strip_ansi(self.log_path.read_text(errors="replace"))
        return "\n".join(text.splitlines()[-lines:])


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def http_request(port: int, method: str, path: str, headers: dict | None = None,
                 body: bytes | None = None, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def process_table() -> dict[int, tuple[int, float]]:
    """Every process now: pid -> (parent pid, CPU seconds used so far)."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # it just ended
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return table


def pressure() -> dict[str, float]:
    """Pressure stall totals (µs) of memory and I/O, where the kernel reports them: a
    run during which tasks waited on memory or the disk is not a clean run."""
    totals = {}
    for resource, kind in (("memory", "some"), ("io", "full")):
        try:
            for line in Path(f"/proc/pressure/{resource}").read_text().splitlines():
                if line.startswith(kind):
                    totals[f"{resource}_{kind}"] = float(line.rsplit("total=", 1)[1])
        except (OSError, IndexError, ValueError):
            pass
    return totals


class OtherLoad:
    """CPU used during a run by processes that are not ours (ours: this process, the
    server, wrk, pgbench, the cluster's postmaster and backends, and their children).
    The machine may be shared (a compiler next door): such runs are flagged, not hidden.
    """

    def __init__(self, roots: list[int]):
        self.roots = roots
        self.before = process_table()
        self.started = time.monotonic()

    def measure(self) -> tuple[float, list[str]]:
        """Cores the others used on average, and the busiest of them by name."""
        after = process_table()
        seconds = max(time.monotonic() - self.started, 1e-6)
        ours = set(p for p in self.roots if p)
        grew = True
        while grew:  # the descendants of our roots, to any depth
            grew = False
            for pid, (ppid, _) in after.items():
                if ppid in ours and pid not in ours:
                    ours.add(pid)
                    grew = True
        used = {pid: cpu - self.before.get(pid, (0, 0.0))[1]
                for pid, (_, cpu) in after.items() if pid not in ours}
        busiest = sorted(((cpu, pid) for pid, cpu in used.items() if cpu > 0), reverse=True)[:3]
        names = []
        for cpu, pid in busiest:
            try:
                name = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                name = "?"
            names.append(f"{name} ({pid}): {cpu / seconds:.2f}")
        return sum(used.values()) / seconds, names


# --------------------------------------------------------------------------------------
# Load generators


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def wrk_command(port: int, duration: int, script: str, lua_args: list[str]) -> list[str]:
    return ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency",
            "--timeout", "10s", "-s", str(HERE / script), f"http://127.0.0.1:{port}",
            "--", *lua_args]


def wrk_result(stdout: str, stderr: str, what: str) -> dict:
    """The BENCH_RESULT line of rotate.lua's done(), with rates and milliseconds added."""
    for line in stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            r = json.loads(line[len("BENCH_RESULT "):])
            seconds = r["duration_us"] / 1e6
            r["seconds"] = seconds
            r["rps"] = r["requests"] / seconds if seconds else 0.0
            for key in ("mean", "p50", "p90", "p99", "max"):
                r[f"{key}_ms"] = r[f"{key}_us"] / 1000
            r["socket_errors"] = (r["connect_errors"] + r["read_errors"]
                                  + r["write_errors"] + r["timeouts"])
            return r
    raise BenchError(f"wrk ({what}) printed no result:\n{(stderr or stdout)[-2000:]}")


def credential(header: str, key: str) -> str:
    """The header value carrying the API key: `Bearer <key>` in Authorization, the bare
    key in X-API-Key and X-Server-API-Key."""
    return f"Bearer {key}" if header == "Authorization" else key


@dataclass
class Target:
    """How wrk asks one thing: method, path, a values file, the credential, a body."""

    method: str
    path: str
    values: Path
    header: str
    key: str
    body: str = ""

    def lua_args(self) -> list[str]:
        return [self.method, self.path, str(self.values), self.header,
                credential(self.header, self.key), self.body]


def wrk(port: int, target: Target, duration: int, warmup: int = 0) -> dict:
    """One wrk run (after an unmeasured warm-up, if any)."""
    if warmup:
        run(wrk_command(port, warmup, "rotate.lua", target.lua_args()), "wrk warm-up",
            timeout=warmup + 60)
    done = run(wrk_command(port, duration, "rotate.lua", target.lua_args()),
               f"wrk {target.path}", timeout=duration + 60)
    return wrk_result(done.stdout, done.stderr, target.path)


def wrk_capped(port: int, target: Target, total: int, max_seconds: int) -> dict:
    """Sends about `total` requests (each thread stops after its share; see capped.lua).

    wrk only knows durations, so it runs with a long -d, and once every thread has
    printed BENCH_CAPPED it gets SIGINT, on which wrk stops and reports as usual.
    """
    per_thread = math.ceil(total / THREADS)
    cmd = wrk_command(port, max_seconds, "capped.lua", target.lua_args() + [str(per_thread)])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True)
    reader.start()
    out, capped = [], 0
    try:
        deadline = time.monotonic() + max_seconds + 30
        while capped < THREADS and proc.poll() is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            out.append(line)
            capped += line.startswith("BENCH_CAPPED")
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=5)
    while not lines.empty():
        out.append(lines.get())
    return wrk_result("".join(out), proc.stderr.read(), f"{target.path} (capped)")


# Floors whose route plans its statement for each request's values (a search, planned
# for its terms): run with the extended protocol, unprepared, as the route runs them.
PLANNED_EACH_TIME = {"search", "search_text"}


def pgbench(pg: Postgres, script: str, variables: dict[str, str], duration: int,
            workdir: Path) -> dict:
    """One pgbench run of d_<script>.sql; p50/p99 from its per-transaction logs."""
    logdir = Path(tempfile.mkdtemp(prefix=f"pgbench-{script}-", dir=workdir))
    protocol = "extended" if script in PLANNED_EACH_TIME else "prepared"
    cmd = [tool("pgbench"), "-n", "-M", protocol, "-c", str(CONNECTIONS), "-j", str(THREADS),
           "-T", str(duration), "-f", str(HERE / f"d_{script}.sql"),
           "-l", "--log-prefix", str(logdir / "tx"),
           *[f"-D{k}={v}" for k, v in variables.items()],
           "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", DATABASE]
    done = run(cmd, f"pgbench d_{script}.sql", timeout=duration + 120, env=clean_env())
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    latencies = []
    # Log lines: client_id transaction_no latency_us script_no epoch_s epoch_us.
    for log in logdir.glob("tx*"):
        for line in log.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                latencies.append(int(parts[2]))
    shutil.rmtree(logdir, ignore_errors=True)
    if not tps or not latencies:
        raise BenchError(f"pgbench d_{script}.sql: no result in its output:\n{done.stdout[-1500:]}")
    latencies.sort()
    return {
        "script": f"d_{script}.sql",
        "variables": {k: v for k, v in variables.items() if k != "keyhash"},
        "tps": float(tps.group(1)),
        "transactions": len(latencies),
        "failed": int(failed.group(1)) if failed else 0,
        "p50_ms": percentile(latencies, 0.50) / 1000,
        "p99_ms": percentile(latencies, 0.99) / 1000,
        "mean_ms": sum(latencies) / len(latencies) / 1000,
    }


class LoginLoad(threading.Thread):
    """POST /auth/login at a steady rate (argon2id: about 19 MiB and tens of ms each)."""

    def __init__(self, port: int, per_second: float):
        super().__init__(daemon=True)
        self.port = port
        self.interval = 1 / per_second
        self.halt = threading.Event()
        self.statuses: dict[int, int] = {}
        self.latencies_ms: list[float] = []

    def run(self) -> None:
        body = json.dumps({"email": EMAIL, "password": PASSWORD}).encode()
        headers = {"Content-Type": "application/json"}
        next_at = time.monotonic()
        while not self.halt.is_set():
            started = time.monotonic()
            try:
                status, _ = http_request(self.port, "POST", "/auth/login", headers, body)
            except OSError:
                status = 0  # no answer at all
            self.latencies_ms.append((time.monotonic() - started) * 1000)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            next_at += self.interval
            self.halt.wait(max(0.0, next_at - time.monotonic()))

    def summary(self) -> dict:
        done = sorted(self.latencies_ms)
        return {
            "logins": len(done),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "non2xx": sum(v for k, v in self.statuses.items() if not 200 <= k < 300),
            "p50_ms": percentile(done, 0.5),
            "max_ms": done[-1] if done else float("nan"),
        }


# --------------------------------------------------------------------------------------
# The benchmark


@dataclass
class Context:
    """What the steps share."""

    args: argparse.Namespace
    sizes: Sizes
    workdir: Path
    pg: Postgres
    duration: int = 0  # seconds per wrk / pgbench run
    key: str = ""
    keyhash: str = ""
    meta: dict = field(default_factory=dict)  # ids of the data set
    files: dict = field(default_factory=dict)  # values files for wrk
    server: Server | None = None
    results: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)  # anything surprising, for the report
    floors: dict = field(default_factory=dict)  # pgbench results by (script, vars)
    memory_trail: list = field(default_factory=list)  # server VmRSS/VmHWM after each run
    tail_outside: list = field(default_factory=list)  # runs whose p99 the server never saw

    def wants(self, name: str) -> bool:
        return name in self.args.selected

    def note(self, text: str) -> None:
        self.notes.append(text)
        say(f"NOTE: {text}")

    def watched(self, what: str, run_it) -> dict:
        """Runs one measurement; adds the CPU others used meanwhile and the server's
        memory after it (which step set the peak), and flags a crowded machine."""
        roots = [os.getpid(), self.pg.postmaster_pid(),
                 self.server.proc.pid if self.server and self.server.proc else 0]
        others, stalls, started = OtherLoad(roots), pressure(), time.monotonic()
        result = run_it()
        cores, busiest = others.measure()
        result["other_cpu_cores"], result["other_busiest"] = round(cores, 2), busiest
        seconds = time.monotonic() - started
        # Share of the run's wall time during which tasks stalled on memory / the disk.
        result["stalled"] = {k: round((v - stalls.get(k, v)) / 1e6 / seconds, 3)
                             for k, v in pressure().items()}
        for kind, share in result["stalled"].items():
            if share > 0.05:
                self.note(f"{what}: tasks stalled ({kind}) {share:.0%} of the time")
        if self.server and self.server.proc:
            memory = self.server.memory_kib()
            result["server_memory_kib"] = memory
            self.memory_trail.append({"after": what, **memory})
        if result["other_cpu_cores"] > 0.25:
            self.note(f"{what}: other processes used {cores:.2f} of {os.cpu_count()} cores "
                      f"meanwhile ({', '.join(busiest)}); its figures are disturbed")
        if result.get("socket_errors"):
            self.note(f"{what}: {result['socket_errors']} connection errors or timeouts")
        return result


def binary_env(ctx: Context) -> dict[str, str]:
    env = clean_env()
    config_dir = ctx.workdir / "config"  # empty: a developer's config/local.toml stays out
    config_dir.mkdir(exist_ok=True)
    env.update({
        "DATABASE_URL": ctx.pg.url,
        "ORGPLANE_CONFIG_DIR": str(config_dir),
        "ORGPLANE__LOG__LEVEL": "warn",
        "ORGPLANE__DATABASE__POOL_MAX_SIZE": str(ctx.args.pool),
        "ORGPLANE__SERVER__WORKERS": str(ctx.args.workers),
    })
    return env


def migrate_and_bootstrap(ctx: Context) -> None:
    env = binary_env(ctx)
    run([str(BINARY), "migrate"], "orgplane migrate", env=env, timeout=120)
    done = run([str(BINARY), "admin", "bootstrap", "--email", EMAIL, "--password", PASSWORD,
                "--json"], "orgplane admin bootstrap", env=env, timeout=120)
    lines = [l for l in done.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise BenchError(f"orgplane admin bootstrap printed no JSON:\n{done.stdout[-1000:]}")
    boot = json.loads(lines[-1])
    ctx.key = boot["api_key"]
    ctx.meta["platform_org"] = boot["organization_id"]
    # pgbench's credential check looks the key up by its stored hash, as the server does.
    ctx.keyhash = ctx.pg.value(
        f"SELECT encode(key_hash, 'hex') FROM api_keys WHERE uuid = '{boot['api_key_id']}'")
    ctx.pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


def load_data(ctx: Context) -> None:
    s = ctx.sizes
    # The platform organization's many children serve the searched list and PostGrid's
    # list of the caller's sub-organizations (the caller's home is the platform org).
    children = s.search_extra if ctx.wants("search") or ctx.wants("postgrid_list") else 0
    platform = ctx.meta["platform_org"]
    started = time.monotonic()
    variables = {"top": s.top, "subs": s.subs, "addrs": s.addrs, "servers": s.servers,
                 "search": children, "platform": platform}
    cmd = ctx.pg.psql_args() + [arg for k, v in variables.items() for arg in ("-v", f"{k}={v}")]
    run(cmd + ["-f", str(HERE / "load.sql")], "loading the data set (load.sql)",
        timeout=3600, env=clean_env())
    seconds = time.monotonic() - started
    pg = ctx.pg
    org = lambda where: pg.psql(f"SELECT id, uuid FROM organizations WHERE {where}")[0]
    a, b = org("permalink = 'org-1'"), org("permalink = 'org-2'")
    p = org(f"uuid = '{platform}'")
    ctx.meta.update({
        # The main set: top-level organizations and their subs, consecutive ids.
        "org_lo": int(a[0]), "org_hi": int(a[0]) + s.top * (1 + s.subs) - 1,
        "org_a": {"id": int(a[0]), "uuid": a[1]},
        "org_b": {"id": int(b[0]), "uuid": b[1]},
        "search_parent": {"id": int(p[0]), "uuid": p[1]},
    })
    counts = {t: int(pg.value(f"SELECT count(*) FROM {t}")) for t in
              ("organizations", "servers", "ip_pools", "ip_addresses", "ip_pool_addresses",
               "sent_totals", "monthly_usage", "server_queues")}
    ctx.results["dataset"] = {"load_seconds": round(seconds, 1), "rows": counts,
                              "search_children": children,
                              **{k: v for k, v in variables.items() if k != "platform"}}
    say(f"loaded {counts['organizations']:,} organizations, {counts['servers']:,} servers "
        f"in {seconds:.0f} s")


def write_values(ctx: Context) -> None:
    """The files wrk's rotate.lua reads: one value (id, term, body) a line."""
    rng = random.Random(42)
    m = ctx.meta
    ids = [row[0] for row in ctx.pg.psql(
        f"SELECT uuid FROM organizations WHERE id BETWEEN {m['org_lo']} AND {m['org_hi']}")]
    rng.shuffle(ids)
    # Search terms: 3-, 4- and 5-digit numbers, equally often, as d_search.sql draws them.
    terms = [str(rng.randint(10 ** d, 10 ** (d + 1) - 1)) for d in rng.choices((2, 3, 4), k=3000)]
    for name, lines in {"orgs": ids, "search": terms, "none": ["-"],
                        "org_a": [m["org_a"]["uuid"]], "org_b": [m["org_b"]["uuid"]]}.items():
        path = ctx.workdir / f"values-{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        ctx.files[name] = path


def servers_with_addresses(ctx: Context, where: str) -> list[tuple[str, list[str]]]:
    rows = ctx.pg.psql(f"""
        SELECT s.uuid, string_agg(a.ipv4, ',' ORDER BY a.id)
        FROM servers s
        JOIN organizations o ON o.id = s.organization_id
        JOIN ip_pool_addresses pa ON pa.ip_pool_id = s.ip_pool_id
        JOIN ip_addresses a ON a.id = pa.ip_address_id AND a.deleted_at IS NULL
        WHERE s.deleted_at IS NULL AND {where}
        GROUP BY s.id, s.uuid ORDER BY s.id""")
    return [(uuid, ips.split(",")) for uuid, ips in rows]


def event_body(rng: random.Random, servers: list[tuple[str, list[str]]]) -> str:
    """One batch of 1,000 events: queued, sent (from one of the server's pool's
    addresses) and failed, over the given servers, as a sending engine would report."""
    events = []
    for _ in range(EVENTS_PER_BATCH):
        server, addresses = rng.choice(servers)
        kind = rng.choices(("queued", "sent", "failed"), weights=(40, 45, 15))[0]
        event = {"server_id": server, "type": kind, "count": 1}
        if kind == "sent":
            event["ip_address"] = rng.choice(addresses)
        events.append(event)
    return json.dumps({"events": events}, separators=(",", ":"))


def write_bodies(ctx: Context, name: str, servers: list, count: int, per_body: int,
                 disjoint: bool = False) -> Path:
    """`count` batches over `per_body` servers each, one batch a line. Shared: each batch
    draws its servers at random, so concurrent batches often update the same counter rows
    (and wait for each other's row locks). Disjoint: each batch gets its own run of
    servers (runs of consecutive ids: whole organizations), so no two batches share a row.
    """
    rng = random.Random(name)
    if disjoint:
        runs = [servers[i:i + per_body] for i in range(0, len(servers) - per_body + 1, per_body)]
        if len(runs) < count:
            raise BenchError(f"{len(servers)} servers are too few for {count} disjoint batches")
        picked = rng.sample(runs, count)
    else:
        picked = [rng.sample(servers, min(per_body, len(servers))) for _ in range(count)]
    path = ctx.workdir / f"bodies-{name}.txt"
    path.write_text("\n".join(event_body(rng, chosen) for chosen in picked) + "\n")
    return path


def start_server(ctx: Context, stack: ExitStack) -> None:
    ctx.server = Server(binary_env(ctx), ctx.workdir / "server.log")
    stack.callback(ctx.server.stop)
    ctx.server.start()
    time.sleep(1)  # let start-up allocations settle before reading "at rest"
    ctx.results["memory"] = {"rest_kib": ctx.server.memory_kib()["VmRSS"]}
    rest = ctx.results["memory"]["rest_kib"] / 1024
    say(f"orgplane serve on port {ctx.server.port}, pool {ctx.args.pool}, "
        f"workers {ctx.args.workers}; RSS at rest {rest:.1f} MiB")


def target_for(ctx: Context, endpoint: Endpoint) -> Target:
    path = endpoint.path.replace("{parent}", ctx.meta["search_parent"]["uuid"])
    return Target(endpoint.method, path, ctx.files[endpoint.values], endpoint.header,
                  ctx.key, endpoint.body)


def probe(ctx: Context, endpoint: Endpoint) -> dict:
    """A few requests by hand before the load: status codes, and for Postal the
    envelope's status (its errors answer 200, which wrk cannot tell from success)."""
    target = target_for(ctx, endpoint)
    values = target.values.read_text().split()[:5]
    statuses, problems = {}, []
    for value in values:
        headers = {endpoint.header: credential(endpoint.header, ctx.key)}
        body = None
        if endpoint.body:
            headers["Content-Type"] = "application/json"
            body = endpoint.body.replace("{v}", value).encode()
        status, answer = http_request(ctx.server.port, endpoint.method,
                                      target.path.replace("{v}", value), headers, body)
        statuses[status] = statuses.get(status, 0) + 1
        if not 200 <= status < 300:
            problems.append(f"{status}: {answer[:200].decode(errors='replace')}")
        elif endpoint.postal:
            try:
                envelope = json.loads(answer)
            except ValueError:
                envelope = {"status": "not JSON", "data": answer[:200].decode(errors="replace")}
            if envelope.get("status") != "success":
                data = json.dumps(envelope.get("data"))[:200]
                problems.append(f"envelope {envelope.get('status')}: {data}")
    return {"statuses": {str(k): v for k, v in statuses.items()}, "problems": problems}


def floor(ctx: Context, script: str, extra: tuple = ()) -> dict:
    """pgbench floor D, measured once per script and variables (Postal shares the
    canonical routes' floors: the same SQL)."""
    m = ctx.meta
    variables = {"keyhash": ctx.keyhash, "lo": str(m["org_lo"]), "hi": str(m["org_hi"]),
                 "parent": str(m["search_parent"]["id"]),
                 "parent_uuid": m["search_parent"]["uuid"], **dict(extra)}
    if script == "search" and ctx.pg.value(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'organizations' AND column_name = 'search_text'") != "0":
        script = "search_text"  # the schema searches one generated column now
    if script == "seed002_list":
        # The page's keys, as the route binds them to its counting statement.
        variables["page_ids"] = ctx.pg.value(
            "SELECT array_agg(id ORDER BY id)::text FROM (SELECT id FROM organizations "
            f"WHERE deleted_at IS NULL ORDER BY id LIMIT {int(variables['limit'])}) page")
    key = (script, extra)
    if key not in ctx.floors:
        ctx.floors[key] = ctx.watched(f"pgbench d_{script}.sql", lambda: pgbench(
            ctx.pg, script, variables, ctx.duration, ctx.workdir))
    return ctx.floors[key]


def statements(ctx: Context, requests: int) -> dict:
    """What the database did for the last run, from pg_stat_statements."""
    rows = ctx.pg.psql(r"""
        SELECT calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3),
               left(regexp_replace(query, '\s+', ' ', 'g'), 150)
        FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT ILIKE '%pg_stat_statements%'
        ORDER BY total_exec_time DESC""")
    calls = sum(int(r[0]) for r in rows)
    return {
        "per_request": round(calls / requests, 2) if requests else None,
        "top": [{"calls": int(c), "total_ms": float(t), "mean_ms": float(mn), "query": q}
                for c, t, mn, q in rows[:6]],
    }


def server_histograms(ctx: Context) -> dict | None:
    """The server's own latency histograms from /metrics, if it serves them:
    (route, method) -> {bucket upper bound in seconds: cumulative count}."""
    try:
        status, body = http_request(ctx.server.port, "GET", "/metrics", timeout=10)
    except OSError:
        return None
    if status != 200:
        return None
    found: dict = {}
    pattern = re.compile(r'^orgplane_http_request_duration_seconds_bucket\{(.*)\} (\S+)$')
    for line in body.decode(errors="replace").splitlines():
        match = pattern.match(line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            key = (labels.get("route", ""), labels.get("method", ""))
            found.setdefault(key, {})[float(labels.get("le", "inf"))] = float(match.group(2))
    return found


def server_side(before: dict | None, after: dict | None) -> dict | None:
    """What the server itself timed during one run (its busiest route): the bucket
    bounds that hold the median and the 99th percentile. Set beside wrk's figures, it
    tells time in the handler from time spent before or after it."""
    if not before or not after:
        return None
    runs = []
    for key, buckets in after.items():
        old = before.get(key, {})
        diff = {le: n - old.get(le, 0) for le, n in buckets.items()}
        runs.append((diff.get(float("inf"), 0), key, diff))
    count, (route, method), diff = max(runs, default=(0, ("", ""), {}))
    if not count:
        return None
    bound = lambda q: next((le for le in sorted(diff) if diff[le] >= q * count), float("inf"))
    return {"route": f"{method} {route}", "requests": int(count),
            "p50_at_most_ms": bound(0.50) * 1000, "p99_at_most_ms": bound(0.99) * 1000}


def measured(ctx: Context, target: Target, label: str = "") -> dict:
    """A wrk run with pg_stat_statements counting just it."""
    what = label or f"wrk {target.method} {target.path}"
    ctx.pg.psql("SELECT pg_stat_statements_reset()")
    before = server_histograms(ctx)
    result = ctx.watched(what, lambda: wrk(ctx.server.port, target, ctx.duration,
                                           ctx.sizes.warmup))
    result["statements"] = statements(ctx, result["requests"])
    result["server_side"] = server_side(before, server_histograms(ctx))
    seen = result["server_side"]
    if seen and result["p99_ms"] > 20 and seen["p99_at_most_ms"] * 4 <= result["p99_ms"]:
        ctx.tail_outside.append(f"{what} (wrk p99 {result['p99_ms']:.0f} ms, "
                                f"server p99 <= {seen['p99_at_most_ms']:.0f} ms)")
    return result


def measure_health(ctx: Context) -> None:
    target = Target("GET", "/healthz", ctx.files["none"], "Authorization", ctx.key)
    ctx.results["healthz"] = ctx.watched("wrk GET /healthz", lambda: wrk(
        ctx.server.port, target, ctx.duration, ctx.sizes.warmup))
    h = ctx.results["healthz"]
    say(f"H /healthz: {h['rps']:,.0f} req/s, p99 {h['p99_ms']:.2f} ms")


def measure_read(ctx: Context, endpoint: Endpoint) -> None:
    entry = {"label": endpoint.label, "path": endpoint.path, "method": endpoint.method}
    ctx.results.setdefault("endpoints", {})[endpoint.name] = entry
    entry["probe"] = probe(ctx, endpoint)
    if endpoint.optional and entry["probe"]["statuses"].get("404"):
        entry["status"] = "not built"
        say(f"{endpoint.label}: 404, not built yet")
        return
    for problem in entry["probe"]["problems"][:2]:
        ctx.note(f"{endpoint.label}: probe answered {problem}")
    entry["floor"] = floor(ctx, endpoint.floor, endpoint.floor_vars)
    entry["wrk"] = measured(ctx, target_for(ctx, endpoint), f"wrk {endpoint.label}")
    entry["status"] = "measured"
    w, d = entry["wrk"], entry["floor"]
    if w["non2xx"]:
        ctx.note(f"{endpoint.label}: {w['non2xx']} of {w['requests']} answers were not 2xx")
    say(f"{endpoint.label}: {w['rps']:,.0f} req/s, p99 {w['p99_ms']:.2f} ms, "
        f"non-2xx {w['non2xx']} (D {d['tps']:,.0f} tps)")


def measure_ingest(ctx: Context) -> None:
    """POST /events with batches of 1,000 events over 100 servers each, twice: batches
    drawing their servers at random (the headline: a sending engine reports for whichever
    servers sent), then batches on disjoint servers (what row-lock waits cost)."""
    m = ctx.meta
    servers = servers_with_addresses(
        ctx, f"o.id BETWEEN {m['org_lo']} AND {m['org_hi']} AND o.path[1] > {m['org_b']['id']}")
    results = {}
    for variant in ("shared", "disjoint"):
        bodies = write_bodies(ctx, variant, servers, ctx.sizes.ingest_bodies,
                              ctx.sizes.servers_per_body, disjoint=variant == "disjoint")
        first = bodies.read_text().split("\n", 1)[0].encode()
        status, answer = http_request(ctx.server.port, "POST", "/events",
                                      {"Authorization": f"Bearer {ctx.key}",
                                       "Content-Type": "application/json"}, first)
        if status != 200:
            text = answer[:300].decode(errors="replace")
            ctx.note(f"POST /events probe answered {status}: {text}")
        result = measured(ctx, Target("POST", "/events", bodies, "Authorization", ctx.key, "{v}"),
                          f"wrk POST /events ({variant} servers)")
        if result["non2xx"]:
            ctx.note(f"POST /events ({variant}): {result['non2xx']} answers were not 2xx")
        accepted = result["requests"] - result["non2xx"]
        result.update({"batches_per_s": accepted / result["seconds"],
                       "events_per_s": accepted * EVENTS_PER_BATCH / result["seconds"],
                       "events_per_batch": EVENTS_PER_BATCH,
                       "servers_per_batch": ctx.sizes.servers_per_body})
        results[variant] = result
        say(f"ingestion ({variant} servers): {result['batches_per_s']:,.0f} batches/s = "
            f"{result['events_per_s']:,.0f} events/s")
    ctx.results["ingest"] = results


def own_servers(ctx: Context, org: dict) -> list[tuple[str, list[str]]]:
    """The servers of one top-level organization itself (not of its subs)."""
    return servers_with_addresses(ctx, f"o.id = {org['id']}")


def send_events_to_a(ctx: Context) -> None:
    """Organization A's little history: one batch of 1,000 events, by hand."""
    servers = own_servers(ctx, ctx.meta["org_a"])
    rng = random.Random(7)
    auth = {"Authorization": f"Bearer {ctx.key}", "Content-Type": "application/json"}
    for _ in range(HISTORY_A_EVENTS // EVENTS_PER_BATCH):
        status, answer = http_request(ctx.server.port, "POST", "/events", auth,
                                      event_body(rng, servers).encode())
        if status != 200:
            raise BenchError(f"POST /events for organization A answered {status}: {answer[:300]!r}")


def send_events_to_b(ctx: Context) -> dict:
    """Organization B's much history, through the API in batches of 1,000 (16
    connections, every batch on B's two servers: the most contended ingestion)."""
    batches = ctx.sizes.history_b_events // EVENTS_PER_BATCH
    bodies = write_bodies(ctx, "org-b", own_servers(ctx, ctx.meta["org_b"]), 16, 2)
    say(f"history: sending {batches * EVENTS_PER_BATCH:,} events to organization B "
        f"({batches:,} batches) ...")
    target = Target("POST", "/events", bodies, "Authorization", ctx.key, "{v}")
    ingest = ctx.watched("POST /events for organization B", lambda: wrk_capped(
        ctx.server.port, target, batches, max_seconds=3600))
    accepted = ingest["requests"] - ingest["non2xx"]
    ingest.update({"batches_per_s": accepted / ingest["seconds"],
                   "events_per_s": accepted * EVENTS_PER_BATCH / ingest["seconds"],
                   "events": accepted * EVENTS_PER_BATCH})
    if ingest["non2xx"]:
        ctx.note(f"POST /events for organization B: {ingest['non2xx']} answers were not 2xx")
    return ingest


def sent_messages(ctx: Context, org: dict) -> int:
    return int(ctx.pg.value(
        "SELECT coalesce(sum(t.sent), 0) FROM sent_totals t "
        f"JOIN servers s ON s.id = t.server_id WHERE s.organization_id = {org['id']}"))


def counter_tables(ctx: Context) -> dict:
    """Live and dead rows of the counter tables. Every batch rewrites the same few
    counter rows of B: their dead versions (until vacuum) are part of what "much
    history" costs a report."""
    rows = ctx.pg.psql(
        "SELECT relname, n_live_tup, n_dead_tup FROM pg_stat_user_tables "
        "WHERE relname IN ('sent_totals', 'sent_seconds', 'server_queues', 'monthly_usage')")
    return {name: {"live": int(live), "dead": int(dead)} for name, live, dead in rows}


def measure_history(ctx: Context) -> None:
    """Reports of an organization with ~10^3 events against one with ~10^7 (10^5 quick):
    a report's cost must not grow with history."""
    m = ctx.meta
    send_events_to_a(ctx)
    history = {"ingest_b": send_events_to_b(ctx), "a_events": HISTORY_A_EVENTS}
    history.update({"b_events": history["ingest_b"]["events"],
                    "a_sent_messages": sent_messages(ctx, m["org_a"]),
                    "b_sent_messages": sent_messages(ctx, m["org_b"]),
                    "counter_tables": counter_tables(ctx)})
    for report in ("statistics", "ip_allocation"):
        for org in ("a", "b"):
            target = Target("GET", f"/orgs/{{v}}/{report}", ctx.files[f"org_{org}"],
                            "Authorization", ctx.key)
            history[f"{report}_{org}"] = measured(ctx, target, f"wrk {report} of org {org.upper()}")
        a, b = history[f"{report}_a"], history[f"{report}_b"]
        history[f"{report}_ratio_p50"] = b["p50_ms"] / a["p50_ms"]
        history[f"{report}_ratio_mean"] = b["mean_ms"] / a["mean_ms"]
        say(f"history {report}: p50 A {a['p50_ms']:.2f} ms, B {b['p50_ms']:.2f} ms, "
            f"B/A {history[f'{report}_ratio_p50']:.2f}")
    ctx.results["history"] = history


def measure_login(ctx: Context) -> None:
    """Org get alone, then with 2 logins/s in the background (argon2id on the same
    blocking pool and cores): hashing must not starve reads."""
    target = target_for(ctx, READS[0])
    alone = measured(ctx, target, "wrk org get, alone")
    logins = LoginLoad(ctx.server.port, per_second=2.0)
    logins.start()
    try:
        busy = measured(ctx, target, "wrk org get, with 2 logins/s")
    finally:
        logins.halt.set()
        logins.join(timeout=30)
    ctx.results["login"] = {"alone": alone, "with_logins": busy, "logins": logins.summary(),
                            "ratio": busy["rps"] / alone["rps"]}
    if ctx.results["login"]["logins"]["non2xx"]:
        ctx.note(f"POST /auth/login: answers {ctx.results['login']['logins']['statuses']}")
    say(f"org get with 2 logins/s: {busy['rps']:,.0f} vs {alone['rps']:,.0f} req/s alone "
        f"(ratio {ctx.results['login']['ratio']:.2f})")


def record_memory(ctx: Context) -> None:
    """The server's memory now and at its peak, and which run raised the peak the most
    (where to look when the peak is too high)."""
    memory = ctx.server.memory_kib()
    ctx.results["memory"].update({"end_kib": memory["VmRSS"], "peak_kib": memory["VmHWM"],
                                  "trail": ctx.memory_trail})
    previous, biggest = ctx.results["memory"]["rest_kib"], (0, "")
    for step in ctx.memory_trail:
        biggest = max(biggest, (step["VmHWM"] - previous, step["after"]))
        previous = step["VmHWM"]
    if biggest[0]:
        ctx.results["memory"]["peak_raised_most_by"] = biggest[1]


def scan_server_log(ctx: Context) -> None:
    """Warnings and errors the server wrote (it runs at level warn: anything is news)."""
    text = strip_ansi(ctx.server.log_path.read_text(errors="replace"))
    lines = [l.strip() for l in text.splitlines() if re.search(r"\b(WARN|ERROR)\b|panicked", l)]
    distinct = list(dict.fromkeys(re.sub(r"\d{4}-\d\d-\d\dT\S+\s*", "", l) for l in lines))
    ctx.results["server_log"] = {"warn_or_error_lines": len(lines), "first": distinct[:10]}
    if lines:
        ctx.note(f"server wrote {len(lines)} WARN/ERROR lines, e.g. {distinct[0][:200]}")


def benchmark(ctx: Context, stack: ExitStack) -> None:
    steps = 5 + sum(ctx.wants(e.name) for e in READS) + sum(ctx.wants(s) for s in SCENARIOS)
    step = iter(range(1, steps + 1))
    progress = lambda text: say(f"[{next(step)}/{steps}] {text}")

    progress(f"PostgreSQL 15 cluster in {ctx.pg.dir}, port {ctx.pg.port}")
    stack.callback(ctx.pg.stop)
    try:
        ctx.pg.start()
    except BenchError as e:
        raise BenchError(f"{e}\n{ctx.pg.log_tail()}") from None
    progress("migrate, bootstrap, load the data set")
    migrate_and_bootstrap(ctx)
    load_data(ctx)
    write_values(ctx)
    progress("start orgplane serve")
    start_server(ctx, stack)
    progress("floor H: wrk on /healthz")
    measure_health(ctx)
    for endpoint in READS:
        if ctx.wants(endpoint.name):
            progress(f"{endpoint.label}: pgbench floor D, then wrk")
            measure_read(ctx, endpoint)
    for name, measure in (("ingest", measure_ingest), ("history", measure_history),
                          ("login", measure_login)):
        if ctx.wants(name):
            progress(name)
            measure(ctx)
    progress("memory, server log")
    record_memory(ctx)
    scan_server_log(ctx)
    if ctx.tail_outside:
        ctx.note("p99 far above what the server's own /metrics histogram saw (the wait is "
                 "before or after the handler: worker queue, socket, scheduling) in: "
                 + "; ".join(ctx.tail_outside))


# --------------------------------------------------------------------------------------
# Targets and the report


@dataclass
class Row:
    label: str
    rps: float | None = None
    p50: float | None = None
    p99: float | None = None
    non2xx: int | None = None
    d: float | None = None
    c: float | None = None
    vs_h: float | None = None
    vs_d: float | None = None
    vs_c: float | None = None
    target: str = ""
    met: bool | None = None


def read_row(endpoint_label: str, w: dict, d: dict, h: dict, share: float,
             p99_max: float | None = None) -> Row:
    """An endpoint against its floors: req/s >= share*C, p99 <= 2*(H p99 + D p99),
    no non-2xx answers, and an absolute p99 bound where there is one."""
    c = 1 / (1 / h["rps"] + 1 / d["tps"])
    p99_bound = 2 * (h["p99_ms"] + d["p99_ms"])
    if p99_max is not None:
        p99_bound = min(p99_bound, p99_max)
    bad = w["non2xx"] + w["socket_errors"]
    target = f">={share:.2f}*C, p99<={p99_bound:.1f}ms"
    return Row(endpoint_label, w["rps"], w["p50_ms"], w["p99_ms"], w["non2xx"], d["tps"], c,
               w["rps"] / h["rps"], w["rps"] / d["tps"], w["rps"] / c, target,
               w["rps"] >= share * c and w["p99_ms"] <= p99_bound and bad == 0)


def plain_row(label: str, w: dict, target: str = "", met: bool | None = None) -> Row:
    """A row without floors (ingestion, history, logins): ratios to H/D/C would mean
    nothing there."""
    return Row(label, w["rps"], w["p50_ms"], w["p99_ms"], w["non2xx"], target=target, met=met)


def build_rows(ctx: Context) -> list[Row]:
    r = ctx.results
    h = r["healthz"]
    rows = [plain_row("healthz (H)", h, "floor")]
    for endpoint in READS:
        entry = r.get("endpoints", {}).get(endpoint.name)
        if not entry:
            continue
        if entry["status"] == "not built":
            rows.append(Row(f"{endpoint.label}: not built (404)", target="-"))
            continue
        label = endpoint.label
        if endpoint.name == "search":
            label += f" ({r['dataset']['search_children']:,} children)"
        row = read_row(label, entry["wrk"], entry["floor"], h, endpoint.share,
                       endpoint.p99_max_ms)
        if entry["probe"]["problems"]:
            row.met, row.target = False, row.target + " (probe failed)"
        rows.append(row)
    if "ingest" in r:
        i = r["ingest"]["shared"]
        rows.append(plain_row("ingest POST /events (batches)", i,
                              f">=200000 ev/s: {i['events_per_s']:,.0f}",
                              i["events_per_s"] >= 200_000 and i["non2xx"] == 0))
        d = r["ingest"]["disjoint"]
        rows.append(plain_row("ingest, disjoint servers", d,
                              f"info: {d['events_per_s']:,.0f} ev/s", None))
    if "history" in r:
        hist = r["history"]
        b = hist["ingest_b"]
        rows.append(plain_row("ingest, org B only", b, f"info: {b['events_per_s']:,.0f} ev/s"))
        for report in ("statistics", "ip_allocation"):
            ratio = hist[f"{report}_ratio_p50"]
            rows.append(plain_row(f"{report} A (1e3 events)", hist[f"{report}_a"], "", None))
            rows.append(plain_row(f"{report} B ({hist['b_events']:.0e} events)", hist[f"{report}_b"],
                                  f"p50 B/A<=1.2: {ratio:.2f}", ratio <= 1.2))
    if "login" in r:
        login = r["login"]
        rows.append(plain_row("org get, alone", login["alone"], "", None))
        rows.append(plain_row("org get + 2 logins/s", login["with_logins"],
                              f"ratio>=0.9: {login['ratio']:.3f}", login["ratio"] >= 0.9))
    memory = r["memory"]
    rest, peak = memory["rest_kib"] / 1024, memory["peak_kib"] / 1024
    rows.append(Row("RSS at rest", target=f"<=64 MiB: {rest:.1f}", met=rest <= 64))
    rows.append(Row("RSS peak (VmHWM)", target=f"<=256 MiB: {peak:.1f}", met=peak <= 256))
    if peak > 256 and memory.get("peak_raised_most_by"):
        ctx.note(f"the peak RSS grew most during: {memory['peak_raised_most_by']}")
    return rows


def render_table(rows: list[Row]) -> str:
    fmt = lambda v, spec: "-" if v is None else format(v, spec)
    header = ["endpoint", "req/s", "p50 ms", "p99 ms", "non-2xx", "D req/s", "C req/s",
              "ratio to H", "ratio to D", "ratio to C", "target", "met?"]
    cells = [header] + [[
        row.label, fmt(row.rps, ",.0f"), fmt(row.p50, ".2f"), fmt(row.p99, ".2f"),
        fmt(row.non2xx, "d"), fmt(row.d, ",.0f"), fmt(row.c, ",.0f"), fmt(row.vs_h, ".2f"),
        fmt(row.vs_d, ".2f"), fmt(row.vs_c, ".2f"), row.target,
        "-" if row.met is None else ("yes" if row.met else "NO")] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = []
    for n, line in enumerate(cells):
        lines.append(" | ".join(c.ljust(w) if i in (0, 10) else c.rjust(w)
                                for i, (c, w) in enumerate(zip(line, widths))))
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def environment(ctx: Context) -> dict:
    git = lambda *a: subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True,
                                    text=True).stdout.strip()
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "cpus": os.cpu_count(),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "binary_mtime": datetime.fromtimestamp(BINARY.stat().st_mtime, timezone.utc).isoformat(),
        "postgres": ctx.pg.value("SELECT version()"),
        "wrk": (wrk_version.stdout or wrk_version.stderr).split("\n")[0].strip(),
    }


def write_results(ctx: Context, rows: list[Row], started: datetime) -> Path:
    RESULTS.mkdir(exist_ok=True)
    document = {
        "started_at": started.isoformat(),
        "mode": "quick" if ctx.args.quick else "full",
        "settings": {"duration_s": ctx.duration, "pool": ctx.args.pool,
                     "workers": ctx.args.workers, "connections": CONNECTIONS,
                     "threads": THREADS, "only": sorted(ctx.args.selected)},
        "environment": environment(ctx),
        "data_set": ctx.meta,
        **ctx.results,
        "floors": [v for v in ctx.floors.values()],
        "table": [row.__dict__ for row in rows],
        "all_met": all(row.met is not False for row in rows),
        "notes": ctx.notes,
    }
    path = RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    text = json.dumps(document, indent=2, default=str) + "\n"
    path.write_text(text)
    latest = RESULTS / "latest.json.tmp"
    latest.write_text(text)
    os.replace(latest, RESULTS / "latest.json")  # readers never see half a file
    return path


def stopped_by_signal(signum: int, frame) -> None:
    say(f"stopped by signal {signum}; stopping the server and the cluster")
    sys.exit(128 + signum)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if not BINARY.exists():
        raise BenchError(f"{BINARY} is missing: run scripts/bench.sh without BENCH_SKIP_BUILD=1")
    if not shutil.which("wrk"):
        raise BenchError("wrk is not installed: apt-get install -y wrk (scripts/bench.sh does it)")
    # Every way of being stopped unwinds through the cleanup below. SIGINT explicitly: a
    # process started in the background by a script inherits it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stopped_by_signal)
    started = datetime.now(timezone.utc)
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="orgplane-bench-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        os.chmod(workdir, 0o711)  # the postgres user must reach its data directory inside
        ctx = Context(args, sizes, workdir, Postgres(workdir), args.duration or sizes.duration)
        say(f"{'quick' if args.quick else 'full'} mode, {ctx.duration} s per run; "
            f"working in {workdir}")
        try:
            benchmark(ctx, stack)
        finally:
            # A second Ctrl-C must not cut the cleanup (server, cluster, directory) short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        rows = build_rows(ctx)
        path = write_results(ctx, rows, started)
    print()
    print(render_table(rows))
    for note in ctx.notes:
        print(f"note: {note}")
    print(f"\nresults: {path.relative_to(ROOT)} (and bench-results/latest.json)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        say(f"error: {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        say("interrupted; everything started was stopped and removed")
        sys.exit(130)
