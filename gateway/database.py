"""Where the database is: `MONGODB_URI` if set, otherwise an embedded server under the data dir."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.embedded import EmbeddedServer
from gateway.settings import Settings
from resolvers.collections import ensure_schema

T = TypeVar("T")


@contextmanager
def database_settings(settings: Settings) -> Iterator[Settings]:
    """The settings with a reachable `mongodb_uri`, starting (and later stopping) one if needed."""
    if settings.mongodb_uri:
        yield settings
        return
    with EmbeddedServer(settings.data_dir) as uri:
        yield settings.model_copy(update={"mongodb_uri": uri})


def run_with_database(settings: Settings, work: Callable[[AsyncDatabase[Any]], Awaitable[T]]) -> T:
    """Run `work` against the configured database (schema ensured) from synchronous code."""

    async def main() -> T:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            settings.mongodb_uri, tz_aware=True
        )
        try:
            db = client[settings.database]
            await ensure_schema(db)
            return await work(db)
        finally:
            await client.close()

    return asyncio.run(main())
