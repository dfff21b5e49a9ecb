"""Policy versions: publishing one notifies every account, in batches, resumably.

The version is stored first, with a cursor (the last account notified); each batch upserts
notifications whose ids derive from the version and the account, then advances the cursor.
A crash between the two repeats one batch, which changes nothing the second time, and
`resume_publications` (run at start and periodically by every replica, `resolvers.jobs`)
finishes what was interrupted, one runner at a time (`resolvers.leases`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, NOTIFICATIONS, POLICY_VERSIONS
from resolvers.documents import by_id
from resolvers.leases import held

log = logging.getLogger(__name__)

NOTIFY_BATCH = 500


async def latest(db: AsyncDatabase[Any]) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = await db[POLICY_VERSIONS].find_one({}, sort=[("version", -1)])
    return doc


async def publish(
    db: AsyncDatabase[Any], summary: str, reason: str, published_by: str, now: datetime
) -> str:
    """Store the next version and notify every account; returns the version's id.

    Two publications racing for one number cannot both be stored: the id is unique. The
    lease is taken before the version is stored, so no replica resumes a publication that is
    still being started.
    """
    current = await latest(db)
    version = (current["version"] if current else 0) + 1
    version_id = f"policy-v{version}"
    async with held(db, "policy-notices", version_id) as mine:
        await _store(db, version_id, version, summary, reason, published_by, now)
        if mine:
            await _notify_rest(db, version_id)
    return version_id


async def _store(
    db: AsyncDatabase[Any],
    version_id: str,
    version: int,
    summary: str,
    reason: str,
    published_by: str,
    now: datetime,
) -> None:
    """Store the version, to be notified; of two racing for its number, one fails here."""
    await db[POLICY_VERSIONS].insert_one(
        {
            "_id": version_id,
            "version": version,
            "summary": summary,
            "reason": reason,
            "published_by": published_by,
            "published_at": now,
            "state": "NOTIFYING",
            "notified_through": "",
            "notified": 0,
        }
    )


async def _notify_rest(db: AsyncDatabase[Any], version_id: str) -> None:
    publication = await by_id(db, POLICY_VERSIONS, version_id)
    assert publication is not None
    if publication["state"] != "NOTIFYING":  # finished by the lease's previous holder
        return
    message = f"Our privacy policy changed (version {publication['version']}): "
    message += publication["summary"]
    cursor_id = publication["notified_through"]
    notified = publication["notified"]
    while True:
        batch = await (
            db[ACCOUNTS]
            .find({"_id": {"$gt": cursor_id}}, {"_id": 1})
            .sort("_id", 1)
            .limit(NOTIFY_BATCH)
            .to_list()
        )
        if not batch:
            break
        await db[NOTIFICATIONS].bulk_write(
            [
                UpdateOne(
                    {"_id": f"{version_id}:{doc['_id']}"},
                    {
                        "$setOnInsert": {
                            "account": doc["_id"],
                            "kind": "POLICY_UPDATED",
                            "message": message,
                            "created_at": publication["published_at"],
                            "read": False,
                        }
                    },
                    upsert=True,
                )
                for doc in batch
            ],
            ordered=False,
        )
        cursor_id = batch[-1]["_id"]
        notified += len(batch)
        await db[POLICY_VERSIONS].update_one(
            {"_id": version_id},
            {"$set": {"notified_through": cursor_id, "notified": notified}},
        )
        log.info(
            "policy version notifications",
            extra={"version": publication["version"], "notified": notified},
        )
    # The cursor is an account id: kept past the job, it would outlive that account's erasure.
    await db[POLICY_VERSIONS].update_one(
        {"_id": version_id},
        {"$set": {"state": "PUBLISHED"}, "$unset": {"notified_through": ""}},
    )


async def resume_publications(db: AsyncDatabase[Any]) -> int:
    """Finish notifying for every publication a crash interrupted; how many there were."""
    pending = await db[POLICY_VERSIONS].distinct("_id", {"state": "NOTIFYING"})
    for version_id in pending:
        async with held(db, "policy-notices", version_id) as mine:
            if mine:
                await _notify_rest(db, version_id)
                log.warning("resumed policy notifications", extra={"version": version_id})
    return len(pending)
