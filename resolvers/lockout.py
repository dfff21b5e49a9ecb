"""Sign-in lockout: repeated failures lock one username from one address, for a while.

Keyed by username *and* client address, so an attacker elsewhere cannot lock the owner out,
and the lock lasts `base · 2^(failures - threshold)` up to `longest`: never for ever. A
success clears it. Kept in the database (with a TTL), so a restart does not reset it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import SIGN_IN_FAILURES


def _key(username: str, address: str | None) -> str:
    return f"{username}|{address or '-'}"


async def locked_for(
    db: AsyncDatabase[Any], username: str, address: str | None, now: datetime
) -> float | None:
    """Seconds the lock still lasts, or `None`."""
    doc = await db[SIGN_IN_FAILURES].find_one({"_id": _key(username, address)})
    until = doc.get("locked_until") if doc else None
    return (until - now).total_seconds() if until and until > now else None


async def record_failure(
    db: AsyncDatabase[Any],
    username: str,
    address: str | None,
    now: datetime,
    *,
    threshold: int,
    base: timedelta,
    longest: timedelta,
) -> None:
    doc = await db[SIGN_IN_FAILURES].find_one_and_update(
        {"_id": _key(username, address)},
        {"$inc": {"failures": 1}, "$set": {"expires_at": now + timedelta(days=1)}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert doc is not None, "upserted"
    failures = doc["failures"]
    if failures >= threshold:
        lock = lock_after(failures - threshold, base, longest)
        await db[SIGN_IN_FAILURES].update_one(
            {"_id": doc["_id"]}, {"$set": {"locked_until": now + lock}}
        )


def lock_after(doublings: int, base: timedelta, longest: timedelta) -> timedelta:
    """`base · 2^doublings`, at most `longest`: in float seconds, with the exponent capped
    (a `timedelta` times `2 ** 46` overflowed, a fault at every later failure: no lock again)."""
    seconds = base.total_seconds() * 2.0 ** min(doublings, 64)
    return timedelta(seconds=min(seconds, longest.total_seconds()))


async def clear(db: AsyncDatabase[Any], username: str, address: str | None) -> None:
    await db[SIGN_IN_FAILURES].delete_one({"_id": _key(username, address)})
