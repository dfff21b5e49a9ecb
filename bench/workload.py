"""What the end-to-end benchmark asks, of whom, and the data it asks it of.

The same documents go to the gateway and to the no-authz floor (`bench/floor_app.py`); the
gateway learns the caller from a signed token, the floor from `FLOOR_PRINCIPAL_HEADER` (it
checks nothing). Every query is chosen so that the gateway denies nothing in it: both apps must
answer the same data, and the benchmark compares the cost of the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, CONTENT, ensure_schema
from resolvers.demo_world import DEMO_PRINCIPALS, seed_demo_world

#: Who the floor serves (an account id or a partner id); the gateway ignores it.
FLOOR_PRINCIPAL_HEADER = "X-Bench-Principal"

#: Members added to `uni-graz`, each with one public post, so that 100-row lists are full.
EXTRA_MEMBERS = 110
EXTRA_DOMAIN = "uni-graz"


@dataclass(frozen=True, slots=True)
class BenchQuery:
    """One benchmarked request: a GraphQL document sent by a demo principal (or anonymously)."""

    name: str
    document: str
    handle: str | None = None
    #: Where the answer's main list is (keys from `data`), and how many rows it must have.
    rows_at: tuple[str, ...] = ()
    rows: int = 0

    @property
    def principal_id(self) -> str | None:
        """The demo principal's id (`sub`): what the floor is told the caller is."""
        return None if self.handle is None else str(DEMO_PRINCIPALS[self.handle]["sub"])

    def row_count(self, data: Any) -> int:
        """How many rows the answer's main list has (0 for a query without one)."""
        if not self.rows_at:
            return 0
        for key in self.rows_at:
            data = data[key]
        return len(data)


def _members(first: int) -> str:
    return (
        f'{{ domain(id: "{EXTRA_DOMAIN}") {{ members(first: {first}) {{ edges {{ node {{'
        " id displayName email status } } } } }"
    )


QUERIES: tuple[BenchQuery, ...] = (
    BenchQuery("typename", "{ __typename }"),
    BenchQuery(
        "feed",
        "{ publicFeed(first: 20) { edges { node { id title author { id displayName } } } } }",
        rows_at=("publicFeed", "edges"),
        rows=20,
    ),
    BenchQuery(
        "me",
        "{ me { id displayName email content { id kind title visibility } } }",
        handle="alice",
        rows_at=("me", "content"),
        rows=6,
    ),
    BenchQuery(
        "members",
        _members(20),
        handle="dora",
        rows_at=("domain", "members", "edges"),
        rows=20,
    ),
    BenchQuery(
        "partner",
        "{ partnerContacts { consentFields account { id displayName phone } } }",
        handle="flowershop",
        rows_at=("partnerContacts",),
        rows=1,
    ),
    BenchQuery(
        "members100",
        _members(100),
        handle="dora",
        rows_at=("domain", "members", "edges"),
        rows=100,
    ),
)
QUERY_NAMES = tuple(query.name for query in QUERIES)


async def seed_bench_world(db: AsyncDatabase[Any]) -> None:
    """The demo world (SPEC §9) plus `EXTRA_MEMBERS` members of `uni-graz` with a post each."""
    await ensure_schema(db)
    await seed_demo_world(db)
    start = datetime(2026, 2, 1, tzinfo=UTC)
    ids = [f"acct-bench{n:03d}" for n in range(EXTRA_MEMBERS)]
    await db[ACCOUNTS].insert_many(
        [_member(account_id, n, start) for n, account_id in enumerate(ids)]
    )
    await db[CONTENT].insert_many(
        [
            {
                "_id": f"post-bench{n:03d}",
                "owner": account_id,
                "kind": "POST",
                "visibility": "PUBLIC",
                "title": f"Bench post {n}",
                "body": "…",
                "shared_with": [],
                "recipients": [],
                "parent": None,
                "created_at": start + timedelta(minutes=n),
            }
            for n, account_id in enumerate(ids)
        ]
    )


def _member(account_id: str, n: int, created_at: datetime) -> dict[str, Any]:
    return {
        "_id": account_id,
        "username": f"bench{n:03d}",
        "email": f"bench{n:03d}@{EXTRA_DOMAIN}.example",
        "password_hash": None,
        "display_name": f"Bench {n:03d}",
        "photo_url": None,
        "domain": EXTRA_DOMAIN,
        "status": "ACTIVE",
        "rights_limits": {"edit": False, "delete": False, "privacy": False},
        "settings": {
            "language": "de",
            "personalized_ads": True,
            "friends_recommendations": True,
            "profile_visibility": "PUBLIC",
        },
        "stats": {"apps_installed": n % 7, "last_sign_in_at": created_at},
        "ad_interests": [],
        "created_at": created_at,
    }
