"""Every content list reads O(page) documents, however many items exist (issue 12).

A few thousand items (all visibilities, many owners, comments, two years of history and a
burst) are loaded; each list is requested through HTTP, and every find and aggregate the
gateway sent is run again as `explain` (executionStats): the documents the server examined
for one request must stay within the page size + 50, and its round trips within a constant.
A shape that reads a whole index range (SecantusDB sorts in memory and limits after fetching
the range) or scans the collection (`$or`, `$in` on a leading key) fails here.
"""

from __future__ import annotations

import random
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers import windows
from resolvers.collections import ensure_schema
from tests.client import GatewayClient, running
from tests.commands import PAGE, SLACK, Reads, docs_examined
from tests.demo_world import copy_demo_world

MAX_ROUND_TRIPS = 16
OWNERS = ["acct-alice", "acct-bob", "acct-carol", "acct-erin"] + [
    f"acct-learner{n}" for n in range(1, 13)
]
NOW = datetime.now(UTC)
POPULAR = "scale-popular"


def _item(n: int, rng: random.Random, at: datetime) -> dict[str, Any]:
    roll = rng.random()
    kind, visibility, shared, recipients = "POST", "PUBLIC", [], []
    if roll < 0.25:
        visibility = "PRIVATE"
    elif roll < 0.45:
        visibility, shared = "SHARED", [rng.choice(OWNERS)]
    elif roll < 0.5:
        kind, visibility, recipients = "EMAIL", "PRIVATE", [rng.choice(OWNERS)]
    return {
        "_id": f"scale-{n:05d}",
        "owner": rng.choice(OWNERS),
        "kind": kind,
        "visibility": visibility,
        "title": f"Item {n}",
        "body": "…",
        "shared_with": shared,
        "recipients": recipients,
        "parent": None,
        "created_at": at,
    }


def _comment(n: int, rng: random.Random, parent: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "_id": f"scale-comment-{n:05d}",
        "owner": rng.choice(OWNERS),
        "kind": "COMMENT",
        "visibility": None,
        "title": None,
        "body": "Nice",
        "shared_with": [],
        "recipients": [],
        "parent": parent["_id"],
        "created_at": max(at, parent["created_at"] + timedelta(seconds=1)),
    }


async def _load(db: AsyncDatabase[Any]) -> None:
    """2,160 items over two years (60 of them in one minute: a class posting at once) and 600
    comments, 300 on one item. A burst larger than the slack is read whole by the page that
    reaches it (the bound for adversarial bursts, `resolvers.windows`)."""
    rng = random.Random(12)
    two_years = 2 * 365 * 86_400
    items = [
        _item(n, rng, NOW - timedelta(seconds=rng.randint(60, two_years))) for n in range(2_100)
    ]
    burst = NOW - timedelta(days=40)
    items += [
        _item(n, rng, burst + timedelta(milliseconds=rng.randint(0, 60_000)))
        for n in range(2_100, 2_160)
    ]
    popular = {**items[0], "_id": POPULAR, "visibility": "PUBLIC", "kind": "POST"}
    popular["created_at"] = NOW - timedelta(days=300)
    items.append(popular)
    comments = [
        _comment(n, rng, popular if n < 300 else rng.choice(items), popular["created_at"])
        for n in range(600)
    ]
    for start in range(0, len(items), 500):
        await db.content.insert_many(items[start : start + 500])
    await db.content.insert_many(comments)


@pytest.fixture(scope="module")
async def crowded(
    mongo: AsyncMongoClient[dict[str, Any]], demo_world: dict[str, list[dict[str, Any]]]
) -> AsyncIterator[AsyncDatabase[Any]]:
    """One loaded database for the module: its tests only read content."""
    db = mongo[f"test_{uuid.uuid4().hex[:12]}"]
    await ensure_schema(db)
    await _load(await copy_demo_world(db, demo_world))
    yield db
    await mongo.drop_database(db.name)


@pytest.fixture
def settings(mongo_uri: str, crowded: AsyncDatabase[Any], tmp_path: Path) -> Settings:
    return Settings(mongodb_uri=mongo_uri, database=crowded.name, data_dir=tmp_path)


@pytest.fixture(autouse=True)
def cold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with nothing learned (`resolvers.windows`), as a new process does."""
    monkeypatch.setattr(windows, "_learned", OrderedDict())


async def _cost(
    gateway: GatewayClient,
    reads: Reads,
    db: AsyncDatabase[Any],
    query: str,
    as_: str | None,
    variables: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], int, int]:
    """The answer, the documents examined and the round trips of one request."""
    reads.commands.clear()
    reads.recording = True
    body = await gateway.query(query, variables, as_=as_)
    reads.recording = False
    assert "errors" not in body, body
    # A hinted read costs SecantusDB the whole collection while `explain` counts the window.
    assert not [read for read in reads.commands if "hint" in read]
    examined = [await docs_examined(db, read) for read in reads.commands]
    return body["data"], sum(examined), len(reads.commands)


FEED = """query($after: String) { publicFeed(first: 20, after: $after) {
  edges { node { id } } pageInfo { endCursor hasNextPage } } }"""
LISTS = [
    pytest.param(None, "{ publicFeed(first: 20) { edges { node { id } } } }", id="anonymous feed"),
    pytest.param("bob", "{ publicFeed(first: 20) { edges { node { id } } } }", id="signed-in feed"),
    pytest.param("alice", "{ me { content(first: 20) { id } } }", id="own items"),
    pytest.param(
        "bob",
        '{ account(id: "acct-alice") { content(first: 20) { id } } }',
        id="another account's visible items",
    ),
    pytest.param(
        None, '{ account(id: "acct-alice") { content(first: 20) { id } } }', id="anonymous"
    ),
    pytest.param("bob", f'{{ content(id: "{POPULAR}") {{ id }} }}', id="one item"),
]


@pytest.mark.parametrize(("as_", "query"), LISTS)
async def test_each_list_reads_its_page_not_the_collection(
    settings: Settings, crowded: AsyncDatabase[Any], as_: str | None, query: str
) -> None:
    """Cold (nothing learned) and warm (starting at the width the list last needed)."""
    reads = Reads()
    async with running(settings, event_listeners=[reads]) as gateway:
        for attempt in ("cold", "warm"):
            _, examined, round_trips = await _cost(gateway, reads, crowded, query, as_)
            assert examined <= PAGE + SLACK, f"{attempt}: {examined} examined for {PAGE}"
            assert round_trips <= MAX_ROUND_TRIPS


async def test_every_feed_page_reads_its_page(
    settings: Settings, crowded: AsyncDatabase[Any]
) -> None:
    """Deep pages too, the burst included: the cursor carries the position and a width."""
    reads = Reads()
    seen: list[str] = []
    async with running(settings, event_listeners=[reads]) as gateway:
        after = None
        for _ in range(8):
            data, examined, round_trips = await _cost(
                gateway, reads, crowded, FEED, None, {"after": after}
            )
            feed = data["publicFeed"]
            seen += [edge["node"]["id"] for edge in feed["edges"]]
            assert examined <= PAGE + SLACK, f"page {len(seen) // PAGE}: {examined} examined"
            assert round_trips <= MAX_ROUND_TRIPS
            after = feed["pageInfo"]["endCursor"]
    public = crowded.content.find(
        {"visibility": "PUBLIC", "kind": {"$nin": ["EMAIL", "COMMENT"]}},
        sort=[("created_at", -1), ("_id", -1)],
        limit=len(seen),
        projection={"_id": 1},
    )
    assert seen == [doc["_id"] async for doc in public]
