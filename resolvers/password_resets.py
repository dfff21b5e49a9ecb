"""Password resets by a domain admin: the admin ends access, only the member chooses a password.

A reset disables the password, ends every session and token of the member, and mails the
member a one-time code; the account keeps only the code's hash. The code never leaves this
module except into the member's mail: no answer to the admin, no log line, no notification
holds it. Whoever can read the member's mailbox, and only they, can choose the new password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from authz.lines import quoted_line
from resolvers.admin import end_access
from resolvers.codes import CODE_TTL, digest, new_code
from resolvers.collections import ACCOUNTS
from resolvers.notifications import notify
from resolvers.transactions import atomic


@dataclass(frozen=True, slots=True)
class Member:
    """The account a reset is for, and who reset it (shown to the member, never the code)."""

    account: str
    email: str
    reset_by: str


async def reset_by_admin(db: AsyncDatabase[Any], member: Member, now: datetime) -> None:
    """Disable the password, cut off every token and session, and mail a fresh code.

    One transaction: the member is never locked out without the mail that lets them back in.
    A new reset replaces an earlier code. The admin's name is shown quoted on one line, so no
    name can pose as text of the mail around the member's code.
    """
    code = new_code()
    admin = quoted_line(member.reset_by)
    reset = {"code_hash": digest(code), "expires_at": now + CODE_TTL, "by": admin}
    message = f"Your domain admin {admin} reset your password and signed you out."
    body = (
        f"{message}\n\nChoose a new password within 24 hours with this one-time"
        f" code: {code}\n\nIf you did not ask for this, contact your institution."
    )
    async with atomic(db) as session:
        await end_access(
            db, member.account, {"password_hash": None, "password_reset": reset}, session
        )
        await notify(
            db,
            member.account,
            "PASSWORD_RESET",
            message,
            now,
            mail_to=member.email,
            mail_body=body,
            session=session,
        )


async def use_code(db: AsyncDatabase[Any], code: str, password_hash: str, now: datetime) -> bool:
    """Set the password of the account a valid, unused, unexpired code belongs to, once.

    `False` for a wrong, used or expired code alike: the one query that consumes it decides.
    """
    async with atomic(db) as session:
        account = await db[ACCOUNTS].find_one_and_update(
            {"password_reset.code_hash": digest(code), "password_reset.expires_at": {"$gt": now}},
            {"$unset": {"password_reset": ""}},
            {"email": 1, "password_reset.by": 1},
            return_document=ReturnDocument.BEFORE,
            session=session,
        )
        if account is None:
            return False
        await end_access(db, account["_id"], {"password_hash": password_hash}, session)
        await notify(
            db,
            account["_id"],
            "PASSWORD_CHANGED",
            "Your password was changed with the code your domain admin"
            f" {account['password_reset']['by']} had mailed you.",
            now,
            mail_to=account.get("email"),
            session=session,
        )
    return True
