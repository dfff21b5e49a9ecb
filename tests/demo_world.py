"""Copying the demo world (SPEC §9), seeded once per run in `tests/conftest.py`, into a test's own
database."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase


async def copy_demo_world(
    db: AsyncDatabase[Any], demo_world: dict[str, list[dict[str, Any]]]
) -> AsyncDatabase[Any]:
    for name, documents in demo_world.items():
        await db[name].insert_many([dict(document) for document in documents])
    return db
