"""Reads of content items. Callers pass the caller's audience; this module never widens it.

Every read of items someone else may own keeps items by their own audience and comments by
their item's audience, checked by the server against the item as it is now (a `$lookup` per
candidate comment, inside the same round trip). Lists (`publicFeed`, an account's items) read
one indexed branch per way an item is visible, through bounded time windows
(`resolvers.windows`), so they cost O(page); so do the comments of an item (`comment_pages`,
oldest first). One item goes through `visible_items`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from authz.visibility import COMMENT, NOT_COMMENTS, Audience, Shown
from resolvers.collections import CONTENT, COUNTERS
from resolvers.concurrently import gathered
from resolvers.related import BATCH_SIZE
from resolvers.rollups import COMMENTS, IN_CHUNK, delete_in, insert_counted
from resolvers.transactions import retried
from resolvers.windows import (
    TIME,
    Branch,
    Key,
    Order,
    WindowPage,
    clamp_width,
    millis,
    read_page,
)

#: The first window of an account's list (milliseconds): a week. A person writes a few items a
#: day; a wider first window reads more of a busy account, a narrower one costs round trips.
OWNER_WIDTH = 7 * 86_400_000

#: A projection: document key → 1, or an expression (a field read only for some rows).
Projection = Mapping[str, Any]


def _visible_stages(where: Mapping[str, Any], audience: Audience) -> list[dict[str, Any]]:
    """Stages matching `where` and what `audience` sees; sort stages go right after them.

    `where` is a stage of its own, first: SecantusDB plans only a pipeline's first `$match`,
    and only one without a top-level operator, so `where` rides its index (`owner`, `parent`,
    `_id`) and the audience is checked on the few rows it finds, not on every item (the
    `$and` of both scanned the collection: alice's `me` cost the database 13.3 ms of CPU, now
    6.8; `tests/test_query_plans.py`). MongoDB merges the two stages into one.
    """
    on_their_own = {"$and": [NOT_COMMENTS, audience.items]}
    # Comments have no audience of their own (`visibility: null`, which the feed index serves).
    candidates: list[dict[str, Any]] = [on_their_own, {"kind": COMMENT, "visibility": None}]
    shown: list[dict[str, Any]] = [NOT_COMMENTS, {"_item.0": {"$exists": True}}]
    if audience.always is not None:
        candidates.append(audience.always)
        shown.append(audience.always)
    return [
        {"$match": dict(where)},
        {"$match": {"$or": candidates}},
        _item_lookup(audience),
        {"$match": {"$or": shown}},
    ]


def _item_lookup(audience: Audience) -> dict[str, Any]:
    """A comment's item, as `_item`, if `audience` sees it (empty otherwise): comments follow
    their item's audience at the time of the request."""
    return {
        "$lookup": {
            "from": CONTENT,
            "localField": "parent",
            "foreignField": "_id",
            "pipeline": [{"$match": audience.items}, {"$project": {"_id": 1}}],
            "as": "_item",
        }
    }


