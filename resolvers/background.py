"""Stopping a background task, and closing a client, without hanging on the database."""

from __future__ import annotations

import asyncio
from typing import Any

import pymongo
from pymongo import AsyncMongoClient

#: How long a stopping task may take to end.
STOP_SECONDS = 5.0
#: How long closing a client may wait for the database to end the client's sessions.
CLOSE_SECONDS = 1.0


async def stop(
    task: asyncio.Task[Any], running: asyncio.Event, client: AsyncMongoClient[Any] | None = None
) -> None:
    """Clear `running` (the task's loop checks it) and cancel the task, then wait for it at
    most `STOP_SECONDS`: PyMongo's retried operations can absorb a cancellation, and a
    shutdown must not hang on one. A task still busy then ends at its loop's next check.

    `client`, the task's own, is closed before the wait: a read the driver went on with after
    the cancellation then fails at its next round instead of running until the wait ends."""
    running.clear()
    task.cancel()
    if client is not None:
        await closed(client)
    await asyncio.wait([task], timeout=STOP_SECONDS)


async def closed(client: AsyncMongoClient[Any]) -> None:
    """Close `client`, giving a stalled or gone database `CLOSE_SECONDS` at most.

    PyMongo first ends the client's sessions on the server (`endSessions`), waiting for a
    server as long as selection allows (30 s by default) and for its answer without a bound:
    a shutdown then hung for as long. Ending them is a courtesy (the server drops idle
    sessions after 30 minutes), so a deadline may cut it short."""
    with pymongo.timeout(CLOSE_SECONDS):
        await client.close()
