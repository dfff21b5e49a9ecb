"""Legal requests: registered by compliance staff, in force until they expire or are closed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import LEGAL_REQUESTS


async def register(
    db: AsyncDatabase[Any],
    *,
    type_: str,
    legal_basis: str,
    authority: str,
    subjects: Sequence[str],
    fields: Sequence[str],
    expires_at: datetime,
    registered_by: str,
    now: datetime,
) -> str:
    request_id = f"lr-{uuid.uuid4().hex[:20]}"
    await db[LEGAL_REQUESTS].insert_one(
        {
            "_id": request_id,
            "authority": authority,
            "type": type_,
            "legal_basis": legal_basis,
            "subjects": list(subjects),
            "fields": list(fields),
            "status": "APPROVED",
            "registered_by": registered_by,
            "registered_at": now,
            "expires_at": expires_at,
            "closed_at": None,
        }
    )
    return request_id


async def close(db: AsyncDatabase[Any], request_id: str, now: datetime) -> bool:
    result = await db[LEGAL_REQUESTS].update_one(
        {"_id": request_id, "status": "APPROVED"},
        {"$set": {"status": "CLOSED", "closed_at": now}},
    )
    return result.matched_count == 1


async def counts_by_type(
    db: AsyncDatabase[Any], since: datetime, until: datetime
) -> dict[str, int]:
    pipeline: list[dict[str, Any]] = [
        {"$match": {"registered_at": {"$gte": since, "$lt": until}}},
        {"$group": {"_id": "$type", "n": {"$sum": 1}}},
    ]
    return {row["_id"]: row["n"] async for row in await db[LEGAL_REQUESTS].aggregate(pipeline)}
