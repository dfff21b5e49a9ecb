"""Reads of content items. Callers pass the caller's audience; this module never widens it.

Every read of items someone else may own goes through `visible_items`: one aggregation that
keeps items by their own audience and comments by their item's audience, checked by the server
against the item as it is now (a `$lookup` per candidate comment, inside the same round trip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from authz.visibility import COMMENT, NOT_COMMENTS, Audience
from resolvers.collections import CONTENT
from resolvers.pagination import NEWEST_FIRST, Page, Position
from resolvers.related import BATCH_SIZE
from resolvers.rollups import delete_in, insert_counted
from resolvers.transactions import retried

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
        {
            "$lookup": {
                "from": CONTENT,
                "localField": "parent",
                "foreignField": "_id",
                "pipeline": [{"$match": audience.items}, {"$project": {"_id": 1}}],
                "as": "_item",
            }
        },
        {"$match": {"$or": shown}},
    ]


async def visible_items(
    db: AsyncDatabase[Any],
    where: Mapping[str, Any],
    audience: Audience,
    project: Projection,
    sort: Sequence[tuple[str, int]] = NEWEST_FIRST,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Items matching `where` that `audience` sees, sorted, in one round trip."""
    match_where, match_audience, lookup, shown = _visible_stages(where, audience)
    pipeline = [match_where, match_audience, {"$sort": dict(sort)}, lookup, shown]
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
    after: Position | None,
    project: Projection,
) -> Page:
    """One page of the items (never comments) `audience` sees, newest first, reading one extra
    to know if more exist.

    With no comments there is no item to look up: the server sorts and limits before it
    projects, and reads nothing it will not return.
    """
    shown: dict[str, Any] = audience.items
    if audience.always is not None:
        shown = {"$or": [audience.items, audience.always]}
    conditions = [NOT_COMMENTS, shown, *([after.after_filter()] if after else [])]
    pipeline: list[dict[str, Any]] = [
        {"$match": {"$and": conditions}},
        {"$sort": dict(NEWEST_FIRST)},
        {"$limit": first + 1},
        {"$project": dict(project)},
    ]
    items = await (await db[CONTENT].aggregate(pipeline)).to_list()
    return Page(items=items[:first], has_next_page=len(items) > first)


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
