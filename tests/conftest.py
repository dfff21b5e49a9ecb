"""Shared fixtures: one real database server for the whole run, one fresh database per test.

With `MONGODB_URI` set the suite runs against that server; otherwise it starts the embedded
SecantusDB once, as a child process, exactly as `serve` does. Nothing here is a fake.

The demo world is seeded once per run (`seed_demo_world`, which counts every document into
the rollups: about 4 s on SecantusDB) and each test's database gets a copy of what it wrote,
every collection, counters and rollup marks included (`insert_many`: a tenth of the time).
`tests/test_demo_copy.py` holds that the copy is what seeding writes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.embedded import EmbeddedServer
from gateway.settings import Settings
from resolvers.collections import ensure_schema
from resolvers.demo_world import seed_demo_world
from tests.client import GatewayClient, running
from tests.demo_world import copy_demo_world


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if uri := os.environ.get("MONGODB_URI"):
        yield uri
        return
    # Fail points (`configureFailPoint`) let tests break the token standing stream. Nothing
    # kills this server, so its commits need not survive a SIGKILL (the servers of
    # tests/test_embedded.py and tests/faults are crash-safe, as `serve`'s is).
    with EmbeddedServer(
        tmp_path_factory.mktemp("embedded"), options=["--enable-test-commands"], crash_safe=False
    ) as uri:
        yield uri


@pytest.fixture(scope="session")
async def mongo(mongo_uri: str) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
async def db(mongo: AsyncMongoClient[dict[str, Any]]) -> AsyncIterator[AsyncDatabase[Any]]:
    database = mongo[f"test_{uuid.uuid4().hex[:12]}"]
    await ensure_schema(database)
    yield database
    await mongo.drop_database(database.name)


@pytest.fixture(scope="session")
async def demo_world(mongo: AsyncMongoClient[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Every document `seed_demo_world` writes into a fresh database, by collection."""
    template = mongo[f"demo_{uuid.uuid4().hex[:12]}"]
    await ensure_schema(template)
    await seed_demo_world(template)
    written = {
        name: await template[name].find().to_list()
        for name in await template.list_collection_names()
    }
    await mongo.drop_database(template.name)
    return {name: documents for name, documents in written.items() if documents}


@pytest.fixture
async def demo_db(
    db: AsyncDatabase[Any], demo_world: dict[str, list[dict[str, Any]]]
) -> AsyncDatabase[Any]:
    return await copy_demo_world(db, demo_world)


@pytest.fixture
def settings(mongo_uri: str, db: AsyncDatabase[Any], tmp_path: Path) -> Settings:
    return Settings(mongodb_uri=mongo_uri, database=db.name, data_dir=tmp_path)


@pytest.fixture
async def gateway(settings: Settings, demo_db: AsyncDatabase[Any]) -> AsyncIterator[GatewayClient]:
    async with running(settings) as client:
        yield client
