"""Resuming interrupted jobs: at start, then periodically, by every replica.

Each job runs under its lease (`resolvers.leases`), so however many replicas look at once,
one runs it; a job whose runner died is resumed by the first replica that looks after its
lease expired, without waiting for a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import erasure, leases, policy_versions, rollup_rebuild
from resolvers.background import closed, stop

log = logging.getLogger(__name__)

APP_NAME = "imoox-jobs"
#: How often a replica looks for jobs to resume: a dead runner's job waits at most
#: `leases.LEASE` plus this.
RESUME_SECONDS = leases.LEASE.total_seconds() / 2


async def resume(db: AsyncDatabase[Any]) -> None:
    """Resume every interrupted job whose lease is free."""
    await erasure.resume_erasures(db)
    await policy_versions.resume_publications(db)
    await rollup_rebuild.resume_rebuild(db)


@asynccontextmanager
async def resuming(uri: str, database: str) -> AsyncIterator[None]:
    """`resume` every `RESUME_SECONDS` while inside, on a client of its own (appName
    `imoox-jobs`): listeners on the gateway's client see only what requests do."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        uri, appname=APP_NAME, tz_aware=True
    )
    running = asyncio.Event()
    running.set()
    task = asyncio.create_task(_resume_forever(client[database], running))
    try:
        yield
    finally:
        await stop(task, running)
        await closed(client)


async def _resume_forever(db: AsyncDatabase[Any], running: asyncio.Event) -> None:
    while running.is_set():
        await asyncio.sleep(RESUME_SECONDS)
        try:
            await resume(db)
        except Exception:  # a job that fails now is tried again at the next look
            log.exception("resuming jobs failed; trying again later")
