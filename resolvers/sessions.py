"""Refresh sessions: opaque refresh tokens, stored only as hashes, rotated on every use.

A refresh token is good once. Using it again (a stolen copy racing its owner) ends the whole
session family, so the thief and the owner both have to sign in again: the owner notices, the
thief is out (OAuth 2.0 Security BCP, refresh token rotation).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import SESSIONS


@dataclass(frozen=True, slots=True)
class Session:
    account: str
    family: str
    device_id: str | None
    refresh_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    db: AsyncDatabase[Any],
    account: str,
    device_id: str | None,
    now: datetime,
    ttl: timedelta,
    family: str | None = None,
) -> Session:
    token = secrets.token_urlsafe(32)
    session = Session(account, family or uuid.uuid4().hex, device_id, token)
    await db[SESSIONS].insert_one(
        {
            "_id": _digest(token),
            "account": account,
            "family": session.family,
            "device_id": device_id,
            "created_at": now,
            "expires_at": now + ttl,
            "used_at": None,
        }
    )
    return session


async def rotate_session(
    db: AsyncDatabase[Any], refresh_token: str, now: datetime, ttl: timedelta
) -> Session | None:
    """A new session for a valid, unused refresh token; `None` (and the family ended) otherwise."""
    used = await db[SESSIONS].find_one_and_update(
        {"_id": _digest(refresh_token), "used_at": None, "expires_at": {"$gt": now}},
        {"$set": {"used_at": now}},
        return_document=ReturnDocument.AFTER,
    )
    if used is None:
        stale = await db[SESSIONS].find_one({"_id": _digest(refresh_token)}, {"family": 1})
        if stale is not None:
            await end_family(db, stale["family"])
        return None
    return await start_session(db, used["account"], used["device_id"], now, ttl, used["family"])


async def end_family(db: AsyncDatabase[Any], family: str) -> None:
    await db[SESSIONS].delete_many({"family": family})
