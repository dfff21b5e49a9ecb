"""Notifications to account holders, and the outbox a mailer sends them from.

The gateway never talks to a mail server: it writes an outbox record in the same transaction
as the notification, and a separate mailer delivers and marks it sent (the transactional
outbox).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
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
    mail_body: str | None = None,
    session: AsyncClientSession | None = None,
) -> str:
    """Create a notification (and, with `mail_to`, the message a mailer will send).

    `mail_body` goes only into the mail, never into the notification: it may hold what only
    the mailbox's owner may read (a one-time code). With `session`, both join the caller's
    transaction; otherwise they get their own.
    """
    if session is None:
        async with atomic(db) as own:
            return await _notify(db, account, kind, message, now, mail_to, mail_body, own)
    return await _notify(db, account, kind, message, now, mail_to, mail_body, session)


async def _notify(
    db: AsyncDatabase[Any],
    account: str,
    kind: str,
    message: str,
    now: datetime,
    mail_to: str | None,
    mail_body: str | None,
    session: AsyncClientSession | None,
) -> str:
    notification_id = uuid.uuid4().hex
    notification = {
        "_id": notification_id,
        "account": account,
        "kind": kind,
        "message": message,
        "created_at": now,
        "read": False,
    }
    await db[NOTIFICATIONS].insert_one(notification, session=session)
    if mail_to:
        mail = Mail(mail_to, kind, message, mail_body or message, account)
        await queue_mail(db, mail, now, session, mail_id=notification_id)
    return notification_id


@dataclass(frozen=True, slots=True)
class Mail:
    """One message for the mailer; `account` is whose it is (erased with it), if anyone's."""

    to: str
    kind: str
    subject: str
    body: str
    account: str | None = None


async def queue_mail(
    db: AsyncDatabase[Any],
    mail: Mail,
    now: datetime,
    session: AsyncClientSession | None = None,
    *,
    mail_id: str | None = None,
) -> None:
    """Put a mail in the outbox (the only place it exists until the mailer sends it)."""
    await db[MAIL_OUTBOX].insert_one(
        {
            "_id": mail_id or uuid.uuid4().hex,
            "account": mail.account,
            "to": mail.to,
            "subject": mail.subject,
            "body": mail.body,
            "kind": mail.kind,
            "created_at": now,
            "sent_at": None,
        },
        session=session,
    )


async def mark_read(db: AsyncDatabase[Any], account: str, notification_id: str) -> bool:
    """Mark one of `account`'s notifications read; `False` when it has no such notification."""
    result = await db[NOTIFICATIONS].update_one(
        {"_id": notification_id, "account": account}, {"$set": {"read": True}}
    )
    return result.matched_count == 1
