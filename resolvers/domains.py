"""Institution domains (a university, a company) whose members use IMOOX."""

from __future__ import annotations

import re
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS


async def member_ids(
    db: AsyncDatabase[Any],
    domain_id: str,
    first: int,
    after: str | None,
    status: str | None = None,
    username_prefix: str | None = None,
) -> tuple[list[str], bool]:
    """A page of a domain's member ids in username order, and whether more follow.

    Filters are exact (status) or anchored prefixes (username), so the `username` index serves
    them; `after` is the last username seen, so pages neither skip nor repeat members.
    """
    query: dict[str, Any] = {"domain": domain_id}
    if status:
        query["status"] = status
    username: dict[str, Any] = {}
    if username_prefix:
        username["$regex"] = "^" + re.escape(username_prefix)
    if after:
        username["$gt"] = after
    if username:
        query["username"] = username
    cursor = db[ACCOUNTS].find(query, {"username": 1}).sort("username", 1).limit(first + 1)
    docs = await cursor.to_list()
    return [doc["_id"] for doc in docs[:first]], len(docs) > first


async def usernames_of(db: AsyncDatabase[Any], ids: list[str]) -> dict[str, str]:
    cursor = db[ACCOUNTS].find({"_id": {"$in": ids}}, {"username": 1})
    return {doc["_id"]: doc["username"] async for doc in cursor}


async def domain_stats(db: AsyncDatabase[Any], domain_id: str) -> dict[str, int]:
    """Members by status and apps installed, counted by the server in one aggregation."""
    pipeline: list[dict[str, Any]] = [
        {"$match": {"domain": domain_id}},
        {
            "$group": {
                "_id": "$status",
                "members": {"$sum": 1},
                "apps": {"$sum": {"$ifNull": ["$stats.apps_installed", 0]}},
            }
        },
    ]
    stats = {"members": 0, "ACTIVE": 0, "SUSPENDED": 0, "BLOCKED": 0, "apps_installed": 0}
    async for row in await db[ACCOUNTS].aggregate(pipeline):
        stats["members"] += row["members"]
        stats[row["_id"]] = row["members"]
        stats["apps_installed"] += row["apps"]
    return stats
