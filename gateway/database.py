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
from gateway.supervisor import Supervisor
from resolvers.collections import ensure_schema

T = TypeVar("T")


@contextmanager
def database_settings(settings: Settings, *, supervise: bool = False) -> Iterator[Settings]:
    """The settings with a reachable `mongodb_uri`, starting (and later stopping) one if needed.

    `supervise` (serving): an embedded database that dies is started again (`Supervisor`).
    An external one (`MONGODB_URI`) is its operator's to keep running.
    """
    if settings.mongodb_uri:
        yield settings
        return
    server = EmbeddedServer(settings.data_dir)
    with server as uri:
        ready = settings.model_copy(update={"mongodb_uri": uri})
        if not supervise:
            yield ready
            return
        with Supervisor(server, max_backoff=settings.database_restart_max_backoff_seconds):
            yield ready


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
