"""The facts behind relations, read from MongoDB in one query per kind per batch of subjects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from authz.standing import ConsentFact, LegalRequestFact
from resolvers.collections import CONSENTS, LEGAL_REQUESTS, SUPPORT_CASES
from resolvers.consents import active
from resolvers.support import handled_by


def consent_fact(doc: Mapping[str, Any]) -> ConsentFact:
    """What a stored consent tells a partner's standing."""
    return ConsentFact(
        doc["subject"],
        frozenset(doc.get("fields") or ()),
        doc.get("purpose"),
        bool(doc.get("explicit")),
    )


class MongoFacts:
    """`authz.standing.FactSource` over the gateway's collections."""

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.db = db

    async def open_cases(self, subjects: Sequence[str], purpose: str, processor: str) -> set[str]:
        query = {"subject": {"$in": list(subjects)}, **handled_by(processor, purpose)}
        return {doc["subject"] async for doc in self.db[SUPPORT_CASES].find(query, {"subject": 1})}

    async def active_consents(
        self, subjects: Sequence[str], recipient: str, now: datetime
    ) -> list[ConsentFact]:
        query = {"subject": {"$in": list(subjects)}, **active(recipient, now)}
        projection = {"subject": 1, "fields": 1, "purpose": 1, "explicit": 1}
        return [consent_fact(doc) async for doc in self.db[CONSENTS].find(query, projection)]

    async def legal_request(self, request_id: str) -> LegalRequestFact | None:
        doc = await self.db[LEGAL_REQUESTS].find_one({"_id": request_id})
        if doc is None:
            return None
        expires_at = doc["expires_at"]
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        return LegalRequestFact(
            id=doc["_id"],
            authority=doc["authority"],
            approved=doc["status"] == "APPROVED",
            expires_at=expires_at,
            subjects=frozenset(doc["subjects"]),
            fields=frozenset(doc["fields"]),
        )
