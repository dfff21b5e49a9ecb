"""Aggregates from rollups vs counted per request (issue 12), in one run, on one database.

Loads the demo world plus `--accounts` accounts (in uni-graz, some allowing ads for chess,
created over the last two years) and `--items` public items among them, written directly
(around the gateway, with progress), then runs `rollups rebuild` (timed). Then, in process
over HTTP, the median latency of:

- `usageTrends(period: MONTH)` for the last year, all published; and publishing (the
  published numbers dropped before each request, so every cell is read from the rollups);
- `adAudience(interest: "chess")`, published, and publishing;
- `domain { domainStats }` and `domain { members(first: 20) { stats { contentCount } } }`;

and, for comparison in the same run, the queries the gateway ran per request before the
rollups (the `$group` over the year's accounts, items and sign-ins, the audience
`count_documents`, the domain's `$group`, the items-per-owner `$group` of a page).

    .venv/bin/python bench/rollups.py [--accounts 20000] [--items 40000] [--runs 9]
"""

from __future__ import annotations

import argparse
import asyncio
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
from authz.periods import PeriodKind, period_of
from authz.tokens import TokenIssuer
from gateway.app import create_app
from gateway.embedded import EmbeddedServer
from gateway.settings import Settings
from resolvers import collections as c
from resolvers.aggregates import forget_published
from resolvers.collections import ensure_schema
from resolvers.demo_world import DEMO_PRINCIPALS, seed_demo_world
from resolvers.rollup_rebuild import rebuild

DATABASE = "bench_rollups"
CHUNK = 2_000
TRENDS = "{ usageTrends(period: MONTH) { period signUps activeAccounts contentCreated { count } } }"
AUDIENCE = '{ adAudience(interest: "chess") { accounts } }'
STATS = '{ domain(id: "uni-graz") { domainStats { members active suspended blocked } } }'
MEMBERS = """{ domain(id: "uni-graz") {
  members(first: 20) { edges { node { id stats { contentCount } } } } } }"""


def progress(message: str) -> None:
    print(f"[rollups {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def load(db: AsyncDatabase[Any], accounts: int, items: int) -> None:
    """The extra accounts and items, inserted directly, in chunks with progress."""
    now = datetime.now(UTC)
    start = now - timedelta(days=730)
    step = (now - start) / max(accounts, items, 1)
    for first in range(0, accounts, CHUNK):
        await db[c.ACCOUNTS].insert_many(
            [
                {
                    "_id": f"acct-bench{n:06d}",
                    "username": f"bench{n:06d}",
                    "email": f"bench{n:06d}@uni-graz.example",
                    "display_name": f"Bench {n}",
                    "domain": "uni-graz",
                    "status": "ACTIVE" if n % 50 else "SUSPENDED",
                    "settings": {"personalized_ads": n % 3 == 0},
                    "ad_interests": ["chess"] if n % 2 else ["books"],
                    "stats": {"apps_installed": n % 4, "last_sign_in_at": None},
                    "created_at": start + step * n,
                }
                for n in range(first, min(first + CHUNK, accounts))
            ]
        )
        progress(f"accounts: {min(first + CHUNK, accounts):,}/{accounts:,}")
    for first in range(0, items, CHUNK):
        await db[c.CONTENT].insert_many(
            [
                {
                    "_id": f"bench-{n:06d}",
                    "owner": f"acct-bench{n % accounts:06d}",
                    "kind": ("POST", "PHOTO", "VIDEO", "DOCUMENT")[n % 4],
                    "visibility": "PUBLIC",
                    "title": f"Item {n}",
                    "body": "…",
                    "shared_with": [],
                    "recipients": [],
                    "parent": None,
                    "created_at": start + step * n,
                }
                for n in range(first, min(first + CHUNK, items))
            ]
        )
        progress(f"items: {min(first + CHUNK, items):,}/{items:,}")


def _last_year() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    last = period_of(PeriodKind.MONTH, period_of(PeriodKind.MONTH, now).start - timedelta(days=1))
    return last.end - timedelta(days=372), last.end


def before_queries(db: AsyncDatabase[Any]) -> dict[str, Callable[[], Awaitable[Any]]]:
    """What the gateway asked the database per request before the rollups (same shapes)."""
    since, until = _last_year()

    async def trends() -> None:
        for collection, at, account in (
            (c.ACCOUNTS, "created_at", "$_id"),
            (c.SIGN_INS, "at", "$account"),
            (c.CONTENT, "created_at", "$owner"),
        ):
            pipeline: list[dict[str, Any]] = [
                {"$match": {at: {"$gte": since, "$lt": until}}},
                {
                    "$group": {
                        "_id": {
                            "p": {"$dateToString": {"format": "%G-W%V", "date": f"${at}"}},
                            "a": account,
                        },
                        "n": {"$sum": 1},
                    }
                },
                {"$group": {"_id": "$_id.p", "n": {"$sum": "$n"}, "a": {"$sum": 1}}},
            ]
            await (await db[collection].aggregate(pipeline)).to_list()

    async def audience() -> None:
        await db[c.ACCOUNTS].count_documents(
            {"ad_interests": "chess", "settings.personalized_ads": True, "status": "ACTIVE"}
        )

    async def stats() -> None:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"domain": "uni-graz"}},
            {"$group": {"_id": "$status", "members": {"$sum": 1}}},
        ]
        await (await db[c.ACCOUNTS].aggregate(pipeline)).to_list()

    async def content_counts() -> None:
        owners = [f"acct-bench{n:06d}" for n in range(20)]
        pipeline: list[dict[str, Any]] = [
            {"$match": {"owner": {"$in": owners}, "kind": {"$ne": "COMMENT"}}},
            {"$group": {"_id": "$owner", "count": {"$sum": 1}}},
        ]
        await (await db[c.CONTENT].aggregate(pipeline)).to_list()

    return {
        "usageTrends(MONTH), one of its 3 $group": trends,
        "adAudience count_documents": audience,
        "domainStats $group": stats,
        "contentCount of 20 owners $group": content_counts,
    }


