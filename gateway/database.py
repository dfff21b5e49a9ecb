"""Where the database is: `MONGODB_URI` if set, otherwise an embedded server under the data dir."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, MongoClient, uri_parser
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    ConfigurationError,
    InvalidURI,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from gateway.embedded import EmbeddedServer
from gateway.settings import Settings
from gateway.supervisor import Supervisor
from resolvers.background import closed
from resolvers.collections import ensure_schema

T = TypeVar("T")


class DatabaseUnreachable(RuntimeError):
    """`MONGODB_URI` is malformed or names a server that does not answer."""


@contextmanager
def database_settings(settings: Settings, *, supervise: bool = False) -> Iterator[Settings]:
    """The settings with a reachable `mongodb_uri`, starting (and later stopping) one if needed.

    `supervise` (serving): an embedded database that dies is started again (`Supervisor`).
    An external one (`MONGODB_URI`) is its operator's to keep running.
    """
    if settings.mongodb_uri:
        check_reachable(settings.mongodb_uri, settings.database_timeout_seconds)
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


def check_reachable(uri: str, timeout_seconds: float) -> None:
    """Fail now, in one sentence, if the database cannot be used: not later, in a traceback.

    The messages name the hosts, never the URI itself (it may hold a password).
    """
    try:
        hosts = ", ".join(f"{host}:{port}" for host, port in uri_parser.parse_uri(uri)["nodelist"])
    except (InvalidURI, ConfigurationError, ValueError) as error:
        raise DatabaseUnreachable(
            f"MONGODB_URI is not a MongoDB connection string: {error}"
        ) from None
    client: MongoClient[dict[str, Any]] = MongoClient(
        uri,
        serverSelectionTimeoutMS=int(timeout_seconds * 1000),
        timeoutMS=int(timeout_seconds * 1000),
    )
    try:
        client.admin.command("ping")
    except PyMongoError as error:
        reason = (
            f"no answer within {timeout_seconds:g} s; check that it runs, and the URI's host"
            " and port"
            if isinstance(error, ServerSelectionTimeoutError)
            else str(error)
        )
        raise DatabaseUnreachable(
            f"Cannot use the database at {hosts} (MONGODB_URI): {reason}."
        ) from None
    finally:
        client.close()


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
            await closed(client)

    return asyncio.run(main())
