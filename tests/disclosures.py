"""Disclosure records made to fail for real (a validator the database enforces), and the answer
a client gets when its data is withheld because its disclosure could not be recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import DISCLOSURES

WITHHELD = "The response was withheld because its disclosure could not be recorded."


async def refuse_records_about(db: AsyncDatabase[Any], subject: str) -> None:
    """A real refusal by the database: records about `subject` fail its validator."""
    await db.command("collMod", DISCLOSURES, validator={"subject": {"$ne": subject}})


def record(subject: str) -> dict[str, Any]:
    return {
        "_id": f"test-{subject}",
        "subject": subject,
        "principal_kind": "domain_admin",
        "principal_id": "acct-dora",
        "relation": "DOMAIN_ADMIN",
        "fields": ["Account.email"],
        "purpose": None,
        "legal_request": None,
        "at": datetime.now(UTC),
    }
