"""The consent ledger: grants, revocations and consent-by-action, never deleted by revocation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import CONSENTS
from resolvers.windows import Branch, Key, WindowPage, read_page


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


def in_force(now: datetime) -> dict[str, Any]:
    """Consents in force at `now`, besides not being revoked: granted, not expired. Without a
    top-level `$or` (SecantusDB 0.7.0b3 scans the collection for one): `expires_at` not at or
    before `now` is a missing or null expiry, or a later one."""
    return {"granted_at": {"$lte": now}, "expires_at": {"$not": {"$lte": now}}}


def active(recipient: str, now: datetime) -> dict[str, Any]:
    """Consents naming `recipient` in force at `now`: granted, not revoked, not expired."""
    return {"recipient": recipient, "revoked_at": None, **in_force(now)}


#: A partner's contacts, newest first: consents naming it, not revoked, by when granted; one
#: window of index `contacts` (recipient, revoked_at, granted_at, _id) at a time.
CONTACTS = "granted_at"


async def contacts_page(
    db: AsyncDatabase[Any],
    recipient: str,
    now: datetime,
    first: int,
    after: Key | None,
    width: int | None,
) -> WindowPage:
    """The newest `first` consents (after `after`) naming `recipient` in force at `now`:
    equality on the recipient and on not being revoked, windows of `granted_at`; the expiry is
    checked on the rows of each window."""
    return await read_page(
        db[CONSENTS],
        [Branch({"recipient": recipient, "revoked_at": None}, in_force(now))],
        first,
        project=dict.fromkeys(("subject", "fields", "purpose", "expires_at"), 1),
        after=after,
        width=width,
        time=CONTACTS,
    )
