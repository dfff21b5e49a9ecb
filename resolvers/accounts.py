"""Reads of accounts, by id, with the projection and filter the caller's access allows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS
from resolvers.related import BATCH_SIZE


async def accounts_by_id(
    db: AsyncDatabase[Any],
    ids: Sequence[str],
    fields: Iterable[str],
    where: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """The accounts among `ids` matching `where`, by id, reading only `fields`, in one query."""
    query = {"_id": {"$in": list(ids)}, **(where or {})}
    cursor = db[ACCOUNTS].find(query, dict.fromkeys(fields, 1)).batch_size(BATCH_SIZE)
    return {doc["_id"]: doc async for doc in cursor}
