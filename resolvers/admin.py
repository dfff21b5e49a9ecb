"""What a domain admin changes on a member's account, and the audit trail of every such change."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, ADMIN_AUDIT, SESSIONS
from resolvers.transactions import atomic


async def set_account_state(
    db: AsyncDatabase[Any], account: str, changes: Mapping[str, Any], now: datetime
) -> None:
    """Change an account and end its sessions: tokens issued before `now` stop working.

    The cut-off is whole seconds, as a token's `iat` is.
    """
    cut_off = now.replace(microsecond=0)
    async with atomic(db) as session:
        await db[ACCOUNTS].update_one(
            {"_id": account}, {"$set": {**changes, "tokens_valid_after": cut_off}}, session=session
        )
        await db[SESSIONS].delete_many({"account": account}, session=session)


async def audit_attempt(
    db: AsyncDatabase[Any],
    *,
    actor_kind: str,
    actor: str | None,
    action: str,
    subject: str,
    relation: str,
    at: datetime,
) -> str:
    """Record an action before it runs: a crash can leave an attempt, never an unrecorded act."""
    entry_id = uuid.uuid4().hex
    await db[ADMIN_AUDIT].insert_one(
        {
            "_id": entry_id,
            "actor_kind": actor_kind,
            "actor": actor,
            "action": action,
            "subject": subject,
            "relation": relation,
            "at": at,
            "outcome": "ATTEMPTED",
        }
    )
    return entry_id


async def audit_outcome(db: AsyncDatabase[Any], entry_id: str, outcome: str) -> None:
    await db[ADMIN_AUDIT].update_one({"_id": entry_id}, {"$set": {"outcome": outcome}})


async def account_standing_of_token(db: AsyncDatabase[Any], account: str) -> dict[str, Any] | None:
    """What decides whether an account's tokens still work: its status and token cut-off."""
    doc: dict[str, Any] | None = await db[ACCOUNTS].find_one(
        {"_id": account}, {"status": 1, "tokens_valid_after": 1}
    )
    return doc
