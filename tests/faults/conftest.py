"""A supervised embedded database of each fault test's own.

The faults are real: the database process is stopped (SIGSTOP), killed (SIGKILL) or made to
refuse; nothing is simulated in the gateway. Each scenario ends with a normal request that must
succeed, and `recorded` (`tests/faults/outages.py`) checks that no value of another account
left without its disclosure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from gateway.embedded import EmbeddedServer
from gateway.settings import Settings
from gateway.supervisor import Supervisor
from resolvers.collections import ensure_schema
from resolvers.demo_world import seed_demo_world
from tests.faults.outages import DATABASE_TIMEOUT, Supervised


@pytest.fixture
async def supervised(tmp_path: Path) -> AsyncIterator[Supervised]:
    """The demo world on an embedded database that is restarted when it dies, as `serve` does."""
    server = EmbeddedServer(tmp_path / "data", options=["--enable-test-commands"], stop_timeout=5)
    with server as uri, Supervisor(server, max_backoff=1.0):
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
        db = client["faults"]
        await ensure_schema(db)
        await seed_demo_world(db)
        settings = Settings(
            mongodb_uri=uri,
            database=db.name,
            data_dir=tmp_path,
            database_timeout_seconds=DATABASE_TIMEOUT,
        )
        try:
            yield Supervised(server, settings, db)
        finally:
            await client.close()
