"""Documents that belong to other documents (an account's devices, an item's comments), batched."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

#: Documents per cursor batch: a batched list of up to this many rows is one round trip.
BATCH_SIZE = 1000

#: Keys per `$in` read. SecantusDB checks every row it finds against the whole list, so one
#: read of n keys costs it n² comparisons: 10 `_id`s 1.9 ms of its CPU, 100 28 ms, 1,000 about
#: 2 s. A page (up to 100 rows) stays one read; a longer list is read in chunks of this size.
IN_CHUNK = 100


def in_chunks(values: Sequence[str]) -> Iterator[list[str]]:
    """`values`, each once, in lists of at most `IN_CHUNK`: one `$in` read each."""
    distinct = list(dict.fromkeys(values))
    for start in range(0, len(distinct), IN_CHUNK):
        yield distinct[start : start + IN_CHUNK]


async def related_by(
    db: AsyncDatabase[Any],
    collection: str,
    key: str,
    values: Sequence[str],
    where: Mapping[str, Any] | None = None,
    sort: Sequence[tuple[str, int]] = (("_id", 1),),
    fields: Sequence[str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Every document whose `key` is one of `values` (and matches `where`), grouped by `key`.

    Each value's documents come from one chunk's read, so each group keeps the read's order."""
    grouped: dict[str, list[dict[str, Any]]] = {value: [] for value in values}
    projection = dict.fromkeys([*fields, key], 1) if fields else None
    for chunk in in_chunks(values):
        query = {key: {"$in": chunk}, **(where or {})}
        cursor = db[collection].find(query, projection).sort(list(sort)).batch_size(BATCH_SIZE)
        async for doc in cursor:
            grouped[doc[key]].append(doc)
    return grouped


async def count_by(
    db: AsyncDatabase[Any],
    collection: str,
    key: str,
    values: Sequence[str],
    where: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """How many documents each of `values` has, counted by the server, one aggregation a chunk."""
    counts = {value: 0 for value in values}
    for chunk in in_chunks(values):
        pipeline = [
            {"$match": {key: {"$in": chunk}, **(where or {})}},
            {"$group": {"_id": f"${key}", "count": {"$sum": 1}}},
        ]
        async for row in await db[collection].aggregate(pipeline):
            counts[row["_id"]] = row["count"]
    return counts
