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
        where = handled_by(processor, purpose)
        found = await self._of(SUPPORT_CASES, subjects, where, {"subject": 1})
        return {doc["subject"] for doc in found}

    async def active_consents(
        self, subjects: Sequence[str], recipient: str, now: datetime
    ) -> list[ConsentFact]:
        projection = {"subject": 1, "fields": 1, "purpose": 1, "explicit": 1}
        where = active(recipient, now)
        lead = {"recipient": where.pop("recipient")}
        found = await self._of(CONSENTS, subjects, where, projection, lead)
        return [consent_fact(doc) for doc in found]

    async def _of(
        self,
        collection: str,
        subjects: Sequence[str],
        where: Mapping[str, Any],
        projection: Mapping[str, Any],
        lead: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """The documents of `subjects` that match `where`. SecantusDB 0.7.0b3 plans only a
        pipeline's first `$match`, and an `$in` in it only alone or after equality on the
        keys before it in an index (`lead`, e.g. the recipient: then only the documents
        between the caller and the subjects are read); `where` is tested on what it found."""
        pipeline = [
            {"$match": {**(lead or {}), "subject": {"$in": list(subjects)}}},
            {"$match": dict(where)},
            {"$project": dict(projection)},
        ]
        return await (await self.db[collection].aggregate(pipeline)).to_list()

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
