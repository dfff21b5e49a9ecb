"""Revoked token ids (`jti`), kept until the token would have expired anyway."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import REVOKED_TOKENS


async def is_revoked(db: AsyncDatabase[Any], token_id: str) -> bool:
    return await db[REVOKED_TOKENS].find_one({"_id": token_id}, {"_id": 1}) is not None


async def revoke(db: AsyncDatabase[Any], token_id: str, expires_at: datetime) -> None:
    await db[REVOKED_TOKENS].update_one(
        {"_id": token_id}, {"$setOnInsert": {"expires_at": expires_at}}, upsert=True
    )
