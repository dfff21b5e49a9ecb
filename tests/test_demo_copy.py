"""The `demo_db` fixture's copy of the demo world is what seeding writes (`tests/conftest.py`)."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import LEGAL_REQUESTS, ensure_schema
from resolvers.demo_world import seed_demo_world

#: Written at the time of seeding: the copy's are the run's.
SEEDED_NOW = {LEGAL_REQUESTS: ("registered_at", "expires_at")}


async def _contents(db: AsyncDatabase[Any]) -> dict[str, list[dict[str, Any]]]:
    contents = {}
    for name in sorted(await db.list_collection_names()):
        documents = await db[name].find().sort("_id", 1).to_list()
        for document in documents:
            for key in SEEDED_NOW.get(name, ()):
                document.pop(key)
        contents[name] = documents
    return contents


async def test_the_copy_is_what_seeding_writes(
    demo_db: AsyncDatabase[Any], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    seeded = mongo[f"test_{uuid.uuid4().hex[:12]}"]
    try:
        await ensure_schema(seeded)
        inserted = await seed_demo_world(seeded)
        assert sum(inserted.values()) > 200
        # Seeding the copy again finds nothing missing, as on a seeded database.
        assert await seed_demo_world(demo_db) == dict.fromkeys(inserted, 0)
        assert await _contents(demo_db) == await _contents(seeded)
    finally:
        await mongo.drop_database(seeded.name)
