"""Database round trips grow with the depth of a query, never with its number of rows (the
comments of many items: with the number of `IN_CHUNK`s of items, all at once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from math import ceil
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers.rollups import IN_CHUNK
from tests.client import running
from tests.commands import CommandCounter

QUERY = """{ account(id: "acct-erin") {
  displayName email
  content { id title %s
            author { id displayName username stats { contentCount } } }
} }"""
COMMENTS = "comments { id author { displayName } }"


async def _round_trips(settings: Settings, as_: str, comments: str = "") -> tuple[int, int]:
    """Of a warm request (the second of two): a first page starts at the width its list last
    needed (`resolvers.windows`), so the first request after the rows changed may differ."""
    counter = CommandCounter()
    async with running(settings, event_listeners=[counter]) as gateway:
        await gateway.query(QUERY % comments, as_=as_)
        counter.commands.clear()
        body = await gateway.query(QUERY % comments, as_=as_)
    assert "errors" not in body, body
    return sum(counter.commands.values()), len(body["data"]["account"]["content"])


async def _give_erin_items(db: AsyncDatabase[Any], count: int) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    await db.content.insert_many(
        [
            {
                "_id": f"erin-{n:03d}",
                "owner": "acct-erin",
                "kind": "POST",
                "visibility": "PUBLIC",
                "title": f"Item {n}",
                "body": "…",
                "shared_with": [],
                "recipients": [],
                "parent": None,
                "created_at": start + timedelta(minutes=n),
            }
            for n in range(count)
        ]
    )
    await db.content.insert_many(
        [
            {
                "_id": f"erin-{n:03d}-c",
                "owner": "acct-bob",
                "kind": "COMMENT",
                "visibility": None,
                "title": None,
                "body": "Nice",
                "shared_with": [],
                "recipients": [],
                "parent": f"erin-{n:03d}",
                "created_at": start + timedelta(hours=n),
            }
            for n in range(0, count, 2)
        ]
    )


async def test_round_trips_do_not_grow_with_rows(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    await _give_erin_items(demo_db, 20)
    small, small_rows = await _round_trips(settings, "erin")
    small_commented, _ = await _round_trips(settings, "erin", COMMENTS)
    await demo_db.content.delete_many({"owner": {"$in": ["acct-erin"]}})
    await demo_db.content.delete_many({"_id": {"$regex": "^erin-"}})
    # An account's list is a page of at most 100 items (`first`); 90 fill most of one.
    await _give_erin_items(demo_db, 90)
    large, large_rows = await _round_trips(settings, "erin")
    large_commented, _ = await _round_trips(settings, "erin", COMMENTS)
    assert (small_rows, large_rows) == (20, 90)
    assert large == small, f"{small} round trips for 20 rows but {large} for 90"
    # The content list reads up to four time windows (a week, 16 weeks, 5 years, the rest:
    # `resolvers.windows`), each bounded; every other field one round trip.
    assert small <= 11
    # Comments of items with few (every item here): the items checked with their counted
    # comments, and those comments read whole, a read each per `IN_CHUNK` items (all at once),
    # and their authors (one read). An item with many is read through windows
    # (`tests/test_lists_examined.py`).
    for items, plain, commented in ((20, small, small_commented), (90, large, large_commented)):
        assert commented - plain <= 2 * ceil(items / IN_CHUNK) + 1, (items, plain, commented)
