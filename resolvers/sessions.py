"""Refresh sessions: opaque refresh tokens, stored only as hashes, rotated on every use.

A refresh token is good once. Using it again (a stolen copy racing its owner) ends the whole
session family, so the thief and the owner both have to sign in again: the owner notices, the
thief is out (OAuth 2.0 Security BCP, refresh token rotation).

A session is created at the moment its grant was decided (the sign-in's password check, the
refresh), and the account's cut-off refuses every session created before it: a sign-in whose
password was checked before an admin's reset cannot keep a session, even one stored after the
reset deleted the others. And a sign-in's session stands only if the account is still as the
password check read it. Ending a family also ends the access tokens issued for it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.admin import account_standing_of_token
from resolvers.collections import ACCOUNTS, SESSIONS
from resolvers.tokens import revoke_session


@dataclass(frozen=True, slots=True)
class Lifetimes:
    """How long a session's refresh token and each access token issued for it last."""

    refresh: timedelta
    access: timedelta


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


#: What a sign-in's grant rests on: the password it checked, the standing and the cut-off.
GRANT_FIELDS = ("password_hash", "status", "tokens_valid_after")


async def start_granted_session(
    db: AsyncDatabase[Any],
    account: Mapping[str, Any],
    device_id: str,
    now: datetime,
    lifetimes: Lifetimes,
) -> Session | None:
    """A session for `account` (read with `GRANT_FIELDS` before its password was checked), or
    `None`, leaving nothing behind, if a reset, suspension or cut-off changed it since.

    The session is stored before the account is read again: an admin action committed by then
    shows in that read, even one whose cut-off predates `now` (taken as its write began) and
    which so could not refuse this session by time alone.
    """
    session = await start_session(db, account["_id"], device_id, now, lifetimes.refresh)
    current = await db[ACCOUNTS].find_one({"_id": account["_id"]}, dict.fromkeys(GRANT_FIELDS, 1))
    if current is None or any(current.get(key) != account.get(key) for key in GRANT_FIELDS):
        await end_family(db, session.family, now, lifetimes)
        return None
    return session


def _still_valid(session: dict[str, Any], account: dict[str, Any] | None) -> bool:
    """Whether the account still lets this session act: active, and no cut-off since it began."""
    if account is None or account["status"] != "ACTIVE":
        return False
    cut_off: datetime | None = account.get("tokens_valid_after")
    return cut_off is None or session["created_at"] >= cut_off


async def rotate_session(
    db: AsyncDatabase[Any], refresh_token: str, now: datetime, lifetimes: Lifetimes
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
            await end_family(db, stale["family"], now, lifetimes)
        return None
    if not _still_valid(used, await account_standing_of_token(db, used["account"])):
        await end_family(db, used["family"], now, lifetimes)
        return None
    return await start_session(
        db, used["account"], used["device_id"], now, lifetimes.refresh, used["family"]
    )


async def end_family(
    db: AsyncDatabase[Any], family: str, now: datetime, lifetimes: Lifetimes
) -> None:
    """End a session family and every access token issued for it.

    The tokens are refused first: if deleting the sessions fails, ending the family again
    (a repeated sign-out, another reuse) still finds them.
    """
    await revoke_session(db, family, now + lifetimes.access)
    await db[SESSIONS].delete_many({"family": family})
