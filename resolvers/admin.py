"""What a domain admin changes on a member's account, and the audit trail of every such change."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, ADMIN_AUDIT, SESSIONS
from resolvers.rollups import ACCOUNT_PROJECTION, change_account
from resolvers.transactions import retried
from resolvers.windows import Branch, read_page


def cut_off_after(now: datetime) -> datetime:
    """`now` rounded up to the millisecond the database stores: a token issued before `now`,
    even in the same second or millisecond, is older than the cut-off (a token issued within
    the same millisecond after it is refused too: the safe side)."""
    return now + timedelta(microseconds=-now.microsecond % 1000)


async def end_access(
    db: AsyncDatabase[Any],
    account: str,
    changes: Mapping[str, Any],
    session: AsyncClientSession | None,
) -> None:
    """Change an account (counting what that changes), end its refresh sessions and cut off
    every token issued until now.

    The cut-off is taken when the write happens, not when the request began, so a token
    issued while the request ran is cut off too.
    """
    cut_off = cut_off_after(datetime.now(UTC))
    before = await db[ACCOUNTS].find_one_and_update(
        {"_id": account},
        {"$set": {**changes, "tokens_valid_after": cut_off}},
        ACCOUNT_PROJECTION,
        session=session,
    )
    await change_account(db, before, changes, session)
    await db[SESSIONS].delete_many({"account": account}, session=session)


async def set_account_state(
    db: AsyncDatabase[Any], account: str, changes: Mapping[str, Any]
) -> None:
    """`end_access` in one transaction: the change and the end of the sessions, or neither."""
    await retried(db, lambda session: end_access(db, account, changes, session))


async def audit_attempt(
    db: AsyncDatabase[Any],
    *,
    actor_kind: str,
    actor: str | None,
    action: str,
    subject: str,
    relation: str,
    at: datetime,
    domain: str | None = None,
) -> str:
    """Record an action before it runs: a crash can leave an attempt, never an unrecorded act.

    `domain` is the subject's domain at the time: the action shows in that domain's audit.
    """
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
            "domain": domain,
        }
    )
    return entry_id


async def domain_audit(
    db: AsyncDatabase[Any], domain: str, first: int, project: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The newest `first` actions on members of `domain`, through time windows on
    `(domain, at, _id)`: a bounded page whatever the audit holds."""
    page = await read_page(
        db[ADMIN_AUDIT], [Branch({"domain": domain})], first, project=project, time="at"
    )
    return page.items


async def audit_outcome(db: AsyncDatabase[Any], entry_id: str, outcome: str) -> None:
    await db[ADMIN_AUDIT].update_one({"_id": entry_id}, {"$set": {"outcome": outcome}})


async def account_standing_of_token(db: AsyncDatabase[Any], account: str) -> dict[str, Any] | None:
    """What decides whether an account's tokens still work: its status and token cut-off."""
    doc: dict[str, Any] | None = await db[ACCOUNTS].find_one(
        {"_id": account}, {"status": 1, "tokens_valid_after": 1}
    )
    return doc
