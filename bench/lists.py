"""Lists that grow: a domain's members and an account's disclosures, at a realistic size.

One embedded database (SecantusDB) holds the demo world, `--members` more members of
uni-graz with sign-up's ids (`acct-` and 20 hex digits), and `--disclosures` records about
alice, one every two minutes (`--burst`: all within the last hour). The gateway runs in
process; each query is asked once to warm up, then `--runs` times. Per query: median latency,
database reads per request, and the documents the server examined for them (each read sent
again as `explain` with `executionStats`).

The same requests on another commit measure the change: run it on both, in the same minute
(the machine is shared; compare the figures of one run with each other).

    .venv/bin/python bench/lists.py [--members 20000] [--disclosures 20000] [--runs 7] [--burst]

With `--batching` it also times, directly on the database, the ways to read the newest 20
sign-ins of 20 accounts with 500 each: one `$in` + sort, one `$unionWith` per account, and
one windowed read per account run concurrently (what the gateway does).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from authz.keys import development_keys
from authz.tokens import TokenIssuer
from bench.examined import Read, ReadCapture, explain_reads
from gateway.app import create_app
from gateway.embedded import EmbeddedServer
from gateway.settings import Settings
from resolvers import collections as c
from resolvers.collections import ensure_schema
from resolvers.demo_world import DEMO_PRINCIPALS, seed_demo_world

QUERIES = {
    "dora members(first: 20)": (
        "dora",
        '{ domain(id: "uni-graz") { members(first: 20) { edges { node { id displayName } } '
        "pageInfo { hasNextPage endCursor } } } }",
    ),
    "dora members(first: 20, filter: {status: SUSPENDED})": (
        "dora",
        '{ domain(id: "uni-graz") { members(first: 20, filter: {status: SUSPENDED}) '
        "{ edges { node { id } } pageInfo { hasNextPage endCursor } } } }",
    ),
    # Without arguments: what the same request answered before lists took `first`.
    "alice me { disclosures { id at } }": ("alice", "{ me { disclosures { id at } } }"),
}
_BATCH = 2_000
PER_ACCOUNT = 500


async def _insert(db: AsyncDatabase[Any], collection: str, docs: list[dict[str, Any]]) -> None:
    for start in range(0, len(docs), _BATCH):
        await db[collection].insert_many(docs[start : start + _BATCH], ordered=False)
        print(f"  {collection}: {min(start + _BATCH, len(docs))}/{len(docs)}", file=sys.stderr)


async def load(db: AsyncDatabase[Any], members: int, disclosures: int, burst: bool) -> None:
    now = datetime.now(UTC)
    await ensure_schema(db)
    await seed_demo_world(db)
    await _insert(
        db,
        c.ACCOUNTS,
        [
            {
                "_id": f"acct-{secrets.token_hex(10)}",
                "username": f"member{n:06d}",
                "email": f"member{n:06d}@uni-graz.example",
                "display_name": f"Member {n}",
                "domain": "uni-graz",
                "status": "ACTIVE",
                "created_at": now,
            }
            for n in range(members)
        ],
    )
    step = timedelta(hours=1) / max(disclosures, 1) if burst else timedelta(minutes=2)
    await _insert(
        db,
        c.DISCLOSURES,
        [
            {
                "_id": f"bench-{n:06d}",
                "principal_kind": "user",
                "principal_id": "acct-dora",
                "subjects": ["acct-alice"],
                "entries": [[{"relation": "DOMAIN_ADMIN", "fields": ["Account.domain"]}]],
                "at": now - step * (n + 1),
            }
            for n in range(disclosures)
        ],
    )


def _listed(reads: list[Read]) -> list[Read]:
    """The reads of the lists measured: members (accounts) and disclosures."""
    return [read for read in reads if read.command[read.name] in {c.ACCOUNTS, c.DISCLOSURES}]


async def measure(settings: Settings, db: AsyncDatabase[Any], runs: int) -> None:
    capture = ReadCapture()
    app = create_app(settings, event_listeners=[capture])
    key, _ = development_keys(settings.keys_dir)
    issuer = TokenIssuer(key, settings.jwt_issuer, settings.jwt_audience)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            for name, (handle, query) in QUERIES.items():
                headers = {"Authorization": f"Bearer {issuer.issue(DEMO_PRINCIPALS[handle], 600)}"}
                times, costs, counts, rows = [], [], [], 0
                for run in range(runs + 1):
                    capture.take()
                    started = time.perf_counter()
                    response = await http.post("/graphql", json={"query": query}, headers=headers)
                    elapsed = time.perf_counter() - started
                    body = response.json()
                    if "errors" in body:
                        print(f"{name}: {body['errors'][0]['message']}")
                        break
                    if run:  # the first one warms up
                        listed = _listed(capture.take()[1])
                        times.append(elapsed * 1000)
                        counts.append(len(listed))
                        examined = await explain_reads(db.client, listed)
                        costs.append(sum(e.docs for e in examined))
                    rows = _rows(body)
                if not times:
                    continue
                print(
                    f"{name}: median {statistics.median(times):.1f} ms, "
                    f"{statistics.median(counts):.0f} reads, "
                    f"{statistics.median(costs):.0f} documents examined, {rows} rows answered"
                )


def _rows(body: dict[str, Any]) -> int:
    data = body["data"]
    if "me" in data:
        return len(data["me"]["disclosures"])
    return len(data["domain"]["members"]["edges"])


async def batching(db: AsyncDatabase[Any]) -> None:
    """Three ways to read the newest 20 sign-ins of each of 20 accounts."""
    from resolvers.related import SubList, newest_pages

    now = datetime.now(UTC)
    accounts = [f"acct-batch{n:02d}" for n in range(20)]
    await _insert(
        db,
        c.SIGN_INS,
        [
            {"account": a, "at": now - timedelta(minutes=2 * n), "ip": "10.0.0.1"}
            for a in accounts
            for n in range(PER_ACCOUNT)
        ],
    )
    sign_ins = db[c.SIGN_INS]
    union: list[dict[str, Any]] = [
        {"$match": {"account": accounts[0]}},
        {"$sort": {"at": -1}},
        {"$limit": 21},
    ]
    for account in accounts[1:]:
        branch = [{"$match": {"account": account}}, {"$sort": {"at": -1}}, {"$limit": 21}]
        union.append({"$unionWith": {"coll": c.SIGN_INS, "pipeline": branch}})
    shapes: dict[str, Callable[[], Awaitable[Any]]] = {
        "$in + sort, every row (one read, as before)": lambda: (
            sign_ins.find({"account": {"$in": accounts}}).sort([("at", -1)]).to_list()
        ),
        "$unionWith per account (one read)": lambda: _aggregate(sign_ins, union),
        "windows per account, concurrently": lambda: newest_pages(
            db, SubList(c.SIGN_INS, "account", "at"), accounts, 20, {"ip": 1}
        ),
    }
    for name, read in shapes.items():
        times = []
        for _ in range(4):
            started = time.perf_counter()
            await read()
            times.append((time.perf_counter() - started) * 1000)
        print(f"batching, {name}: median {statistics.median(times[1:]):.1f} ms")


async def _aggregate(collection: Any, pipeline: list[dict[str, Any]]) -> list[Any]:
    result: list[Any] = await (await collection.aggregate(pipeline)).to_list()
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--disclosures", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--burst", action="store_true")
    parser.add_argument("--batching", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedServer(Path(tmp)) as uri:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
        db = client["bench_lists"]
        await load(db, args.members, args.disclosures, args.burst)
        settings = Settings(mongodb_uri=uri, database=db.name, data_dir=Path(tmp))
        await measure(settings, db, args.runs)
        if args.batching:
            await batching(db)
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
