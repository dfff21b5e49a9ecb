"""The documents a data export reads (GDPR Art. 15/20): everything held about one account.

Read section by section with cursors, so an export of any size streams in constant memory.
Which fields of each document leave the server is decided by the caller (`schema.export`),
from the policy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.related import BATCH_SIZE


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    type_name: str
    collection: str
    query: dict[str, Any]
    sort: tuple[tuple[str, int], ...] = (("_id", 1),)


def sections(account: str) -> tuple[Section, ...]:
    """The export's lists, in order; the account document itself comes first, on its own."""
    return (
        Section("devices", "Device", c.DEVICES, {"account": account}),
        Section("signIns", "SignIn", c.SIGN_INS, {"account": account}, (("at", 1),)),
        Section(
            "content",
            "Content",
            c.CONTENT,
            {"owner": account, "kind": {"$ne": "COMMENT"}},
            (("created_at", 1), ("_id", 1)),
        ),
        Section(
            "comments",
            "Content",
            c.CONTENT,
            {"owner": account, "kind": "COMMENT"},
            (("created_at", 1), ("_id", 1)),
        ),
        Section("consents", "Consent", c.CONSENTS, {"subject": account}, (("granted_at", 1),)),
        Section("disclosures", "Disclosure", c.DISCLOSURES, {"subject": account}, (("at", 1),)),
        Section(
            "notifications",
            "Notification",
            c.NOTIFICATIONS,
            {"account": account},
            (("created_at", 1),),
        ),
        Section(
            "supportCases",
            "SupportCase",
            c.SUPPORT_CASES,
            {"subject": account},
            (("opened_at", 1),),
        ),
    )


async def account_document(db: AsyncDatabase[Any], account: str) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = await db[c.ACCOUNTS].find_one(
        {"_id": account}, {"password_hash": 0}
    )
    return doc


async def section_documents(
    db: AsyncDatabase[Any], section: Section
) -> AsyncIterator[dict[str, Any]]:
    cursor = db[section.collection].find(section.query).sort(list(section.sort))
    async for doc in cursor.batch_size(BATCH_SIZE):
        yield doc