async def median_ms(
    work: Callable[[], Awaitable[Any]], runs: int, before: Callable[[], Awaitable[Any]] | None
) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            await before()
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as data_dir, EmbeddedServer(Path(data_dir)) as uri:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
        db = client[DATABASE]
        await ensure_schema(db)
        await seed_demo_world(db)
        await load(db, arguments.accounts, arguments.items)
        started = time.perf_counter()
        changed = await rebuild(db, lambda step, done: progress(f"rebuild {step}: {done:,}"))
        rebuilt = time.perf_counter() - started
        progress(f"rebuild: {changed:,} documents written in {rebuilt:.1f} s")
        settings = Settings(mongodb_uri=uri, database=DATABASE, data_dir=Path(data_dir))
        key, _ = development_keys(settings.keys_dir)
        issuer = TokenIssuer(key, settings.jwt_issuer, settings.jwt_audience)
        app = create_app(settings)
        rows: list[tuple[str, float]] = []
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:

                def request(query: str, handle: str) -> Callable[[], Awaitable[Any]]:
                    headers = {
                        "Authorization": f"Bearer {issuer.issue(DEMO_PRINCIPALS[handle], 3600)}"
                    }

                    async def send() -> None:
                        response = await http.post(
                            "/graphql", json={"query": query}, headers=headers
                        )
                        body = response.json()
                        assert "errors" not in body, body

                    return send

                async def unpublish() -> None:
                    await db[c.PUBLISHED_COUNTS].delete_many({})
                    forget_published()

                cases = [
                    ("usageTrends(MONTH), published", request(TRENDS, "trendlens"), None),
                    ("usageTrends(MONTH), publishing", request(TRENDS, "trendlens"), unpublish),
                    ("adAudience(chess), published", request(AUDIENCE, "adnet"), None),
                    ("adAudience(chess), publishing", request(AUDIENCE, "adnet"), unpublish),
                    ("domainStats", request(STATS, "dora"), None),
                    ("members(first: 20) with contentCount", request(MEMBERS, "dora"), None),
                ]
                for name, work, before in cases:
                    await work()
                    rows.append((name, await median_ms(work, arguments.runs, before)))
                    progress(f"{name}: {rows[-1][1]:.1f} ms")
        for name, work in before_queries(db).items():
            rows.append((f"before: {name}", await median_ms(work, arguments.runs, None)))
            progress(f"{rows[-1][0]}: {rows[-1][1]:.1f} ms")
        await client.close()
    print(
        f"+{arguments.accounts:,} accounts, +{arguments.items:,} items; median of {arguments.runs}"
    )
    print(f"rollups rebuild: {rebuilt:.1f} s ({changed:,} documents written)")
    print("| request | median ms |\n|---|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=9)
    asyncio.run(main(parser.parse_args()))
