"""The consent ledger: grants, revocations and consent-by-action, never deleted by revocation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import CONSENTS


async def grant(
    db: AsyncDatabase[Any],
    *,
    subject: str,
    recipient: str,
    fields: Sequence[str],
    purpose: str | None,
    explicit: bool,
    source: str,
    now: datetime,
    expires_at: datetime | None,
) -> str:
    consent_id = f"consent-{uuid.uuid4().hex[:20]}"
    await db[CONSENTS].insert_one(
        {
            "_id": consent_id,
            "subject": subject,
            "recipient": recipient,
            "fields": list(fields),
            "purpose": purpose,
            "explicit": explicit,
            "source": source,
            "granted_at": now,
            "expires_at": expires_at,
            "revoked_at": None,
        }
    )
    return consent_id


async def revoke(db: AsyncDatabase[Any], subject: str, consent_id: str, now: datetime) -> bool:
    """Revoke an active consent of `subject`; the record stays, as history."""
    result = await db[CONSENTS].update_one(
        {"_id": consent_id, "subject": subject, "revoked_at": None},
        {"$set": {"revoked_at": now}},
    )
    return result.matched_count == 1


def active(recipient: str, now: datetime) -> dict[str, Any]:
    """Consents naming `recipient` in force at `now`: granted, not revoked, not expired."""
    return {
        "recipient": recipient,
        "revoked_at": None,
        "granted_at": {"$lte": now},
        "$or": [{"expires_at": None}, {"expires_at": {"$gt": now}}],
    }


async def active_for_recipient(
    db: AsyncDatabase[Any], recipient: str, now: datetime
) -> list[dict[str, Any]]:
    return await db[CONSENTS].find(active(recipient, now)).sort("granted_at", 1).to_list()
