"""Content lists on a crowded database: the demo world plus N public items (issue 12).

Loads the demo world and `--items` PUBLIC items (spread over two years) into one embedded
SecantusDB, then times each query (median of `--runs`, in process over HTTP semantics) with the
gateway code of every `--code` directory, taking turns, so code versions are compared in the
same run against the same data (e.g. a checkout of main and this worktree):

    .venv/bin/python bench/content_lists.py --items 40000 --code /tmp/main --code .

Not a test: it prints figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = {
    "anonymous publicFeed(first: 20)": (
        None,
        "{ publicFeed(first: 20) { edges { node { id title } } } }",
    ),
    "alice me { content { id title } }": ("alice", "{ me { id content { id title } } }"),
    "bob account(alice) { content }": (
        "bob",
        '{ account(id: "acct-alice") { content { id title } } }',
    ),
}

#: Run in each code directory: time every query against the database named in argv.
MEASURE = """
import asyncio, json, statistics, sys, time
from pathlib import Path
from gateway.settings import Settings
from tests.client import running

async def main(uri, database, runs, queries):
    settings = Settings(mongodb_uri=uri, database=database, data_dir=Path(sys.argv[5]))
    medians = {}
    async with running(settings) as gateway:
        for name, (as_, query) in queries.items():
            times, errors = [], []
            for _ in range(runs):
                start = time.perf_counter()
                response = await gateway.post(query, as_=as_)
                times.append(time.perf_counter() - start)
                errors += [e["extensions"]["code"] for e in response.json().get("errors", [])]
            medians[name] = [statistics.median(times) * 1000, sorted(set(errors))]
    print(json.dumps(medians))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])))
"""


async def load(uri: str, database: str, items: int) -> None:
    from resolvers.collections import ensure_schema
    from resolvers.demo_world import seed_demo_world

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    db = client[database]
    await ensure_schema(db)
    await seed_demo_world(db)
    rng = random.Random(12)
    now = datetime.now(UTC)
    two_years = 2 * 365 * 86_400
    started = time.perf_counter()
    for start in range(0, items, 1000):
        batch: list[dict[str, Any]] = [
            {
                "_id": f"bench-{n:07d}",
                "owner": f"acct-learner{rng.randint(1, 40)}",
                "kind": "POST",
                "visibility": "PUBLIC",
                "title": f"Item {n}",
                "body": "…",
                "shared_with": [],
                "recipients": [],
                "parent": None,
                "created_at": now - timedelta(seconds=rng.randint(60, two_years)),
            }
            for n in range(start, min(start + 1000, items))
        ]
        await db.content.insert_many(batch)
        print(f"  loaded {start + len(batch)}/{items} ({time.perf_counter() - started:.0f} s)")
    await client.close()


def measure(
    code: Path, uri: str, database: str, runs: int, data_dir: str
) -> dict[str, tuple[float, list[str]]]:
    """Median milliseconds per query (and the error codes seen, e.g. TIMEOUT after 10 s)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    arguments = [uri, database, str(runs), json.dumps(QUERIES), data_dir]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *arguments],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    medians: dict[str, tuple[float, list[str]]] = json.loads(done.stdout.strip().splitlines()[-1])
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--code", type=Path, action="append", required=True)
    arguments = parser.parse_args()
    from gateway.embedded import EmbeddedServer

    with tempfile.TemporaryDirectory() as data_dir, EmbeddedServer(Path(data_dir)) as uri:
        asyncio.run(load(uri, "bench", arguments.items))
        for round_ in range(arguments.rounds):
            for code in arguments.code:
                medians = measure(code.resolve(), uri, "bench", arguments.runs, data_dir)
                for name, (ms, errors) in medians.items():
                    print(f"round {round_ + 1}  {code}  {name}: {ms:.1f} ms {' '.join(errors)}")


if __name__ == "__main__":
    main()
