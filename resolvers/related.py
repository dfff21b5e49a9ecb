"""Documents that belong to other documents (an account's sign-ins, devices, records), read a
page at a time.

Each account's page is its own query, on an index that leads with the account and then the
list's time: at most `first + 1` rows leave the server, newest first. Pages of many accounts
(a members page selecting each member's sign-ins) run concurrently, one query per account:
a `$in` over the accounts, or a `$group` keeping each one's newest, reads every row of every
account on SecantusDB (`$group` on any server).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Documents per cursor batch: a batched list of up to this many rows is one round trip.
BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class SubList:
    """One kind of per-account list: where its rows are, whose they are, and their time."""

    collection: str
    #: The field naming the account the row belongs to.
    key: str
    #: The field the list is ordered by, newest first (ties: `_id`, highest first).
    time: str

    @property
    def order(self) -> list[tuple[str, int]]:
        return [(self.time, -1), ("_id", -1)]


@dataclass(frozen=True, slots=True)
class After:
    """The last row a client saw: its time and id."""

    at: datetime
    id: str

    @classmethod
    def of(cls, sub_list: SubList, doc: Mapping[str, Any]) -> After:
        at: datetime = doc[sub_list.time]
        return cls(at if at.tzinfo else at.replace(tzinfo=UTC), doc["_id"])

    @classmethod
    def at_millis(cls, millis: int, row_id: str) -> After:
        return cls(EPOCH + timedelta(milliseconds=millis), row_id)

    @property
    def millis(self) -> int:
        """Stored times are whole milliseconds: counted exactly, without a float between."""
        return (self.at - EPOCH) // timedelta(milliseconds=1)


async def newest_pages(
    db: AsyncDatabase[Any],
    sub_list: SubList,
    values: Sequence[str],
    first: int,
    after: After | None = None,
    where: Mapping[str, Any] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The newest `first` rows (after `after`) of each of `values`, concurrently."""
    pages = await asyncio.gather(
        *(newest_page(db, sub_list, value, first, after, where) for value in values)
    )
    return dict(zip(values, pages, strict=True))


async def newest_page(
    db: AsyncDatabase[Any],
    sub_list: SubList,
    value: str,
    first: int,
    after: After | None = None,
    where: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The newest `first` rows of one account after `after`, matching `where`.

    No `$or` (a collection scan on SecantusDB): rows of the cursor's own time after its id,
    and older rows, are two queries on the same index, the first an equality on the time.
    """
    if first == 0:
        return []
    query = both({sub_list.key: value}, where or {})
    if after is None:
        return await _read(db, sub_list, query, first)
    same = both(query, {sub_list.time: after.at, "_id": {"$lt": after.id}})
    older = both(query, {sub_list.time: {"$lt": after.at}})
    pages = await asyncio.gather(
        _read(db, sub_list, same, first),
        _read(db, sub_list, older, first),
    )
    return [*pages[0], *pages[1]][:first]


def both(query: Mapping[str, Any], more: Mapping[str, Any]) -> dict[str, Any]:
    """Documents matching `query` and `more`, without a top-level `$and` (which SecantusDB
    plans as a collection scan): conditions on one field become one operator document.

    A field both constrain must hold operators in both, none of them the same: a
    condition is never replaced (`NOTHING` stays nothing whatever the cursor says).
    """
    merged = dict(query)
    for name, condition in more.items():
        if name not in merged:
            merged[name] = condition
            continue
        mine, theirs = _operators(merged[name]), _operators(condition)
        if mine.keys() & theirs.keys():
            raise ValueError(f"two conditions of one kind on {name}")
        merged[name] = {**mine, **theirs}
    return merged


def _operators(condition: Any) -> dict[str, Any]:
    """A condition as operators: `value` is `{"$eq": value}`."""
    if isinstance(condition, Mapping) and condition and all(k.startswith("$") for k in condition):
        return dict(condition)
    return {"$eq": condition}


async def _read(
    db: AsyncDatabase[Any],
    sub_list: SubList,
    query: Mapping[str, Any],
    first: int,
) -> list[dict[str, Any]]:
    cursor = db[sub_list.collection].find(query).sort(sub_list.order).limit(first)
    return await cursor.to_list()


async def count_by(
    db: AsyncDatabase[Any],
    collection: str,
    key: str,
    values: Sequence[str],
    where: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """How many documents each of `values` has, counted by the server in one aggregation."""
    pipeline = [
        {"$match": {key: {"$in": list(values)}, **(where or {})}},
        {"$group": {"_id": f"${key}", "count": {"$sum": 1}}},
    ]
    counts = {value: 0 for value in values}
    async for row in await db[collection].aggregate(pipeline):
        counts[row["_id"]] = row["count"]
    return counts
