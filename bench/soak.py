"""Soak: every demo principal at once through two replicas, every answer judged (issue 13).

One embedded database (SecantusDB) with the demo world; two replicas (`imoox-gateway serve`
processes on it, rate limits raised out of the way); `--concurrency` clients send read-only
requests drawn (seeded) from the oracle's documents (`tests/oracle/documents.py`: queries of
every shape for anonymous, alice, bob, dora, flowershop, police and every other demo
principal, one operation or a batch, filter or reject mode) to either replica for `--seconds`.
Every answer is judged by the oracle (`tests/oracle/oracle.py`, whose decisions come from the
hand-written `tests/authz/expectations.py`, never from `authz/`); at the end every principal's
disclosure records are checked against what its answers returned.

Prints answers, leaks (a value the oracle says must not be there, or a denial missing: must be
0), record problems (a returned non-public value without its record, or a record without its
value: must be 0), errors by code, p50/p99 latency. Exits 1 on any leak or record problem.

    .venv/bin/python bench/soak.py [--seconds 30] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pymongo import AsyncMongoClient

from bench.e2e import UNLIMITED_RATE, free_port
from gateway.app import token_keys
from gateway.embedded import EmbeddedServer
from gateway.settings import Settings
from resolvers.collections import ensure_schema
from resolvers.demo_world import DEMO_PRINCIPALS, seed_demo_world
from tests import disclosure_records
from tests.oracle.documents import PRINCIPALS, Request, requests
from tests.oracle.harness import by_id, fingerprint, judge_answers
from tests.oracle.oracle import Verdict, World, check_records

DATABASE = "imoox"
START_TIMEOUT_SECONDS = 90.0


def progress(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def read_only_requests(examples: int) -> list[Request]:
    """The oracle's requests of every demo principal, drawn the same way every run; those
    that write are left out (each answer is judged against the one seeded world)."""
    drawn: list[Request] = []

    @settings(
        max_examples=examples,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def draw(data: st.DataObject) -> None:
        for principal in PRINCIPALS:
            request = data.draw(requests(principal, batch=data.draw(st.booleans())))
            if not request.has_mutation:
                drawn.append(request)

    draw()
    return drawn


@dataclass
class Tally:
    answers: int = 0
    leaks: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    verdicts: dict[str | None, list[Verdict]] = field(default_factory=dict)
    per_replica: Counter[int] = field(default_factory=Counter)


@asynccontextmanager
async def replica(uri: str, data_dir: Path, name: str) -> AsyncIterator[httpx.AsyncClient]:
    """`imoox-gateway serve` over the soak's database, its log under the data dir."""
    port = free_port()
    env = {
        **os.environ,
        "MONGODB_URI": uri,
        "IMOOX_DATABASE": DATABASE,
        "IMOOX_DATA_DIR": str(data_dir),
        "IMOOX_RATE_PER_PRINCIPAL_PER_MINUTE": UNLIMITED_RATE,
        "IMOOX_RATE_PER_ADDRESS_PER_MINUTE": UNLIMITED_RATE,
    }
    command = [str(Path(sys.executable).with_name("imoox-gateway")), "serve", "--port", str(port)]
    with (data_dir / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: ASYNC220 (started once, returns at once)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"replica {name} exited: see {data_dir / name}.log")
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"replica {name} did not start")
                await asyncio.sleep(0.2)
            progress(f"replica {name} ready on port {port} (pid {process.pid})")
            yield http
    finally:
        process.terminate()
        process.wait(timeout=30)


