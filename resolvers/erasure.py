"""Erasing an account (GDPR Art. 17) as a resumable job: never half an account.

The job's state is stored before anything is erased, and every step is idempotent (a delete or
an overwrite that can run twice). A crash anywhere leaves an unfinished job that `resume_erasures`
(run at every start) finishes. One transaction would be simpler where the server has them, but
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
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.admin import end_access

log = logging.getLogger(__name__)

Step = Callable[[AsyncDatabase[Any], str, str], Awaitable[None]]


async def _lock_out(db: AsyncDatabase[Any], account: str, _: str) -> None:
    """No password, reset code, session or token works from the first step on."""
    await end_access(db, account, {"password_hash": None, "password_reset": None}, None)


async def _forget_sign_in_failures(db: AsyncDatabase[Any], account: str, _: str) -> None:
    """Lockout counters are keyed by username, which the job kept: last, so none comes after."""
    job = await db[c.ERASURES].find_one({"_id": account}, {"username": 1})
    if job and job.get("username"):
        prefix = "^" + re.escape(job["username"] + "|")
        await db[c.SIGN_IN_FAILURES].delete_many({"_id": {"$regex": prefix}})


def _delete_owned(collection: str, key: str) -> Step:
    async def step(db: AsyncDatabase[Any], account: str, _: str) -> None:
        await db[collection].delete_many({key: account})

    return step


async def _delete_comments_on_own_items(db: AsyncDatabase[Any], account: str, _: str) -> None:
    own = await db[c.CONTENT].distinct("_id", {"owner": account})
    if own:
        await db[c.CONTENT].delete_many({"parent": {"$in": own}})


async def _forget_shares(db: AsyncDatabase[Any], account: str, _: str) -> None:
    await db[c.CONTENT].update_many(
        {"$or": [{"shared_with": account}, {"recipients": account}]},
        {"$pull": {"shared_with": account, "recipients": account}},
    )


async def _pseudonymise_disclosures(db: AsyncDatabase[Any], account: str, alias: str) -> None:
    await db[c.DISCLOSURES].update_many({"subject": account}, {"$set": {"subject": alias}})
    await db[c.DISCLOSURES].update_many(
        {"principal_id": account}, {"$set": {"principal_id": alias}}
    )


async def _pseudonymise_audit(db: AsyncDatabase[Any], account: str, alias: str) -> None:
    await db[c.ADMIN_AUDIT].update_many({"subject": account}, {"$set": {"subject": alias}})
    await db[c.ADMIN_AUDIT].update_many({"actor": account}, {"$set": {"actor": alias}})


async def _pseudonymise_legal_requests(db: AsyncDatabase[Any], account: str, alias: str) -> None:
    async for request in db[c.LEGAL_REQUESTS].find({"subjects": account}, {"subjects": 1}):
        subjects = [alias if s == account else s for s in request["subjects"]]
        await db[c.LEGAL_REQUESTS].update_one(
            {"_id": request["_id"]}, {"$set": {"subjects": subjects}}
        )


#: In order; each runs at most once to completion, and running one again is harmless.
STEPS: tuple[tuple[str, Step], ...] = (
    ("lock_out", _lock_out),
    ("devices", _delete_owned(c.DEVICES, "account")),
    ("sign_ins", _delete_owned(c.SIGN_INS, "account")),
    ("notifications", _delete_owned(c.NOTIFICATIONS, "account")),
    ("mail_outbox", _delete_owned(c.MAIL_OUTBOX, "account")),
    ("consents", _delete_owned(c.CONSENTS, "subject")),
    ("support_cases", _delete_owned(c.SUPPORT_CASES, "subject")),
    ("comments_on_own_items", _delete_comments_on_own_items),
    ("content", _delete_owned(c.CONTENT, "owner")),
    ("shares", _forget_shares),
    ("disclosures", _pseudonymise_disclosures),
    ("admin_audit", _pseudonymise_audit),
    ("legal_requests", _pseudonymise_legal_requests),
    ("account", _delete_owned(c.ACCOUNTS, "_id")),
    ("sign_in_failures", _forget_sign_in_failures),
)


async def erase_account(db: AsyncDatabase[Any], account: str, now: datetime) -> None:
    """Erase `account` completely; safe to call again, and resumed after a crash."""
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
    await _run(db, account)


async def _run(db: AsyncDatabase[Any], account: str) -> None:
    job = await db[c.ERASURES].find_one({"_id": account})
    if job is None:
        return
    for name, step in STEPS:
        if name in job["done"]:
            continue
        await step(db, account, job["pseudonym"])
        await db[c.ERASURES].update_one({"_id": account}, {"$addToSet": {"done": name}})
        log.info("erasure step done", extra={"step": name, "pseudonym": job["pseudonym"]})
    # The job held the only link between the account id and its pseudonym: drop it.
    await db[c.ERASURES].delete_one({"_id": account})


async def resume_erasures(db: AsyncDatabase[Any]) -> int:
    """Finish every erasure a crash interrupted; how many there were."""
    # A job exists exactly while its erasure is unfinished: the last step deletes it.
    pending = await db[c.ERASURES].distinct("_id")
    for account in pending:
        log.warning("resuming an interrupted erasure")
        await _run(db, account)
    return len(pending)
