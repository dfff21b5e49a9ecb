"""Erasing an account (GDPR Art. 17) as a resumable job: never half an account.

The job's state is stored before anything is erased, and every step is idempotent (a delete or
an overwrite that can run twice). A crash anywhere leaves an unfinished job that `resume_erasures`
(run at start and periodically by every replica, `resolvers.jobs`) finishes, one runner at a
time (`resolvers.leases`). One transaction would be simpler where the server has them, but
an account with years of content can exceed a transaction's limits; the job works on every
server, a standalone embedded one included.

What the law requires is kept, pseudonymised: disclosure records, the admin audit and legal
requests keep a pseudonym in place of the account id, and nothing links the pseudonym back
once the job ends.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from itertools import groupby
from operator import attrgetter
from typing import Any, assert_never

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers import rollups
from resolvers.admin import end_access
from resolvers.leases import held

log = logging.getLogger(__name__)

Step = Callable[[AsyncDatabase[Any], str, str], Awaitable[None]]


async def _erase(db: AsyncDatabase[Any], row: c.Owned, account: str, alias: str) -> None:
    """Apply `row`'s erasure action to `account`; idempotent, like every step."""
    collection = db[row.collection]
    match row.erasure:
        case c.Erasure.LOCK:
            # No password, reset code, session or token works from the first step on.
            await end_access(db, account, {"password_hash": None, "password_reset": None}, None)
        case c.Erasure.DELETE:
            await _delete(db, row.collection, {row.key: account})
        case c.Erasure.DELETE_REPLIES:
            own = await collection.distinct("_id", {row.key: account})
            if own:
                await _delete(db, row.collection, {"parent": {"$in": own}})
        case c.Erasure.PULL:
            await collection.update_many({row.key: account}, {"$pull": {row.key: account}})
        case c.Erasure.PSEUDONYMISE:
            await _pseudonymise(db, row, account, alias)
        case c.Erasure.UNCOUNT:
            await rollups.uncount_account(db, account)
        case c.Erasure.FORGET_USERNAME:
            # Keyed by username, which the job kept: its step is last, so none comes after.
            job = await db[c.ERASURES].find_one({"_id": account}, {"username": 1})
            if job and job.get("username"):
                prefix = "^" + re.escape(job["username"] + "|")
                await collection.delete_many({row.key: {"$regex": prefix}})
        case _:
            assert_never(row.erasure)


async def _delete(db: AsyncDatabase[Any], collection: str, where: dict[str, Any]) -> None:
    """A counted document goes with its counts (`resolvers.rollups`), others simply go."""
    if collection in rollups.FIELDS:
        await rollups.delete_counted(db, collection, where)
    else:
        await db[collection].delete_many(where)


async def _pseudonymise(db: AsyncDatabase[Any], row: c.Owned, account: str, alias: str) -> None:
    """The account's id becomes `alias` where it stands, in one update the server applies to
    each document at once: a list of ids (`many`) shared by several people (one operation's
    disclosure record, a legal request) is never read and written back, or two erasures at
    once would each put back the other's real id."""
    collection = db[row.collection]
    if not row.many:
        await collection.update_many({row.key: account}, {"$set": {row.key: alias}})
        return
    await collection.update_many(
        {row.key: account},
        {"$set": {f"{row.key}.$[erased]": alias}},
        array_filters=[{"erased": account}],
    )


def _step(rows: tuple[c.Owned, ...]) -> Step:
    async def step(db: AsyncDatabase[Any], account: str, alias: str) -> None:
        for row in rows:
            await _erase(db, row, account, alias)

    return step


def steps(owned: Iterable[c.Owned]) -> tuple[tuple[str, Step], ...]:
    """One step per step name of `owned`, in its order (rows of one step are adjacent)."""
    return tuple(
        (name, _step(tuple(rows))) for name, rows in groupby(owned, key=attrgetter("step"))
    )


#: In order (that of `collections.OWNED`); each runs at most once to completion, and running
#: one again is harmless.
STEPS = steps(c.OWNED)


async def erase_account(db: AsyncDatabase[Any], account: str, now: datetime) -> None:
    """Erase `account` completely; safe to call again, and resumed after a crash.

    The lease is taken before the job is stored, so no replica resumes a job that is still
    being started; if a live process holds it already, that process finishes the erasure.
    """
    async with held(db, "erasure", account) as mine:
        if mine:
            await _start(db, account, now)
            await _steps(db, account)


async def _start(db: AsyncDatabase[Any], account: str, now: datetime) -> None:
    owner = await db[c.ACCOUNTS].find_one({"_id": account}, {"username": 1})
    await db[c.ERASURES].update_one(
        {"_id": account},
        {
            "$setOnInsert": {
                "username": owner["username"] if owner else None,
                "pseudonym": f"erased-{uuid.uuid4().hex[:16]}",
                "done": [],
                "started_at": now,
            }
        },
        upsert=True,
    )


async def _steps(db: AsyncDatabase[Any], account: str) -> None:
    job = await db[c.ERASURES].find_one({"_id": account})
    if job is None:
        return
    for name, step in STEPS:
        if name in job["done"]:
            continue
        await step(db, account, job["pseudonym"])
        await db[c.ERASURES].update_one({"_id": account}, {"$addToSet": {"done": name}})
        # The step only: every line carries its request id, which other lines tie to the
        # account, so a pseudonym here would link it back to the person.
        log.info("erasure step done", extra={"step": name})
    # The job held the only link between the account id and its pseudonym: drop it.
    await db[c.ERASURES].delete_one({"_id": account})


async def resume_erasures(db: AsyncDatabase[Any]) -> int:
    """Finish every erasure a crash interrupted and no live process runs; how many there were."""
    # A job exists exactly while its erasure is unfinished: the last step deletes it.
    pending = await db[c.ERASURES].distinct("_id")
    for account in pending:
        async with held(db, "erasure", account) as mine:
            if mine:
                await _steps(db, account)
                log.warning("resumed an interrupted erasure")
    return len(pending)