async def drive(
    number: int,
    replicas: list[httpx.AsyncClient],
    pool: list[Request],
    tokens: dict[str, str],
    world: World,
    until: float,
    tally: Tally,
) -> None:
    """One client: random requests of the pool, to the replicas in turn, until `until`."""
    rng = random.Random(number)
    sent = 0
    while time.monotonic() < until:
        request = rng.choice(pool)
        which = (number + sent) % len(replicas)
        sent += 1
        headers = {"X-Authz-Mode": "reject"} if request.reject else {}
        if request.principal is not None:
            headers["Authorization"] = f"Bearer {tokens[request.principal]}"
        bodies = [{"query": op.render()} for op in request.operations]
        started = time.perf_counter()
        response = await replicas[which].post(
            "/graphql", json=bodies if request.batch else bodies[0], headers=headers
        )
        tally.latencies.append(time.perf_counter() - started)
        tally.per_replica[which] += 1
        if response.status_code != 200:
            tally.errors[f"HTTP {response.status_code}"] += 1
            continue
        answers = response.json() if request.batch else [response.json()]
        tally.answers += len(answers)
        for answer in answers:
            tally.errors.update(e["extensions"]["code"] for e in answer.get("errors", []))
        verdicts, problems = judge_answers(request, answers, world, reject=request.reject)
        tally.verdicts.setdefault(request.principal, []).extend(verdicts)
        tally.leaks += [f"{request.principal}: {problem}" for problem in problems]


async def soak(uri: str, data_dir: Path, options: argparse.Namespace) -> int:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    db = client[DATABASE]
    await ensure_schema(db)
    await seed_demo_world(db)
    pool = read_only_requests(options.examples)
    progress(f"{len(pool)} read-only requests drawn for {len(PRINCIPALS)} principals")
    _, issuer = token_keys(Settings(mongodb_uri=uri, database=DATABASE, data_dir=data_dir))
    assert issuer is not None
    tokens = {handle: issuer.issue(claims, 3600) for handle, claims in DEMO_PRINCIPALS.items()}
    baseline = by_id(await fingerprint(db))
    world = World(baseline, baseline)
    tally = Tally()
    async with AsyncExitStack() as stack:
        replicas = [
            await stack.enter_async_context(replica(uri, data_dir, name)) for name in ("a", "b")
        ]
        await db.disclosures.delete_many({})
        progress(f"{options.concurrency} clients for {options.seconds:g} s")
        until = time.monotonic() + options.seconds
        await asyncio.gather(
            *(
                drive(n, replicas, pool, tokens, world, until, tally)
                for n in range(options.concurrency)
            )
        )
    records = await disclosure_records.records(db)
    record_problems = []
    for principal, verdicts in tally.verdicts.items():
        sub = DEMO_PRINCIPALS[principal]["sub"] if principal else None
        mine = [record for record in records if record["principal_id"] == sub]
        record_problems += check_records(principal, verdicts, mine, world)
    await client.close()
    report(tally, len(records), record_problems, options)
    return 1 if tally.leaks or record_problems else 0


def report(
    tally: Tally, records: int, record_problems: list[str], options: argparse.Namespace
) -> None:
    latencies = sorted(tally.latencies)

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    for problem in (tally.leaks + record_problems)[:20]:
        print(f"PROBLEM {problem}")
    requests_sent = len(latencies)
    print(
        f"soak: {options.seconds:g} s, {options.concurrency} clients, 2 replicas "
        f"({tally.per_replica[0]} / {tally.per_replica[1]} requests)"
    )
    print(f"requests: {requests_sent} ({requests_sent / options.seconds:.1f}/s)")
    print(f"answers (operations judged): {tally.answers}")
    print(f"leaks: {len(tally.leaks)}")
    print(f"disclosure records: {records}; record problems: {len(record_problems)}")
    print("errors by code: " + (", ".join(f"{c} {n}" for c, n in tally.errors.most_common())))
    print(f"latency p50 {percentile(0.50):.0f} ms, p99 {percentile(0.99):.0f} ms")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--examples", type=int, default=40, help="oracle draws per principal")
    return parser.parse_args(argv)


def main() -> int:
    options = parse_arguments()
    with tempfile.TemporaryDirectory(prefix="imoox-soak-") as tmp:
        data_dir = Path(tmp)
        with EmbeddedServer(data_dir / "database") as uri:
            progress("database started")
            return asyncio.run(soak(uri, data_dir, options))


if __name__ == "__main__":
    sys.exit(main())
