"""Institution domains (a university, a company) whose members use IMOOX."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import DOMAINS


async def domain_by_id(db: AsyncDatabase[Any], domain_id: str) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = await db[DOMAINS].find_one({"_id": domain_id})
    return doc
