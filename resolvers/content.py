"""Reads of content items. Callers pass the visibility filter; this module never widens it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import CONTENT
from resolvers.pagination import NEWEST_FIRST, Page, Position


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
