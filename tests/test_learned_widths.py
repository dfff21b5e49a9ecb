"""A first page starts at the width its list last needed (`resolvers.windows`, issues 11, 12).

Read directly through `read_page` with an explicit anchor (the request's "now"), so that time
can pass between two pages of one process: 3,000 public items, one a minute, the newest an
hour before the second page. Every read is run again as `explain` (executionStats).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from authz.visibility import NOT_COMMENTS
from resolvers.collections import CONTENT
from resolvers.windows import Branch, WindowPage, read_page
from tests.commands import PAGE, SLACK, Reads, docs_examined

ITEMS = 3_000
FEED = [Branch({"visibility": "PUBLIC"}, NOT_COMMENTS)]
#: When the newest item was written; the quiet stretch follows it.
NEWEST = datetime.now(UTC) - timedelta(hours=1)


def _item(n: int, visibility: str = "PUBLIC") -> dict[str, Any]:
    return {
        "_id": f"quiet-{n:05d}",
        "owner": "acct-alice",
        "kind": "POST",
        "visibility": visibility,
        "title": f"Item {n}",
        "shared_with": [],
        "recipients": [],
        "parent": None,
        "created_at": NEWEST - timedelta(minutes=n),
    }


@pytest.fixture
async def reads() -> Reads:
    return Reads()


@pytest.fixture
async def quiet(
    mongo_uri: str, db: AsyncDatabase[Any], reads: Reads
) -> AsyncIterator[AsyncDatabase[Any]]:
    """The test's database with 3,000 public items, through a client that records reads."""
    items = [_item(n) for n in range(ITEMS)]
    for start in range(0, ITEMS, 1_000):
        await db[CONTENT].insert_many(items[start : start + 1_000])
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[reads]
    )
    yield client[db.name]
    await client.close()


async def _page(db: AsyncDatabase[Any], reads: Reads, at: datetime) -> tuple[WindowPage, int, int]:
    """A first page of the feed read at `at`, the documents examined and its round trips."""
    reads.commands.clear()
    reads.recording = True
    page = await read_page(db[CONTENT], FEED, PAGE, project={"_id": 1}, anchor=at)
    reads.recording = False
    examined = [await docs_examined(db, read) for read in reads.commands]
    return page, sum(examined), len(reads.commands)


def _ids(page: WindowPage) -> list[str]:
    return [row["_id"] for row in page.items]


NEWEST_PAGE = [f"quiet-{n:05d}" for n in range(PAGE)]


async def test_a_first_page_after_a_quiet_stretch_reads_about_a_page(
    quiet: AsyncDatabase[Any], reads: Reads
) -> None:
    """Learned while the items were new, a first page an hour later (nothing written since)
    reaches where the page was in two windows, 36 documents: cold, its 4-hour second window
    (sized by the one row of the first) examines 241."""
    await _page(quiet, reads, NEWEST + timedelta(seconds=1))
    page, examined, round_trips = await _page(quiet, reads, NEWEST + timedelta(hours=1))
    assert _ids(page) == NEWEST_PAGE
    assert page.has_next_page
    assert examined <= PAGE + SLACK, f"{examined} documents examined for a page of {PAGE}"
    assert round_trips <= 2


async def test_a_warm_first_page_is_one_read(quiet: AsyncDatabase[Any], reads: Reads) -> None:
    await _page(quiet, reads, NEWEST + timedelta(minutes=5))
    page, examined, round_trips = await _page(
        quiet, reads, NEWEST + timedelta(minutes=5, seconds=2)
    )
    assert _ids(page) == NEWEST_PAGE
    assert (round_trips, examined <= PAGE + SLACK) == (1, True), examined


async def test_what_was_learned_changes_no_row(quiet: AsyncDatabase[Any], reads: Reads) -> None:
    """Rows gone (hidden) below the learned point and rows added above it: the page is the
    list's newest, as a cold read of another process gives."""
    await _page(quiet, reads, NEWEST + timedelta(seconds=1))
    await quiet[CONTENT].update_many(
        {"_id": {"$in": NEWEST_PAGE}}, {"$set": {"visibility": "PRIVATE"}}
    )
    newer = {**_item(0), "_id": "quiet-newer", "created_at": NEWEST + timedelta(minutes=30)}
    await quiet[CONTENT].insert_one(newer)
    page, _, _ = await _page(quiet, reads, NEWEST + timedelta(hours=1))
    expected = ["quiet-newer", *(f"quiet-{n:05d}" for n in range(PAGE, 2 * PAGE - 1))]
    assert _ids(page) == expected
    assert page.has_next_page


async def test_a_list_shorter_than_its_page_is_read_whole_in_one_read(
    db: AsyncDatabase[Any], mongo_uri: str, reads: Reads
) -> None:
    """Learned short (the demo world's lists), then grown past the page: still its newest."""
    await db[CONTENT].insert_many([_item(n) for n in range(5)])
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[reads]
    )
    try:
        watched = client[db.name]
        now = NEWEST + timedelta(hours=1)
        await _page(watched, reads, now)
        page, _, round_trips = await _page(watched, reads, now + timedelta(seconds=1))
        assert (_ids(page), round_trips) == ([f"quiet-{n:05d}" for n in range(5)], 1)
        await db[CONTENT].insert_many([_item(n) for n in range(5, 40)])
        page, _, _ = await _page(watched, reads, now + timedelta(seconds=2))
        assert _ids(page) == NEWEST_PAGE
        assert page.has_next_page
    finally:
        await client.close()


async def test_a_row_at_a_window_edge_is_listed(
    db: AsyncDatabase[Any], mongo_uri: str, reads: Reads
) -> None:
    """Rows exactly at the lower bound of the first (1 h) and second window of a cold read are
    on the page (SecantusDB answers `$gte` like `$gt` on a descending index key)."""
    at = datetime(2026, 6, 1, 12, tzinfo=UTC)
    hours = [1, 2, 3, 17, 40]
    await db[CONTENT].insert_many(
        [{**_item(n), "created_at": at - timedelta(hours=h)} for n, h in enumerate(hours)]
    )
    page = await read_page(db[CONTENT], FEED, PAGE, project={"_id": 1}, anchor=at)
    assert _ids(page) == [f"quiet-{n:05d}" for n in range(len(hours))]