async def visible_items(
    db: AsyncDatabase[Any],
    where: Mapping[str, Any],
    audience: Audience,
    project: Projection,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Items matching `where` that `audience` sees, in one round trip."""
    match_where, match_audience, lookup, shown = _visible_stages(where, audience)
    pipeline = [match_where, match_audience, lookup, shown]
    if limit is not None:
        pipeline.append({"$limit": limit})
    pipeline.append({"$project": dict(project)})
    return await (await db[CONTENT].aggregate(pipeline, batchSize=BATCH_SIZE)).to_list()


async def find_content(
    db: AsyncDatabase[Any], content_id: str, audience: Audience, project: Projection
) -> dict[str, Any] | None:
    """One item if `audience` sees it; an invisible item is `None`, like a missing one."""
    found = await visible_items(db, {"_id": content_id}, audience, project, limit=1)
    return found[0] if found else None


async def find_own_content(
    db: AsyncDatabase[Any], owner: str, content_id: str, fields: Sequence[str]
) -> dict[str, Any] | None:
    """An item `owner` owns (what they may change), whoever else sees it."""
    doc: dict[str, Any] | None = await db[CONTENT].find_one(
        {"_id": content_id, "owner": owner}, dict.fromkeys(fields, 1)
    )
    return doc


async def content_page(
    db: AsyncDatabase[Any],
    audience: Audience,
    first: int,
    after: Key | None,
    width: int | None,
    project: Projection,
) -> WindowPage:
    """One page of the items (never comments) `audience` sees, newest first: one indexed read
    per branch of the audience and time window, merged (`resolvers.windows`)."""
    return await read_page(
        db[CONTENT],
        _branches(audience, {}, comments=False),
        first,
        project=project,
        after=after,
        width=width,
    )


async def owner_page(
    db: AsyncDatabase[Any], owner: str, audience: Audience, first: int, project: Projection
) -> list[dict[str, Any]]:
    """The newest `first` items of `owner` that `audience` sees, comments included."""
    branches = _branches(audience, {"owner": owner}, comments=True)
    page = await read_page(db[CONTENT], branches, first, project=project, width=OWNER_WIDTH)
    return page.items


async def comment_pages(
    db: AsyncDatabase[Any],
    items: Mapping[str, datetime | None],
    audience: Audience,
    first: int,
    after: tuple[Key, int] | None,
    project: Projection,
) -> dict[str, WindowPage]:
    """The first `first` comments (after `after`) on each of `items` (id: its time, if known) that
    `audience` sees, oldest first.

    Comments follow their item's audience at the time of the request: on an item the audience
    sees by its own audience, every comment shows; on another (an item seen only as a listed
    subject's), only comments of the owners the audience sees everything of (checked here
    once per batch, on the items, by the server).

    Most items have few comments: those the counters (`comments|<item>`) say have at most
    `first` are read whole, together (`IN_CHUNK` items a query); the others, and every page
    after a cursor, through time windows from the item's time (index `by_parent_time`), one
    read per window and item, all at once. A count is a hint only: a stale one (comments loaded
    around the gateway, before `imoox-gateway rollups rebuild`) changes what is read, never
    which comments show.
    """
    counted = await _seen_counted(db, list(items), audience)
    key, width = after if after is not None else (None, None)
    few = [] if after is not None else [item for item, n in counted.items() if n <= first]
    whole = await _whole(db, few, first, project)

    async def page(item: str, since: datetime | None) -> WindowPage:
        if item in whole:
            return whole[item]
        theirs = {"kind": COMMENT}
        if item not in counted:
            if audience.always is None:
                return WindowPage([], False, clamp_width(width))
            theirs = {**theirs, **audience.always}
        return await read_page(
            db[CONTENT],
            [Branch({"parent": item}, theirs)],
            first,
            project=project,
            after=key,
            order=Order.OLDEST_FIRST,
            anchor=since,
            width=width,
        )

    pages = await gathered(page(item, since) for item, since in items.items())
    return dict(zip(items, pages, strict=True))


async def _seen_counted(
    db: AsyncDatabase[Any], items: Sequence[str], audience: Audience
) -> dict[str, int]:
    """The items `audience` sees by their own audience, each with its comments as counted (0
    without a counter): a query per `IN_CHUNK` items, each counter looked up by its id."""

    async def chunk(ids: Sequence[str]) -> list[dict[str, Any]]:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"_id": {"$in": list(ids)}}},
            {"$match": audience.items},
            {"$project": {"counter": {"$concat": [COMMENTS, "$_id"]}}},
            {
                "$lookup": {
                    "from": COUNTERS,
                    "localField": "counter",
                    "foreignField": "_id",
                    "as": "count",
                }
            },
        ]
        return await (await db[CONTENT].aggregate(pipeline)).to_list()

    found = await gathered(chunk(ids) for ids in _chunks(items))
    return {
        doc["_id"]: int(doc["count"][0].get("n", 0)) if doc["count"] else 0
        for part in found
        for doc in part
    }


async def _whole(
    db: AsyncDatabase[Any], items: Sequence[str], first: int, project: Projection
) -> dict[str, WindowPage]:
    """Every comment on `items` (seen items with few), a query per `IN_CHUNK` items; the first
    `first` of each, oldest first."""

    async def chunk(ids: Sequence[str]) -> list[dict[str, Any]]:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"parent": {"$in": list(ids)}}},
            {"$match": {"kind": COMMENT}},
            {"$project": {**project, "parent": 1, TIME: 1}},
        ]
        return await (await db[CONTENT].aggregate(pipeline)).to_list()

    found = await gathered(chunk(ids) for ids in _chunks(items))
    rows: dict[str, list[dict[str, Any]]] = {item: [] for item in items}
    for part in found:
        for doc in part:
            rows[doc["parent"]].append(doc)
    pages = {}
    for item, docs in rows.items():
        docs.sort(key=lambda doc: (millis(doc[TIME]), doc["_id"]))
        pages[item] = WindowPage(docs[:first], len(docs) > first, clamp_width(None))
    return pages


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[start : start + IN_CHUNK] for start in range(0, len(ids), IN_CHUNK)]


def _branches(audience: Audience, prefix: Mapping[str, str], *, comments: bool) -> list[Branch]:
    """The audience's branches among items matching `prefix`, each on the index it needs.

    An owner whose every item the audience sees is one branch; otherwise each way an item is
    visible is one, and comments are read with their item, checked under the same audience
    by the server (a `$lookup` per comment of the range, in the same round trip).
    """
    kinds = None if comments else NOT_COMMENTS
    owner = prefix.get("owner")
    if owner is not None and owner in audience.owners:
        return [Branch(prefix, kinds)]
    shown = [
        *(Shown({"owner": other}) for other in sorted(audience.owners) if owner is None),
        *audience.branches,
    ]
    # Each way once (an account holder's own branch is also an owner's), none that `prefix`
    # rules out (another owner's).
    ways = {repr(way): way for way in shown}.values()
    branches = [
        Branch({**prefix, **way.equal}, _both(way.where, kinds))
        for way in ways
        if all(prefix.get(key, value) == value for key, value in way.equal.items())
    ]
    if comments:
        on_visible_items = [_item_lookup(audience), {"$match": {"_item.0": {"$exists": True}}}]
        theirs = {**prefix, "visibility": None}
        branches.append(Branch(theirs, {"kind": COMMENT}, on_visible_items))
    return branches


def _both(*conditions: Mapping[str, Any] | None) -> dict[str, Any] | None:
    present = [dict(condition) for condition in conditions if condition]
    if len(present) > 1:
        return {"$and": present}
    return present[0] if present else None


async def insert_content(db: AsyncDatabase[Any], doc: dict[str, Any]) -> None:
    """Store an item and count it (its owner's items, the rollups), together."""
    await retried(db, lambda session: insert_counted(db, CONTENT, doc, session))


async def update_own_content(
    db: AsyncDatabase[Any], owner: str, content_id: str, changes: dict[str, Any]
) -> bool:
    """Change an item `owner` owns; `False` when they own no such item."""
    result = await db[CONTENT].update_one({"_id": content_id, "owner": owner}, {"$set": changes})
    return result.matched_count == 1


async def delete_own_content(db: AsyncDatabase[Any], owner: str, content_id: str) -> bool:
    """Delete an item `owner` owns and the comments on it (they cannot be shown without it),
    with their counts.

    One transaction where the server has them; elsewhere comments go first, so a crash in
    between leaves the item, and deleting again finishes the job.
    """
    owned = {"_id": content_id, "owner": owner}

    async def delete(session: AsyncClientSession | None) -> bool:
        if await db[CONTENT].find_one(owned, {"_id": 1}, session=session) is None:
            return False
        await delete_in(db, CONTENT, {"parent": content_id}, session)
        await delete_in(db, CONTENT, owned, session)
        return True

    return await retried(db, delete)


async def detach_comments(db: AsyncDatabase[Any]) -> None:
    """Drop the audience copied onto comments before they followed their item (idempotent)."""
    await db[CONTENT].update_many(
        {
            "kind": COMMENT,
            "$or": [{"visibility": {"$ne": None}}, {"shared_with.0": {"$exists": True}}],
        },
        {"$set": {"visibility": None, "shared_with": []}},
    )
