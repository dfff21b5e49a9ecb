"""Revoked token ids (`jti`) and ended sessions (`sid`), kept until their tokens expire anyway.

Both live in one collection so that a request checks its token and its session in one query.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import REVOKED_TOKENS

#: Entries outlive the tokens they refuse a little: the verifier accepts tokens within its leeway.
MARGIN = timedelta(minutes=5)


def _session_key(session_id: str) -> str:
    """A session's entry; the prefix keeps it apart from token ids."""
    return f"session:{session_id}"


def revocation_keys(token_id: str, session_id: str | None) -> list[str]:
    """The entries that would refuse a token: its own, and its session's."""
    return [token_id, *([_session_key(session_id)] if session_id else [])]


async def is_revoked(db: AsyncDatabase[Any], token_id: str, session_id: str | None) -> bool:
    """Whether the token, or the session it was issued for, has been ended."""
    keys = revocation_keys(token_id, session_id)
    return await db[REVOKED_TOKENS].find_one({"_id": {"$in": keys}}, {"_id": 1}) is not None


async def _record(db: AsyncDatabase[Any], key: str, expires_at: datetime) -> None:
    await db[REVOKED_TOKENS].update_one(
        {"_id": key}, {"$setOnInsert": {"expires_at": expires_at + MARGIN}}, upsert=True
    )


async def revoke(db: AsyncDatabase[Any], token_id: str, expires_at: datetime) -> None:
    """Refuse one token until `expires_at`, when it expires anyway."""
    await _record(db, token_id, expires_at)


async def revoke_session(db: AsyncDatabase[Any], session_id: str, tokens_until: datetime) -> None:
    """Refuse every access token issued for a session; none outlives `tokens_until`."""
    await _record(db, _session_key(session_id), tokens_until)
