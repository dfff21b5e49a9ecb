"""Disclosure records made to fail for real (a validator the database enforces), and the answer
a client gets when its data is withheld because its disclosure could not be recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from authz.disclosures import Disclosed, Disclosures
from authz.principals import Principal, PrincipalKind
from authz.relations import Relation
from resolvers.collections import DISCLOSURES

WITHHELD = "The response was withheld because its disclosure could not be recorded."


async def refuse_records_about(db: AsyncDatabase[Any], subject: str) -> None:
    """A real refusal by the database: records about `subject` fail its validator."""
    await db.command("collMod", DISCLOSURES, validator={"subjects": {"$ne": subject}})


def record(subject: str) -> Disclosures:
    """One operation's record: dora read `subject`'s email."""
    read = Disclosed(subject, Relation.DOMAIN_ADMIN, ("Account.email",), None, None)
    dora = Principal(PrincipalKind.DOMAIN_ADMIN, "acct-dora")
    return Disclosures(dora, datetime.now(UTC), (read,))
