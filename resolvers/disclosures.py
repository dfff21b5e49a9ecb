"""Storage of disclosure records: written in bulk, kept when an account is erased."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import DISCLOSURES


async def record_disclosures(db: AsyncDatabase[Any], records: Sequence[dict[str, Any]]) -> None:
    await db[DISCLOSURES].insert_many(list(records), ordered=False)
