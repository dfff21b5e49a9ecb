"""Ids of other people's things answer exactly like ids that do not exist (audit finding 11).

For every mutation that takes the id of something a person owns (a consent, a support case,
a content item, a notification) or of a legal request, a caller who may not touch it gets the
very answer a missing id gets: same code, message and field, and nothing changes.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from bson import json_util
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import account_id
from tests.client import GatewayClient

CALLS = {
    "revoke": 'revokeConsent(input: {consentId: "ID"}) { consent { id } }',
    "post": 'postSupportMessage(input: {caseId: "ID", text: "hi"}) { status }',
    "reply": 'replyToSupportCase(input: {caseId: "ID", text: "hi"}) { status }',
    "close": 'closeSupportCase(input: {caseId: "ID"}) { status }',
    "update": 'updateContent(input: {id: "ID", body: "x"}) { content { id } }',
    "delete": 'deleteContent(input: {id: "ID"}) { deletedId }',
    "read": 'markNotificationRead(input: {notificationId: "ID"}) { ok }',
    "end": 'closeLegalRequest(input: {id: "ID"}) { legalRequest { id } }',
}
#: (call, caller, an id of something the caller may not touch).
PROBES = [
    ("revoke", "bob", "consent-alice-flowershop"),
    ("post", "bob", "case-alice-login"),
    ("close", "bob", "case-alice-login"),
    ("post", "dora", "case-alice-login"),
    ("revoke", "flowershop", "consent-alice-flowershop"),
    ("reply", "helpdesk-co", "case-bob-billing"),
    ("close", "helpdesk-co", "case-bob-billing"),
    # helpdesk-co handles alice's login case, not this one of hers another processor handles.
    ("reply", "helpdesk-co", "case-alice-other"),
    ("update", "bob", "post-alice-private"),
    ("delete", "bob", "post-alice-garden"),
    ("read", "bob", "note-alice-1"),
    ("post", None, "case-alice-login"),
    ("end", "police-graz", "lr-police-graz-bob"),
    ("end", "bob", "lr-police-graz-bob"),
]


async def fingerprint(db: AsyncDatabase[Any]) -> str:
    """Everything but the records of attempts (a processor's failed reply is audited) and the
    gateway's own bookkeeping (written whatever happens)."""
    digest = hashlib.sha256()
    for name in sorted(await db.list_collection_names()):
        if name not in {c.DISCLOSURES, c.ADMIN_AUDIT, *c.BOOKKEEPING}:
            async for doc in db[name].find({}).sort("_id", 1):
                digest.update(json_util.dumps(doc).encode())
    return digest.hexdigest()


def answer(body: dict[str, Any]) -> list[dict[str, Any]]:
    """What a caller learns: the data and each error's message and extensions."""
    return [
        {"data": body["data"]},
        *({"message": e["message"], **e["extensions"]} for e in body.get("errors", [])),
    ]


@pytest.mark.parametrize(("call", "caller", "other"), PROBES)
async def test_another_persons_id_answers_like_a_missing_one(
    gateway: GatewayClient,
    demo_db: AsyncDatabase[Any],
    call: str,
    caller: str | None,
    other: str,
) -> None:
    # bob has a billing case handled by nobody yet, alice a second support case and a notice.
    await demo_db[c.SUPPORT_CASES].insert_one(
        {
            "_id": "case-bob-billing",
            "subject": account_id("bob"),
            "purpose": "billing",
            "processor": None,
            "status": "OPEN",
            "opened_at": None,
            "messages": [],
        }
    )
    await demo_db[c.SUPPORT_CASES].insert_one(
        {
            "_id": "case-alice-other",
            "subject": account_id("alice"),
            "purpose": "support",
            "processor": "helpdesk-two",
            "status": "OPEN",
            "opened_at": None,
            "messages": [],
        }
    )
    await demo_db[c.NOTIFICATIONS].insert_one(
        {
            "_id": "note-alice-1",
            "account": account_id("alice"),
            "kind": "SUSPICIOUS_SIGN_IN",
            "message": "A new device signed in.",
            "created_at": None,
            "read": False,
        }
    )
    before = await fingerprint(demo_db)
    template = CALLS[call]
    probed = await gateway.query(f"mutation {{ {template.replace('ID', other)} }}", as_=caller)
    missing = await gateway.query(
        f"mutation {{ {template.replace('ID', 'x-missing')} }}", as_=caller
    )
    assert answer(probed) == answer(missing)
    assert probed["data"] is None and "errors" in probed
    assert await fingerprint(demo_db) == before
