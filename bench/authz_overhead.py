"""What does per-field authorization cost? One run, one query, three ways (issue 3).

(a) the gateway's policy: decisions precomputed per standing, one dict lookup per field;
(b) an allow-all policy built only for this benchmark, through the same engine;
(c) Strawberry's `permission_classes` on every field, deciding the same policy synchronously;
(d) the same with an async check, the idiomatic form when relations depend on stored facts.

The query: 100 accounts (the authors of a 100-item feed) x 16 fields, with nested
`content { author }`, read by a domain admin of their domain, so that every field is allowed in
all three and the work compared is the authorization, not error handling. `--rows 1000` asks
the same of 1,000 accounts: pages are bounded at 100 in the API, so this lifts the bound (and
the cost limit) in process only, to show how the cost grows with rows. In-process, against a
real server (embedded SecantusDB, or MONGODB_URI).

Two clocks: wall time per request, and the gateway process's CPU time per request. The database
runs in its own process, so its time is in the first and not the second: CPU time is what the
authorization itself costs the gateway, wall time is what a caller waits. Prints medians and
the ratios a/b and c/a for both.

    .venv/bin/python bench/authz_overhead.py [--runs 15] [--warmups 3] [--rows 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import strawberry
from pymongo import AsyncMongoClient
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import get_object_definition

import authz.decisions
import schema.paging
from authz.decisions import decisions_for
from authz.grants import Rule, rule
from authz.policy import POLICY
from authz.policy import PUBLIC as PUBLIC_GRANT
from authz.principals import Principal, PrincipalKind
from gateway.embedded import EmbeddedServer
from resolvers.collections import ensure_schema
from resolvers.pagination import MAX_PAGE_SIZE
from schema import build_schema
from schema.build import GatewaySchema
from schema.enforcement.context import Context
from schema.enforcement.guard import Guarded, access
from schema.enforcement.projection import projection
from schema.enforcement.shapes import GUARDED
from schema.protections.limits import Limits
from schema.query import Query

ACCOUNT_FIELDS = """id displayName photoUrl username email domain status
  rightsLimits { edit delete privacy } stats { appsInstalled lastSignInAt }
  settings { profileVisibility }"""
PRINCIPAL = Principal(PrincipalKind.DOMAIN_ADMIN, id="bench-admin", domains=frozenset({"bench-u"}))


def query(rows: int) -> str:
    return f"""{{ publicFeed(first: {rows}) {{ edges {{ node {{ id title author {{
  {ACCOUNT_FIELDS} content {{ id title author {{ id displayName }} }} }} }} }} }} }}"""


def limits(rows: int) -> Limits:
    """The default limits, with pages (and so cost) wide enough for `rows` in one page."""
    if rows <= MAX_PAGE_SIZE:
        return Limits()
    vars(schema.paging)["MAX_PAGE_SIZE"] = rows
    return Limits(max_page_size=rows, max_cost=Limits().max_cost * rows)


async def seed(db: Any, rows: int) -> None:
    await ensure_schema(db)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    await db.accounts.insert_many(
        [
            {
                "_id": f"acct-b{n:04d}",
                "username": f"bench{n:04d}",
                "email": f"b{n}@bench.example",
                "display_name": f"Bench {n}",
                "photo_url": None,
                "domain": "bench-u",
                "status": "ACTIVE",
                "created_at": start,
                "rights_limits": {"edit": False, "delete": False, "privacy": False},
                "stats": {"apps_installed": n % 7, "last_sign_in_at": start},
                "settings": {
                    "language": "de",
                    "personalized_ads": True,
                    "friends_recommendations": True,
                    "profile_visibility": "PUBLIC",
                },
            }
            for n in range(rows)
        ]
    )
    await db.content.insert_many(
        [
            {
                "_id": f"item-b{n:04d}",
                "owner": f"acct-b{n:04d}",
                "kind": "POST",
                "visibility": "PUBLIC",
                "title": f"Post {n}",
                "body": "…",
                "shared_with": [],
                "recipients": [],
                "parent": None,
                "created_at": start + timedelta(minutes=n),
            }
            for n in range(rows)
        ]
    )


def clear_caches() -> None:
    for cached in (decisions_for, access, projection):
        cached.cache_clear()


def allow_all() -> None:
    """Variant (b): the same engine, with a table granting every field to everyone."""
    everyone: dict[str, dict[str, Rule]] = {
        type_name: {field: rule(PUBLIC_GRANT, scope=r.scope) for field, r in rules.items()}
        for type_name, rules in POLICY.items()
    }
    vars(authz.decisions)["POLICY"] = everyone
    clear_caches()


class SyncPolicyPermission(BasePermission):
    """Variant (c): Strawberry's permission classes, checking the same precomputed decisions
    and noting the same disclosures; only the per-field mechanism differs from (a)."""

    message = "FORBIDDEN"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        if type(source) is Guarded:
            source.require(info.python_name)
        return True


class AsyncPolicyPermission(BasePermission):
    """Variant (d): the idiomatic form when relations depend on stored facts (consents, cases):
    each field awaits the caller's standing toward the row's subject (cached per request)."""

    message = "FORBIDDEN"

    async def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        if type(source) is Guarded:
            await info.context.standings.load([source.subject])
            source.require(info.python_name)
        return True


def permission_classes_schema(
    permission: type[BasePermission], limits: Limits
) -> strawberry.Schema:
    """Values read unchecked by the default resolver; every guarded field has `permission`."""
    vars(authz.decisions)["POLICY"] = POLICY
    clear_caches()
    for cls in GUARDED.values():
        definition = get_object_definition(cls, strict=True)
        for field in definition.fields:
            field.extensions[:] = [
                e for e in field.extensions if not isinstance(e, PermissionExtension)
            ]
            field.extensions.append(PermissionExtension(permissions=[permission()]))

    def read_unchecked(source: Any, name: str) -> Any:
        return source.value(name) if type(source) is Guarded else getattr(source, name)

    policy_schema = build_schema(limits)
    return GatewaySchema(
        query=Query,
        config=StrawberryConfig(default_resolver=read_unchecked),
        extensions=policy_schema.extensions,
    )


async def medians_ms(
    run: Callable[[], Awaitable[Any]], runs: int, warmups: int
) -> tuple[float, float]:
    """Median wall time and median gateway CPU time of one run, in milliseconds."""
    for _ in range(warmups):
        await run()
    wall, cpu = [], []
    for _ in range(runs):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        await run()
        wall.append((time.perf_counter() - wall_start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    return statistics.median(wall), statistics.median(cpu)


async def main(uri: str, runs: int, warmups: int, rows: int) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    db = client["bench_authz_overhead"]
    await client.drop_database(db.name)
    await seed(db, rows)
    document, bounds = query(rows), limits(rows)

    def runner(schema: strawberry.Schema) -> Callable[[], Awaitable[Any]]:
        async def run() -> None:
            result = await schema.execute(document, context_value=Context(PRINCIPAL, db))
            assert not result.errors, result.errors
            assert len(result.data["publicFeed"]["edges"]) == rows  # type: ignore[index]

        return run

    policy_schema = build_schema(bounds)
    print(f"query: {rows} accounts x 16 fields + content {{ author }}; medians of {runs} runs")
    print(f"{'':36}{'wall ms':>9}{'CPU ms':>9}")
    a = await medians_ms(runner(policy_schema), runs, warmups)
    print(f"{'(a) gateway policy':36}{a[0]:9.1f}{a[1]:9.1f}")
    allow_all()
    b = await medians_ms(runner(policy_schema), runs, warmups)
    print(f"{'(b) allow-all policy, same engine':36}{b[0]:9.1f}{b[1]:9.1f}")
    c = await medians_ms(
        runner(permission_classes_schema(SyncPolicyPermission, bounds)), runs, warmups
    )
    print(f"{'(c) permission_classes, sync check':36}{c[0]:9.1f}{c[1]:9.1f}")
    d = await medians_ms(
        runner(permission_classes_schema(AsyncPolicyPermission, bounds)), runs, warmups
    )
    print(f"{'(d) permission_classes, async check':36}{d[0]:9.1f}{d[1]:9.1f}")
    print(f"{'a/b (target <= 1.2)':36}{a[0] / b[0]:9.2f}{a[1] / b[1]:9.2f}")
    print(f"{'c/a (target >= 1.5)':36}{c[0] / a[0]:9.2f}{c[1] / a[1]:9.2f}")
    print(f"{'d/a':36}{d[0] / a[0]:9.2f}{d[1] / a[1]:9.2f}")
    await client.drop_database(db.name)
    await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmups", type=int, default=3, help="unmeasured runs before each")
    parser.add_argument("--rows", type=int, default=100, help="accounts in the one page read")
    arguments = parser.parse_args()
    if uri := os.environ.get("MONGODB_URI"):
        asyncio.run(main(uri, arguments.runs, arguments.warmups, arguments.rows))
    else:
        with tempfile.TemporaryDirectory() as data_dir, EmbeddedServer(Path(data_dir)) as uri:
            asyncio.run(main(uri, arguments.runs, arguments.warmups, arguments.rows))
