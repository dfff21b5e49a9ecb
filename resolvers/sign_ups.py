"""Pending sign-ups: an account is made only when the owner of its address confirms it.

Signing up must not tell anyone whether an address or a username already has an account
(neither is public). So every request does the same work whatever it finds: one look-up,
one pending sign-up and one mail to the address typed, in one transaction. What differs is
only what the mail says, and only whoever reads that mailbox learns it:

- address and username free: a one-time code that confirms the sign-up;
- address taken: a notice to its owner that someone tried to sign up with it (no code);
- username taken: a notice to the address that the username is taken (no code).

A pending sign-up whose mail holds no code stores nothing of the request and can never be
confirmed; it exists so that every path writes alike, and expires with the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, auto
from typing import Any, assert_never

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.codes import CODE_TTL, digest, new_code
from resolvers.collections import ACCOUNTS, MAIL_OUTBOX, SIGN_UPS
from resolvers.notifications import Mail, queue_mail
from resolvers.transactions import atomic


class Found(Enum):
    NOTHING = auto()
    EMAIL_TAKEN = auto()
    USERNAME_TAKEN = auto()


async def request_sign_up(db: AsyncDatabase[Any], draft: Mapping[str, Any], now: datetime) -> None:
    """Store a pending sign-up for `draft` (an account without `_id`) and mail its address."""
    code = new_code()
    email, username = draft["email"], draft["username"]
    taken = await (
        db[ACCOUNTS]
        .find({"$or": [{"email": email}, {"username": username}]}, {"email": 1, "username": 1})
        .to_list(2)
    )
    owner = next((account["_id"] for account in taken if account.get("email") == email), None)
    if owner is not None:
        found = Found.EMAIL_TAKEN
    elif taken:
        found = Found.USERNAME_TAKEN
    else:
        found = Found.NOTHING
    mail_id = uuid.uuid4().hex
    pending = {
        "_id": digest(code),
        "draft": dict(draft) if found is Found.NOTHING else None,
        "mail": mail_id,
        "created_at": now,
        "expires_at": now + CODE_TTL,
    }
    async with atomic(db) as session:
        await db[SIGN_UPS].insert_one(pending, session=session)
        mail = _mail(found, email, username, code, owner)
        await queue_mail(db, mail, now, session, mail_id=mail_id)


def _mail(found: Found, email: str, username: str, code: str, owner: str | None) -> Mail:
    match found:
        case Found.NOTHING:
            return Mail(
                email,
                "SIGN_UP_CODE",
                "Confirm your new IMOOX account",
                f"Confirm your new IMOOX account {username!r} within 24 hours with this"
                f" one-time code: {code}\n\nIf you did not sign up, ignore this mail:"
                " no account is made without it.",
            )
        case Found.EMAIL_TAKEN:
            return Mail(
                email,
                "SIGN_UP_ATTEMPT",
                "Someone tried to sign up with your address",
                "Someone tried to create a new IMOOX account with this address, which already"
                " has one. Nothing was changed. If it was you, sign in instead.",
                account=owner,
            )
        case Found.USERNAME_TAKEN:
            return Mail(
                email,
                "SIGN_UP_USERNAME_TAKEN",
                "Choose another username",
                f"Someone (probably you) tried to create an IMOOX account with this address and"
                f" the username {username!r}, which is taken. No account was made: sign up"
                " again with another username.",
            )
        case _:
            assert_never(found)


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A confirmed sign-up: the draft account, and the mail that carried its code."""

    draft: dict[str, Any]
    mail: str


async def confirm_sign_up(db: AsyncDatabase[Any], code: str, now: datetime) -> Confirmed | None:
    """The sign-up a valid, unused, unexpired code confirms (used up), else `None`."""
    pending = await db[SIGN_UPS].find_one_and_delete(
        {"_id": digest(code), "expires_at": {"$gt": now}, "draft": {"$ne": None}}
    )
    return Confirmed(dict(pending["draft"]), pending["mail"]) if pending else None


async def own_confirmation_mail(db: AsyncDatabase[Any], confirmed: Confirmed, account: str) -> None:
    """The mail that confirmed an account is the account's: erased with it."""
    await db[MAIL_OUTBOX].update_one({"_id": confirmed.mail}, {"$set": {"account": account}})
