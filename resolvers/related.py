"""Documents that belong to other documents (an account's devices, an item's comments), batched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

#: Documents per cursor batch: a batched list of up to this many rows is one round trip.
BATCH_SIZE = 1000


async def related_by(
    db: AsyncDatabase[Any],
    collection: str,
    key: str,
    values: Sequence[str],
    where: Mapping[str, Any] | None = None,
    sort: Sequence[tuple[str, int]] = (("_id", 1),),
    fields: Sequence[str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Every document whose `key` is one of `values` (and matches `where`), grouped by `key`."""
    grouped: dict[str, list[dict[str, Any]]] = {value: [] for value in values}
    query = {key: {"$in": list(values)}, **(where or {})}
    projection = dict.fromkeys([*fields, key], 1) if fields else None
    cursor = db[collection].find(query, projection).sort(list(sort)).batch_size(BATCH_SIZE)
    async for doc in cursor:
        grouped[doc[key]].append(doc)
    return grouped
