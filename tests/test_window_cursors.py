"""Attacks on the feed's cursors now that they carry a window width (issue 12).

A cursor holds a position and a width, sealed. Even with the cursor key in hand (a leaked
secret), no position or width shows anything the caller could not list anyway: windows only
decide how much one request reads, never which rows it returns, and every read keeps to the
audience. An item that turns invisible between two pages is not shown on the next.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers.pagination import Cursors, CursorSeal
from resolvers.windows import MAX_WIDTH, millis
from tests.client import GatewayClient, error_codes, running

SECRET = "a cursor secret of the test run, 32+ chars"
FEED = """query($first: Int, $after: String) { publicFeed(first: $first, after: $after) {
  edges { node { id } } pageInfo { endCursor hasNextPage } } }"""
ANONYMOUS = json.dumps(["anonymous:", "publicFeed"])  # `schema.paging.cursors`


async def _feed(gateway: GatewayClient, first: int, after: str | None = None) -> dict[str, Any]:
    body = await gateway.query(FEED, {"first": first, "after": after})
    assert "errors" not in body, body
    feed: dict[str, Any] = body["data"]["publicFeed"]
    return feed


def _ids(feed: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in feed["edges"]]


async def _public_after(db: AsyncDatabase[Any], at: datetime, item: str) -> list[str]:
    """The PUBLIC items (never emails or comments) after a position, newest first."""
    found = db.content.find(
        {
            "visibility": "PUBLIC",
            "kind": {"$nin": ["EMAIL", "COMMENT"]},
            "$or": [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": item}}],
        },
        sort=[("created_at", -1), ("_id", -1)],
        projection={"_id": 1},
    )
    return [doc["_id"] async for doc in found]


async def test_an_item_gone_invisible_between_pages_is_not_shown(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    async with running(settings) as gateway:
        first = await _feed(gateway, 3)
        whole = _ids(await _feed(gateway, 100))
        # The item the cursor points at, and one on the next page, turn private.
        hidden = [_ids(first)[-1], whole[4]]
        await demo_db.content.update_many(
            {"_id": {"$in": hidden}}, {"$set": {"visibility": "PRIVATE"}}
        )
        second = await _feed(gateway, 3, first["pageInfo"]["endCursor"])
    assert _ids(second) == [whole[3], whole[5], whole[6]]


async def test_a_forged_width_changes_no_row(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """With the key itself, any width gives the same page: it only changes what is read."""
    keyed = settings.model_copy(update={"cursor_secret": SecretStr(SECRET)})
    feed = Cursors(CursorSeal(SECRET.encode()), ANONYMOUS)
    async with running(keyed) as gateway:
        first = await _feed(gateway, 2)
        genuine = await _feed(gateway, 5, first["pageInfo"]["endCursor"])
        last = await demo_db.content.find_one({"_id": _ids(first)[-1]})
        assert last is not None
        at = millis(last["created_at"])
        for width in (-(2**40), 0, 1, 1_000, MAX_WIDTH, 2**62):
            forged = feed.issue(at, last["_id"], width)
            assert _ids(await _feed(gateway, 5, forged)) == _ids(genuine)


async def test_a_forged_position_shows_only_what_the_list_shows(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """A position at a private item, or in the future, lists public items after it: the
    same rows anyone pages to, nothing of the private item."""
    keyed = settings.model_copy(update={"cursor_secret": SecretStr(SECRET)})
    feed = Cursors(CursorSeal(SECRET.encode()), ANONYMOUS)
    private = await demo_db.content.find_one({"visibility": "PRIVATE", "kind": {"$ne": "EMAIL"}})
    assert private is not None
    future = datetime.now(UTC) + timedelta(days=3650)
    async with running(keyed) as gateway:
        for at, item in ((private["created_at"], private["_id"]), (future, "zzzz")):
            page = await _feed(gateway, 100, feed.issue(millis(at), item, 1))
            assert private["_id"] not in _ids(page)
            assert _ids(page) == (await _public_after(demo_db, at, item))[:100]


async def test_a_cursor_of_another_caller_or_list_is_refused(gateway: GatewayClient) -> None:
    cursor = (await _feed(gateway, 2))["pageInfo"]["endCursor"]
    as_alice = await gateway.query(FEED, {"first": 2, "after": cursor}, as_="alice")
    members = await gateway.query(
        'query($after: String) { domain(id: "uni-graz") { members(first: 2, after: $after)'
        " { edges { node { id } } } } }",
        {"after": cursor},
        as_="dora",
    )
    for body in (as_alice, members):
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"]["field"] == "after"
