"""Reads of accounts, batched by id with a projection of just the fields to be returned."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS


async def accounts_by_id(
    db: AsyncDatabase[Any], ids: Sequence[str], fields: Iterable[str]
) -> list[dict[str, Any] | None]:
    """The accounts for `ids`, in order (None where missing), in one round trip."""
    projection = dict.fromkeys(fields, 1)
    found = {
        doc["_id"]: doc
        async for doc in db[ACCOUNTS].find({"_id": {"$in": list(set(ids))}}, projection)
    }
    return [found.get(account_id) for account_id in ids]
