"""One runner at a time for each resumable job, through a lease in the database.

A job (an erasure, a policy version's notices, a rollups rebuild) is run by whichever process
holds its lease: a document naming the holder and until when it holds. The holder renews it
every `RENEW_SECONDS`; a process that dies (`kill -9`) stops renewing, and once the lease has
expired any replica may take it and resume the job (`resolvers.jobs`). Jobs are idempotent, so
a holder that stalled past its lease and runs on beside the new one does no harm, and it stops
at its next renewal.

Expiry is judged on each process's own clock: clocks skewed by more than
`LEASE - RENEW_SECONDS` could take a live holder's lease (harmless, as said, but not one runner).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from resolvers.background import stop
from resolvers.collections import JOB_LEASES

log = logging.getLogger(__name__)

#: How long a lease holds without renewal: a dead holder's job waits this long at most.
LEASE = timedelta(seconds=10)
RENEW_SECONDS = 3.0

#: This process, as a lease holder: host, process id, and a random part for reused ids.
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_id(kind: str, job: str) -> str:
    """A job's lease id; the job's own id is hashed, as it may be an account id."""
    return f"{kind}:{hashlib.blake2b(job.encode(), digest_size=16).hexdigest()}"


@asynccontextmanager
async def held(db: AsyncDatabase[Any], kind: str, job: str) -> AsyncIterator[bool]:
    """Hold the job's lease while inside: yields whether this process got it (`False`: a
    live process holds it, and this one must not run the job). Should the lease be lost
    (renewal finds another holder), the work inside is cancelled and the block left."""
    lease = lease_id(kind, job)
    if not await _claim(db, lease):
        yield False
        return
    task = asyncio.current_task()
    assert task is not None
    lost, renewing = asyncio.Event(), asyncio.Event()
    renewing.set()
    renewer = asyncio.create_task(_renew(db, lease, task, lost, renewing))
    try:
        yield True
    except asyncio.CancelledError:
        if not lost.is_set():
            raise
        task.uncancel()
        log.warning("a job's lease was taken by another process", extra={"job": kind})
    finally:
        await stop(renewer, renewing)
        if not lost.is_set():
            with suppress(PyMongoError):
                await db[JOB_LEASES].delete_one({"_id": lease, "owner": OWNER})


async def _claim(db: AsyncDatabase[Any], lease: str) -> bool:
    """Take the lease if nobody holds it or its holder let it expire."""
    now = datetime.now(UTC)
    holding = {"owner": OWNER, "expires_at": now + LEASE}
    try:
        await db[JOB_LEASES].insert_one({"_id": lease, **holding})
        return True
    except DuplicateKeyError:
        taken = await db[JOB_LEASES].find_one_and_update(
            {"_id": lease, "expires_at": {"$lt": now}}, {"$set": holding}
        )
        if taken is not None:
            log.warning("took over the expired lease of a job", extra={"job": lease})
        return taken is not None


async def _renew(
    db: AsyncDatabase[Any],
    lease: str,
    task: asyncio.Task[Any],
    lost: asyncio.Event,
    renewing: asyncio.Event,
) -> None:
    while renewing.is_set():
        await asyncio.sleep(RENEW_SECONDS)
        try:
            renewed = await db[JOB_LEASES].update_one(
                {"_id": lease, "owner": OWNER},
                {"$set": {"expires_at": datetime.now(UTC) + LEASE}},
            )
        except PyMongoError:
            continue  # tried again; should the lease expire meanwhile, the next try finds out
        if renewed.matched_count == 0 and renewing.is_set():
            lost.set()
            task.cancel()
            return
