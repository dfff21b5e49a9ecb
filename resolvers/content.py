"""Reads of content items. Callers pass the visibility filter; this module never widens it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import CONTENT
from resolvers.pagination import NEWEST_FIRST, Page, Position
from resolvers.transactions import atomic


async def find_content(
    db: AsyncDatabase[Any], content_id: str, visible: dict[str, Any], fields: Sequence[str]
) -> dict[str, Any] | None:
    query = {"$and": [{"_id": content_id}, visible]}
    return await db[CONTENT].find_one(query, dict.fromkeys(fields, 1))


async def content_page(
    db: AsyncDatabase[Any],
    where: dict[str, Any],
    first: int,
    after: Position | None,
    fields: Sequence[str],
) -> Page:
    """One page of items matching `where`, newest first, reading one extra to know if more exist."""
    conditions = [where, after.after_filter()] if after else [where]
    projection = dict.fromkeys(fields, 1)
    cursor = db[CONTENT].find({"$and": conditions}, projection).sort(NEWEST_FIRST).limit(first + 1)
    items = await cursor.to_list()
    return Page(items=items[:first], has_next_page=len(items) > first)


async def insert_content(db: AsyncDatabase[Any], doc: dict[str, Any]) -> None:
    await db[CONTENT].insert_one(doc)


async def update_own_content(
    db: AsyncDatabase[Any], owner: str, content_id: str, changes: dict[str, Any]
) -> bool:
    """Change an item `owner` owns; `False` when they own no such item."""
    result = await db[CONTENT].update_one({"_id": content_id, "owner": owner}, {"$set": changes})
    return result.matched_count == 1


async def delete_own_content(db: AsyncDatabase[Any], owner: str, content_id: str) -> bool:
    """Delete an item `owner` owns and the comments on it (they cannot be shown without it).

    One transaction where the server has them; elsewhere comments go first, so a crash in
    between leaves the item, and deleting again finishes the job.
    """
    async with atomic(db) as session:
        owned = {"_id": content_id, "owner": owner}
        if await db[CONTENT].find_one(owned, {"_id": 1}, session=session) is None:
            return False
        await db[CONTENT].delete_many({"parent": content_id}, session=session)
        await db[CONTENT].delete_one(owned, session=session)
    return True
