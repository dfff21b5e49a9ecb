"""End to end: the gateway against a no-authorization floor, same data, same load, one run.

A caller waits for the whole request (HTTP, authentication, parsing, validation, extensions,
database, disclosure records), so this measures what the in-process `authz_overhead.py` cannot
(issue 11). One embedded database (SecantusDB) holds the demo world plus 110 extra members with
a post each; the gateway (`imoox-gateway serve`, rate limits raised out of the way) and the
floor (`bench/floor_app.py`: plain Strawberry + PyMongo, no authorization) both serve it, each
in its own process, neither writing an access line (`IMOOX_ACCESS_LOG=false`; uvicorn's
`access_log=False` for the floor): a line a request is logging, not authorization, and costs
each app differently (README, "Speed"). Every query of `bench/workload.py` is first checked to
answer the same data without errors on both; then `wrk` drives each app in turn with the same
connections for the same time, after a warm-up, in `--rounds` rounds that alternate which app
goes first (gateway, floor; floor, gateway; ...). This machine's speed drifts by a tenth or
more within a minute (a shared VM), so one app measured after the other compares two moments as
much as two apps: each round's ratio compares apps measured seconds apart, and the median of
the rounds' ratios is the figure.

Per query and app, over all rounds: requests per second, p50 and p99 latency (medians of the
rounds'); the ratio gateway / floor of requests per second (the median of the rounds', each
round's shown too); database operations per request (the server's `serverStatus`
opcounters); and CPU time per request of the app's process (and its children) and of the
database process, from /proc. The counters are read while nothing else uses the database: the
apps are measured one at a time, from idle to idle (see `measure`).

wrk runs on the same machine and takes some of its CPU, alike for both apps; latencies include
queueing behind the other connections (closed loop, `--connections` requests in flight).

    .venv/bin/python bench/e2e.py [--seconds 6] [--rounds 3] [--connections 16] [--queries feed,me]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from pymongo import AsyncMongoClient, MongoClient

from bench import load, wiredtiger_stats
from bench.procstat import cpu_seconds
from bench.workload import (
    FLOOR_PRINCIPAL_HEADER,
    QUERIES,
    QUERY_NAMES,
    BenchQuery,
    seed_bench_world,
)
from gateway import child
from gateway.app import token_keys
from gateway.embedded import EmbeddedServer
from gateway.settings import Settings
from resolvers.demo_world import DEMO_PRINCIPALS

DATABASE = "imoox"
#: Far above any rate wrk reaches: the benchmark measures serving, not the rate limiter.
UNLIMITED_RATE = str(10**9)
START_TIMEOUT_SECONDS = 60.0
#: Idle: the app and the database together used at most IDLE_CPU_SECONDS in an interval.
SETTLE_INTERVAL_SECONDS = 0.3
IDLE_CPU_SECONDS = 0.02
SETTLE_TIMEOUT_SECONDS = 60.0
#: serverStatus opcounters, and the letters they are shown with.
OPCOUNTERS = {"query": "q", "getmore": "g", "insert": "i", "update": "u", "delete": "d"}
OPCOUNTERS_WITH_COMMAND = {**OPCOUNTERS, "command": "c"}


class BenchError(RuntimeError):
    """The benchmark cannot give meaningful figures; the message says why."""


@dataclass(frozen=True, slots=True)
class App:
    """One server under test, running as a child process."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    #: Headers that tell this app who calls, per query.
    headers_for: Callable[[BenchQuery], dict[str, str]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the machine has done so far: database operations, app CPU, database CPU."""

    operations: dict[str, int]
    app_cpu: float
    db_cpu: float
    #: `wiredtiger_stats.STALL_COUNTERS`, with `--wiredtiger-stats` (else empty).
    storage: dict[str, int]


@dataclass(frozen=True, slots=True)
class Measurement:
    load: load.LoadResult
    operations_per_request: dict[str, float]
    cpu_ms_per_request: float
    db_cpu_ms_per_request: float
    #: Requests the figures per request are divided by (see `measure`).
    served: int

    @property
    def operations_total(self) -> float:
        return sum(self.operations_per_request.values())


def combined(rounds: list[Measurement]) -> Measurement:
    """Several rounds as one: their rate over all their time, the median of their latencies,
    and their counts per request over all their requests."""
    served = sum(m.served for m in rounds)

    def per_request(figure: Callable[[Measurement], float]) -> float:
        return sum(figure(m) * m.served for m in rounds) / served

    loads = [m.load for m in rounds]
    return Measurement(
        load=load.LoadResult(
            requests=sum(r.requests for r in loads),
            seconds=sum(r.seconds for r in loads),
            p50_ms=statistics.median(r.p50_ms for r in loads),
            p99_ms=statistics.median(r.p99_ms for r in loads),
            socket_errors=sum(r.socket_errors for r in loads),
            bad_status=sum(r.bad_status for r in loads),
        ),
        operations_per_request={
            name: sum(m.operations_per_request[name] * m.served for m in rounds) / served
            for name in rounds[0].operations_per_request
        },
        cpu_ms_per_request=per_request(lambda m: m.cpu_ms_per_request),
        db_cpu_ms_per_request=per_request(lambda m: m.db_cpu_ms_per_request),
        served=served,
    )


@dataclass(frozen=True, slots=True)
class Row:
    query: BenchQuery
    gateway: Measurement
    floor: Measurement
    #: Gateway / floor requests per second, per round.
    ratios: tuple[float, ...]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


@dataclass(frozen=True, slots=True)
class Database:
    uri: str
    pid: int
    client: MongoClient[dict[str, Any]]
    #: Commands each `serverStatus` read adds to the counters itself.
    own_commands: int
    #: Where WiredTiger logs its counters (`--wiredtiger-stats`), else None.
    storage_log: Path | None

    def snapshot(self, app: App) -> Snapshot:
        counters = self.client.admin.command("serverStatus")["opcounters"]
        return Snapshot(
            operations={name: int(counters.get(name, 0)) for name in OPCOUNTERS_WITH_COMMAND},
            app_cpu=cpu_seconds(app.process.pid),
            db_cpu=cpu_seconds(self.pid),
            storage=wiredtiger_stats.counters(self.storage_log) if self.storage_log else {},
        )


def progress(message: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def database(data_dir: Path, *, storage_stats: bool = False) -> Iterator[Database]:
    """The embedded server, seeded with the benchmark's world; with `storage_stats`, logging
    WiredTiger's counters."""
    storage_log = data_dir / "wiredtiger-stats" if storage_stats else None
    environment = wiredtiger_stats.environment(storage_log) if storage_log else None
    server = EmbeddedServer(data_dir, environment=environment)
    with server as uri:
        assert server.pid is not None
        progress(f"database started (pid {server.pid}); seeding the demo world and extras")
        asyncio.run(_seed(uri))
        client: MongoClient[dict[str, Any]] = MongoClient(uri)
        try:
            first = client.admin.command("serverStatus")["opcounters"]["command"]
            second = client.admin.command("serverStatus")["opcounters"]["command"]
            yield Database(uri, server.pid, client, second - first, storage_log)
        finally:
            client.close()


async def _seed(uri: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        await seed_bench_world(client[DATABASE])
    finally:
        await client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_gateway(db: Database, data_dir: Path, serve_args: list[str]) -> App:
    """`imoox-gateway serve` on the benchmark's database, tokens signed by its development key."""
    settings = Settings(mongodb_uri=db.uri, database=DATABASE, data_dir=data_dir)
    _, issuer = token_keys(settings)  # creates the development key pair the gateway will load
    assert issuer is not None
    tokens = {
        handle: issuer.issue(claims, ttl_seconds=24 * 3600)
        for handle, claims in DEMO_PRINCIPALS.items()
    }

    def headers_for(query: BenchQuery) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[query.handle]}"} if query.handle else {}

    port = free_port()
    env = {
        **os.environ,
        "MONGODB_URI": db.uri,
        "IMOOX_DATABASE": DATABASE,
        "IMOOX_RATE_PER_PRINCIPAL_PER_MINUTE": UNLIMITED_RATE,
        "IMOOX_RATE_PER_ADDRESS_PER_MINUTE": UNLIMITED_RATE,
        "IMOOX_ACCESS_LOG": "false",  # as the floor: no access line (the module's docstring)
    }
    command = [
        str(Path(sys.executable).with_name("imoox-gateway")),
        "serve",
        *("--data-dir", str(data_dir), "--port", str(port)),
        *serve_args,
    ]
    return _spawn("gateway", command, env, port, data_dir / "gateway.log", headers_for)


def start_floor(db: Database, data_dir: Path) -> App:
    """The no-authz floor (`bench/floor_app.py`) on the same database."""

    def headers_for(query: BenchQuery) -> dict[str, str]:
        principal = query.principal_id
        return {FLOOR_PRINCIPAL_HEADER: principal} if principal else {}

    port = free_port()
    command = [
        sys.executable,
        str(Path(__file__).with_name("floor_app.py")),
        *("--uri", db.uri, "--database", DATABASE, "--port", str(port)),
    ]
    return _spawn("floor", command, dict(os.environ), port, data_dir / "floor.log", headers_for)


def _spawn(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    log_path: Path,
    headers_for: Callable[[BenchQuery], dict[str, str]],
) -> App:
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            child.command(os.getpid(), command),  # ends with the benchmark, even a killed one
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
    app = App(name, process, f"http://127.0.0.1:{port}/graphql", log_path, headers_for)
    progress(f"{name} starting (pid {process.pid}) on port {port}")
    return app


def stop(app: App) -> None:
    """SIGTERM, then SIGKILL if it will not stop: no process outlives the benchmark."""
    if app.process.poll() is None:
        app.process.terminate()
        try:
            app.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            app.process.kill()
            app.process.wait()
    progress(f"{app.name} stopped (exit {app.process.returncode})")


@contextmanager
def running(app: App) -> Iterator[App]:
    try:
        wait_until_answering(app)
        yield app
    finally:
        stop(app)


def wait_until_answering(app: App) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise BenchError(f"{app.name} exited during start-up:\n{_tail(app.log_path)}")
        try:
            if httpx.post(app.url, json={"query": "{ __typename }"}).status_code == 200:
                progress(f"{app.name} answering")
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{app.name} did not answer within {START_TIMEOUT_SECONDS:.0f} s")


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def answer(app: App, query: BenchQuery) -> Any:
    """The query's `data` from `app`, which must answer it fully, without errors."""
    response = httpx.post(
        app.url, json={"query": query.document}, headers=app.headers_for(query), timeout=30
    )
    body = response.json() if response.status_code == 200 else None
    if body is None or body.get("errors") or body.get("data") is None:
        raise BenchError(f"{app.name} answers {query.name} with {response.status_code}: {body}")
    if query.row_count(body["data"]) != query.rows:
        raise BenchError(f"{app.name} answers {query.name} with a wrong number of rows: {body}")
    return body["data"]


def check_answers(gateway: App, floor: App, queries: tuple[BenchQuery, ...]) -> None:
    """Both apps answer every query with the same data: else the figures compare nothing."""
    for query in queries:
        ours, theirs = answer(gateway, query), answer(floor, query)
        if ours != theirs:
            raise BenchError(
                f"{query.name}: the floor answers other data than the gateway:\n"
                f"gateway: {json.dumps(ours)}\nfloor:   {json.dumps(theirs)}"
            )
    progress(f"both apps answer {', '.join(q.name for q in queries)} alike, without errors")


def measure(
    db: Database, app: App, query: BenchQuery, scripts: Path, options: argparse.Namespace
) -> Measurement:
    """Warm up, then one measured wrk run, with the counters read on either side of it.

    The counters are read when the app is idle again, so they hold the work of every request
    started in the run: those wrk completed, and the one still in flight on each connection
    when wrk stopped (the app finishes it). Each figure is divided by that number.
    """
    script = load_script(app, query, scripts)
    settle(db, app)
    before = db.snapshot(app)
    result = load.run(
        app.url, script, load.Load(options.threads, options.connections, options.seconds)
    )
    settle(db, app)
    after = db.snapshot(app)
    answer(app, query)  # still answering correctly after the load
    served = result.requests + options.connections
    operations = {name: after.operations[name] - count for name, count in before.operations.items()}
    operations["command"] -= db.own_commands
    measurement = Measurement(
        load=result,
        operations_per_request={name: count / served for name, count in operations.items()},
        cpu_ms_per_request=(after.app_cpu - before.app_cpu) * 1000 / served,
        db_cpu_ms_per_request=(after.db_cpu - before.db_cpu) * 1000 / served,
        served=served,
    )
    progress(
        f"{query.name:<11} {app.name:<7} {result.per_second:8.1f} req/s  p50 {result.p50_ms:.1f} ms"
        f"  p99 {result.p99_ms:.1f} ms  {measurement.operations_total:.2f} DB ops/req"
        + (f"  {result.failed} FAILED" if result.failed else "")
        + wiredtiger_stats.change(before.storage, after.storage)
    )
    return measurement


def load_script(app: App, query: BenchQuery, scripts: Path) -> Path:
    body = json.dumps({"query": query.document})
    return load.write_script(scripts / f"{app.name}-{query.name}.lua", body, app.headers_for(query))


def warm_up(app: App, query: BenchQuery, scripts: Path, options: argparse.Namespace) -> None:
    if options.warmup > 0:
        script = load_script(app, query, scripts)
        load.run(app.url, script, load.Load(options.threads, options.connections, options.warmup))


def compare(
    db: Database,
    apps: tuple[App, App],
    query: BenchQuery,
    scripts: Path,
    options: argparse.Namespace,
) -> Row:
    """`query` on the gateway and the floor, in rounds alternating which goes first."""
    gateway, floor = apps
    for app in apps:
        warm_up(app, query, scripts, options)
    rounds: dict[str, list[Measurement]] = {gateway.name: [], floor.name: []}
    for number in range(options.rounds):
        for app in apps if number % 2 == 0 else apps[::-1]:
            rounds[app.name].append(measure(db, app, query, scripts, options))
    ours, theirs = rounds[gateway.name], rounds[floor.name]
    ratios = tuple(
        g.load.per_second / f.load.per_second if f.load.per_second else 0.0
        for g, f in zip(ours, theirs, strict=True)
    )
    progress(f"{query.name:<11} gateway / floor per round: {format_ratios(ratios)}")
    return Row(query, gateway=combined(ours), floor=combined(theirs), ratios=ratios)


def format_ratios(ratios: tuple[float, ...]) -> str:
    return " ".join(f"{ratio:.2f}" for ratio in ratios)


def settle(db: Database, app: App) -> None:
    """Wait until the app and the database stop using CPU: no request of a run is left."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    busy = cpu_seconds(app.process.pid) + cpu_seconds(db.pid)
    while time.monotonic() < deadline:
        time.sleep(SETTLE_INTERVAL_SECONDS)
        now = cpu_seconds(app.process.pid) + cpu_seconds(db.pid)
        if now - busy <= IDLE_CPU_SECONDS:
            return
        busy = now
    progress(f"{app.name} still busy after {SETTLE_TIMEOUT_SECONDS:.0f} s; measuring anyway")


def format_operations(per_request: dict[str, float]) -> str:
    parts = [
        f"{per_request[name]:.1f}{letter}"
        for name, letter in OPCOUNTERS_WITH_COMMAND.items()
        if round(per_request[name], 1)
    ]
    return f"{' + '.join(parts) or '0'} = {sum(per_request.values()):.1f}"


def table(rows: list[Row], options: argparse.Namespace) -> str:
    header = (
        "| query | gateway req/s | p50 ms | p99 ms | floor req/s | p50 ms | p99 ms | ratio "
        "| rounds | gateway DB ops/req | floor DB ops/req | gateway CPU ms/req "
        "| floor CPU ms/req | DB CPU ms/req gateway / floor |"
    )
    lines = [header, "|" + "---|" * header.count(" |")]
    for row in rows:
        gw, fl = row.gateway, row.floor
        lines.append(
            f"| {row.query.name} | {gw.load.per_second:.1f} | {gw.load.p50_ms:.1f}"
            f" | {gw.load.p99_ms:.1f} | {fl.load.per_second:.1f} | {fl.load.p50_ms:.1f}"
            f" | {fl.load.p99_ms:.1f} | {row.ratio:.2f}x | {format_ratios(row.ratios)}"
            f" | {format_operations(gw.operations_per_request)}"
            f" | {format_operations(fl.operations_per_request)}"
            f" | {gw.cpu_ms_per_request:.2f} | {fl.cpu_ms_per_request:.2f}"
            f" | {gw.db_cpu_ms_per_request:.2f} / {fl.db_cpu_ms_per_request:.2f} |"
        )
    legend = (
        f"wrk -t{options.threads} -c{options.connections} -d{options.seconds:g}s per app, query"
        f" and round ({options.rounds} rounds, alternating which app goes first; the ratio is"
        f" the median of the rounds') after a {options.warmup} s warm-up; {os.cpu_count()} CPUs."
        " Per request:"
        " counted from idle to idle, divided by the requests wrk completed plus the one in"
        " flight on each connection when it stopped. DB ops from serverStatus opcounters:"
        " q query (find), g getMore, i insert, u update, d delete, c command (aggregate,"
        " count, …). CPU from /proc: the app's process tree, the database's process. Neither"
        " app writes an access line."
    )
    queries = [
        f"- {r.query.name} ({r.query.handle or 'anonymous'}): `{r.query.document}`" for r in rows
    ]
    return "\n".join([*lines, "", legend, "", *queries])


def benchmark(options: argparse.Namespace) -> list[Row]:
    load.wrk_path()
    queries = tuple(q for q in QUERIES if q.name in options.queries)
    with tempfile.TemporaryDirectory(prefix="imoox-e2e-") as temp, ExitStack() as stack:
        data_dir = Path(temp)
        db = stack.enter_context(
            database(data_dir / "database", storage_stats=options.wiredtiger_stats)
        )
        gateway = stack.enter_context(running(start_gateway(db, data_dir, options.serve_arg)))
        floor = stack.enter_context(running(start_floor(db, data_dir)))
        check_answers(gateway, floor, queries)
        return [compare(db, (gateway, floor), query, data_dir, options) for query in queries]


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--seconds", type=int, default=6, help="measured run per app, query and round"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="measured runs per app and query, alternating"
    )
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured run before each")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t")
    parser.add_argument(
        "--queries",
        type=lambda text: [name.strip() for name in text.split(",")],
        default=",".join(QUERY_NAMES),
        help="which to run, comma-separated (bench/workload.py)",
    )
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="extra argument for `imoox-gateway serve` (repeat it), e.g. --serve-arg=--workers",
    )
    parser.add_argument(
        "--wiredtiger-stats",
        action="store_true",
        help="log the embedded database's WiredTiger counters and print its forced evictions "
        "per run (how its stalls look from inside; bench/wiredtiger_stats.py)",
    )
    options = parser.parse_args(argv)
    if options.rounds < 1 or options.seconds < 1:
        parser.error("--rounds and --seconds must be at least 1")
    if unknown := set(options.queries) - set(QUERY_NAMES):
        parser.error(f"unknown queries {sorted(unknown)}; choose from {', '.join(QUERY_NAMES)}")
    return options


def main() -> int:
    options = parse_arguments()
    try:
        rows = benchmark(options)
    except (BenchError, load.LoadError) as error:
        print(f"e2e: {error}", file=sys.stderr)
        return 1
    print(table(rows, options))
    failed = [
        f"{row.query.name}/{name}: {m.load.failed}"
        for row in rows
        for name, m in (("gateway", row.gateway), ("floor", row.floor))
        if m.load.failed
    ]
    if failed:
        print(
            f"e2e: failed requests (non-2xx or socket errors): {', '.join(failed)}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
