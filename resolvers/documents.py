"""The reads every collection shares: a document by its id, and whose it is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

#: A filter no document matches: what a caller with no claim to a collection reads or writes.
NOTHING: dict[str, Any] = {"_id": {"$in": []}}
#: The server's code for a write refused because its `_id` (or a unique key) exists.
DUPLICATE_KEY = 11000


async def by_id(
    db: AsyncDatabase[Any], collection: str, doc_id: str, fields: Iterable[str] | None = None
) -> dict[str, Any] | None:
    projection = dict.fromkeys(fields, 1) if fields is not None else None
    doc: dict[str, Any] | None = await db[collection].find_one({"_id": doc_id}, projection)
    return doc


async def subject_of(db: AsyncDatabase[Any], collection: str, doc_id: str) -> str | None:
    """Whose a document is (a consent's, a support case's): its `subject`, if it exists."""
    doc = await by_id(db, collection, doc_id, ["subject"])
    return doc["subject"] if doc else None
