"""Support cases: a person asks for help, a processor answers while the case is open."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from authz.policy import OPEN_CASES
from authz.principals import Principal, PrincipalKind
from authz.rows import as_filter, principal_facts, render
from resolvers.collections import SUPPORT_CASES
from resolvers.windows import Branch, Key, WindowPage, read_page

SUPPORT = "support"


async def open_case(db: AsyncDatabase[Any], subject: str, text: str, now: datetime) -> str:
    case_id = f"case-{uuid.uuid4().hex[:20]}"
    await db[SUPPORT_CASES].insert_one(
        {
            "_id": case_id,
            "subject": subject,
            "purpose": SUPPORT,
            "processor": None,
            "status": "OPEN",
            "opened_at": now,
            "closed_at": None,
            "messages": [{"author": subject, "at": now, "text": text}],
        }
    )
    return case_id


def handled_by(processor: str | None, purpose: str | None) -> dict[str, Any]:
    """Open cases a processor handles (assigned to it by `claim_next`): the rows its grant on
    `supportCases` reads (`authz.policy.OPEN_CASES`), so its list, its writes and the facts
    behind its standing follow the table; none for a processor without id or purpose."""
    handler = Principal(PrincipalKind.PROCESSOR, id=processor, purpose=purpose)
    return as_filter(render(OPEN_CASES, principal_facts(handler)))


async def claim_next(
    db: AsyncDatabase[Any], processor: str, purpose: str, text: str | None, now: datetime
) -> str | None:
    """Assign the oldest open case of `purpose` waiting for a processor to `processor`, with
    an optional first message; its id, or `None` when no case is waiting."""
    update: dict[str, Any] = {"$set": {"processor": processor}}
    if text is not None:
        update["$push"] = {"messages": {"author": processor, "at": now, "text": text}}
    claimed = await db[SUPPORT_CASES].find_one_and_update(
        {"status": "OPEN", "purpose": purpose, "processor": None},
        update,
        sort=[("opened_at", 1), ("_id", 1)],
        projection={"_id": 1},
    )
    return claimed["_id"] if claimed else None


async def add_message(
    db: AsyncDatabase[Any],
    case_id: str,
    author: str,
    text: str,
    now: datetime,
    where: dict[str, Any],
    *,
    close: bool = False,
) -> bool:
    """Append a message to a case matching `where`; `False` when there is no such case."""
    update: dict[str, Any] = {"$push": {"messages": {"author": author, "at": now, "text": text}}}
    if close:
        update["$set"] = {"status": "CLOSED", "closed_at": now}
    result = await db[SUPPORT_CASES].update_one({"_id": case_id, **where}, update)
    return result.matched_count == 1


async def close_case(
    db: AsyncDatabase[Any], case_id: str, now: datetime, where: dict[str, Any]
) -> bool:
    result = await db[SUPPORT_CASES].update_one(
        {"_id": case_id, "status": "OPEN", **where},
        {"$set": {"status": "CLOSED", "closed_at": now}},
    )
    return result.matched_count == 1


#: A processor's cases, newest first, by when opened; one window of index `handled`
#: (processor, purpose, status, opened_at, _id) at a time.
OPENED = "opened_at"


async def handled_page(
    db: AsyncDatabase[Any],
    processor: str | None,
    purpose: str | None,
    first: int,
    project: Mapping[str, Any],
    after: Key | None,
    width: int | None,
) -> WindowPage:
    """The newest `first` open cases (after `after`) `processor` handles for `purpose`: every
    condition an equality of the index, so each window reads only such cases."""
    return await read_page(
        db[SUPPORT_CASES],
        [Branch(handled_by(processor, purpose))],
        first,
        project={**project, "subject": 1},
        after=after,
        width=width,
        time=OPENED,
    )
