"""Institution domains (a university, a company) whose members use IMOOX."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, COUNTERS, DOMAINS
from resolvers.related import BATCH_SIZE


@dataclass(frozen=True, slots=True)
class MemberPage:
    #: The page's member documents, in id order, each with the fields asked for.
    members: list[dict[str, Any]]
    has_next_page: bool
    #: The last member the filters were tested on (`None`: every member after the cursor).
    tested_through: str | None

    @property
    def ids(self) -> list[str]:
        return [member["_id"] for member in self.members]


async def member_page(
    db: AsyncDatabase[Any],
    domain_id: str,
    first: int,
    after: str | None,
    fields: Iterable[str],
    status: str | None = None,
    username_prefix: str | None = None,
) -> MemberPage:
    """A page of a domain's members in id order (a PUBLIC field, so the order itself tells
    nothing), reading only `fields` of each, and whether more follow, in one query; `after`
    is the last id seen."""
    query: dict[str, Any] = {"domain": domain_id}
    if status:
        query["status"] = status
    if username_prefix:
        query["username"] = {"$regex": "^" + re.escape(username_prefix)}
    if after:
        query["_id"] = {"$gt": after}
    cursor = db[ACCOUNTS].find(query, dict.fromkeys(fields, 1)).sort("_id", 1).limit(first + 1)
    docs = await cursor.to_list()
    more = len(docs) > first
    return MemberPage(docs[:first], more, docs[-1]["_id"] if more else None)


async def members_between(
    db: AsyncDatabase[Any], domain_id: str, after: str | None, through: str | None
) -> list[str]:
    """Ids of the members after `after` up to `through` (to the last one when `None`)."""
    ids: dict[str, str] = {}
    if after:
        ids["$gt"] = after
    if through:
        ids["$lte"] = through
    query: dict[str, Any] = {"domain": domain_id, **({"_id": ids} if ids else {})}
    found = db[ACCOUNTS].find(query, {"_id": 1}).batch_size(BATCH_SIZE)
    return [doc["_id"] async for doc in found]


async def find_domain(
    db: AsyncDatabase[Any], domain_id: str, *, with_stats: bool
) -> dict[str, Any] | None:
    """A domain's id and name; `with_stats`, its members' numbers too (`stats`: members, per
    status, and apps installed), read from its counter (`resolvers.rollups`) in the same
    round trip."""
    counter = {"$concat": ["domain|", "$_id"]}
    pipeline: list[dict[str, Any]] = [
        {"$match": {"_id": domain_id}},
        {"$project": {"name": 1, **({"counter": counter} if with_stats else {})}},
    ]
    if with_stats:
        # By `localField`: the counter is looked up by its id (index), not matched in a scan.
        lookup = {"from": COUNTERS, "localField": "counter", "foreignField": "_id", "as": "stats"}
        pipeline.append({"$lookup": lookup})
    found = await (await db[DOMAINS].aggregate(pipeline)).to_list()
    if not found:
        return None
    domain: dict[str, Any] = found[0]
    if with_stats:
        counted = domain["stats"][0] if domain["stats"] else {}
        domain["stats"] = {name: counted.get(name, 0) for name in _STATS}
    return domain


_STATS = ("members", "ACTIVE", "SUSPENDED", "BLOCKED", "apps_installed")
