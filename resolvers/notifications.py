"""Notifications to account holders, and the outbox a mailer sends them from.

The gateway never talks to a mail server: it writes an outbox record in the same transaction
as the notification, and a separate mailer delivers and marks it sent (the transactional
outbox).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import MAIL_OUTBOX, NOTIFICATIONS
from resolvers.transactions import atomic


async def notify(
    db: AsyncDatabase[Any],
    account: str,
    kind: str,
    message: str,
    now: datetime,
    *,
    mail_to: str | None = None,
) -> str:
    """Create a notification (and, with `mail_to`, the message a mailer will send)."""
    notification_id = uuid.uuid4().hex
    notification = {
        "_id": notification_id,
        "account": account,
        "kind": kind,
        "message": message,
        "created_at": now,
        "read": False,
    }
    async with atomic(db) as session:
        await db[NOTIFICATIONS].insert_one(notification, session=session)
        if mail_to:
            await db[MAIL_OUTBOX].insert_one(
                {
                    "_id": notification_id,
                    "account": account,
                    "to": mail_to,
                    "subject": message,
                    "kind": kind,
                    "created_at": now,
                    "sent_at": None,
                },
                session=session,
            )
    return notification_id


async def mark_read(db: AsyncDatabase[Any], account: str, notification_id: str) -> bool:
    """Mark one of `account`'s notifications read; `False` when it has no such notification."""
    result = await db[NOTIFICATIONS].update_one(
        {"_id": notification_id, "account": account}, {"$set": {"read": True}}
    )
    return result.matched_count == 1
