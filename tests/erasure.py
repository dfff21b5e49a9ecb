"""An account that has lived (items, devices, a comment, records about it), and what erasing it
must leave behind: nothing but pseudonymised records (GDPR Art. 17, SPEC §6)."""

from __future__ import annotations

from typing import Any

from bson import json_util
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import account_id
from tests.client import GatewayClient, error_codes
from tests.sign_ups import sign_in, sign_up

CREATE = """
mutation($input: CreateContentInput!) { createContent(input: $input) { content { id } } }
"""


DELETE = "mutation { deleteMyAccount(input: {confirm: true}) { erased } }"


async def lived_in_account(gateway: GatewayClient, demo_db: AsyncDatabase[Any]) -> dict[str, Any]:
    """A new user with two devices, items of every audience, a comment, and a disclosure."""
    account = await sign_up(gateway, demo_db, "nora", phone="+43 660 7654321")
    await sign_in(gateway, "nora", "laptop")
    token = (await sign_in(gateway, "nora", "phone"))["data"]["signIn"]["accessToken"]
    items = []
    for fields in (
        {"kind": "POST", "visibility": "PUBLIC", "title": "Public"},
        {"kind": "DOCUMENT", "visibility": "SHARED", "sharedWith": [account_id("bob")]},
        {"kind": "PHOTO", "visibility": "PRIVATE"},
        {"kind": "EMAIL", "recipients": [account_id("carol")]},
        {"kind": "COMMENT", "parentId": "post-alice-garden"},
    ):
        body = await gateway.query(CREATE, {"input": {"body": "mine", **fields}}, token=token)
        items.append(body["data"]["createContent"]["content"]["id"])
    # Bob comments on Nora's public post; a disclosure about Nora is on record.
    await gateway.query(
        CREATE, {"input": {"kind": "COMMENT", "body": "nice", "parentId": items[0]}}, as_="bob"
    )
    # One operation disclosed Bob and, under two relations, Nora.
    await demo_db[c.DISCLOSURES].insert_one(
        {
            "_id": "d-nora",
            "principal_kind": "domain_admin",
            "principal_id": "acct-dora",
            "at": None,
            "subjects": [account_id("bob"), account],
            "entries": [
                [{"relation": "DOMAIN_ADMIN", "fields": ["Account.phone"], "purpose": "bobs"}],
                [
                    {"relation": "DOMAIN_ADMIN", "fields": ["Account.email"], "purpose": None},
                    {"relation": "VIEWER", "fields": ["Account.displayName"], "purpose": None},
                ],
            ],
        }
    )
    await demo_db[c.LEGAL_REQUESTS].update_one(
        {"_id": "lr-police-graz-bob"}, {"$push": {"subjects": account}}
    )
    await demo_db[c.ADMIN_AUDIT].insert_one(
        {"_id": "audit-nora", "subject": account, "actor": "acct-dora", "outcome": "DONE"}
    )
    await sign_in(gateway, "nora", "laptop", password="a wrong guess")
    return {"id": account, "token": token, "items": items}


async def nothing_left_of(db: AsyncDatabase[Any], *traces: str) -> list[str]:
    """Every document in any collection that still mentions one of `traces`."""
    found = []
    for name in await db.list_collection_names():
        async for doc in db[name].find({}):
            text = json_util.dumps(doc)
            found += [f"{name}: {doc['_id']}" for trace in traces if trace in text]
    return found


async def assert_erased(
    gateway: GatewayClient, db: AsyncDatabase[Any], nora: dict[str, Any]
) -> None:
    assert await nothing_left_of(db, nora["id"], "nora@mail.example", '"nora', "nora|") == []
    audit = await db[c.ADMIN_AUDIT].find_one({"_id": "audit-nora"})
    assert audit is not None and audit["subject"].startswith("erased-")
    for item in nora["items"]:
        assert await db[c.CONTENT].find_one({"_id": item}) is None
    # Bob's comment on Nora's post went with the post; the records the law keeps remain.
    assert await db[c.CONTENT].count_documents({"body": "nice"}) == 0
    disclosure = await db[c.DISCLOSURES].find_one({"_id": "d-nora"})
    assert disclosure is not None
    bob, pseudonym = disclosure["subjects"]
    assert bob == account_id("bob") and pseudonym.startswith("erased-")
    assert [len(entries) for entries in disclosure["entries"]] == [1, 2]
    request = await db[c.LEGAL_REQUESTS].find_one({"_id": "lr-police-graz-bob"})
    assert request is not None and pseudonym in request["subjects"]
    assert await db[c.ERASURES].count_documents({}) == 0
    signed_in = await sign_in(gateway, "nora", "laptop")
    assert error_codes(signed_in) == ["UNAUTHENTICATED"]
