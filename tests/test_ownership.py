"""Where a person's account id is kept is declared once (`collections.OWNED`), and nowhere else.

Export, erasure and the owner indexes are derived from that declaration; these tests hold the
other half: after the demo world and a flow that writes every kind of document, every field
of every collection that holds an account id is declared, so a new collection cannot be
forgotten by the export or by erasure.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers import erasure
from resolvers.collections import OWNED, Erasure
from resolvers.demo_world import account_id
from resolvers.export import SECTIONS
from tests.client import GatewayClient
from tests.sign_ups import PASSWORD, SIGN_UP, sign_in, sign_up

#: Collections that hold account ids only while a job runs: the erasure job's own record,
#: which it drops as its last act; and job leases (no account id: hashed), which exist only
#: while a job runs.
TRANSIENT = {c.ERASURES, c.JOB_LEASES}

CREATE = "mutation($input: CreateContentInput!) { createContent(input: $input) { content { id } } }"


def paths(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted path, scalar) of a document; list items share their list's path."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for inner in value:
            yield from paths(inner, path)
    else:
        yield path, value


async def ok(gateway: GatewayClient, query: str, variables: Any = None, **who: Any) -> Any:
    body = await gateway.query(query, variables, **who)
    assert "errors" not in body, body
    return body["data"]


async def every_kind_of_document(gateway: GatewayClient, db: AsyncDatabase[Any]) -> str:
    """One flow through the API that writes a document of every kind, as callers would;
    returns the id of its new account, `nora`."""
    nora = await sign_up(gateway, db, "nora")
    taken = {"username": "nora2", "password": PASSWORD, "email": "nora@mail.example"}
    await ok(gateway, SIGN_UP, {"input": {**taken, "displayName": "N"}})  # mail to its owner
    await sign_in(gateway, "nora", "laptop")
    signed_in = await sign_in(gateway, "nora", "phone")  # a new device: notification and mail
    token = signed_in["data"]["signIn"]["accessToken"]
    await sign_in(gateway, "nora", "phone", password="a wrong guess")  # lockout counter
    items = []
    for fields in (
        {"kind": "POST", "visibility": "PUBLIC", "title": "Public"},
        {"kind": "DOCUMENT", "visibility": "SHARED", "sharedWith": [account_id("bob")]},
        {"kind": "EMAIL", "recipients": [account_id("carol")]},
        {"kind": "COMMENT", "parentId": "post-alice-garden"},
    ):
        created = await ok(gateway, CREATE, {"input": {"body": "mine", **fields}}, token=token)
        items.append(created["createContent"]["content"]["id"])
    comment = {"kind": "COMMENT", "body": "nice", "parentId": items[0]}
    await ok(gateway, CREATE, {"input": comment}, as_="bob")
    await ok(gateway, 'mutation { openSupportCase(input: {text: "Help."}) { caseId } }', as_="bob")
    await ok(gateway, "{ supportCases { id account { email } } }", as_="helpdesk-co")
    await ok(
        gateway,
        'mutation { replyToSupportCase(input: {caseId: "case-alice-login", text: "On it."})'
        " { status } }",
        as_="helpdesk-co",
    )
    await ok(
        gateway,
        'mutation { grantConsent(input: {recipient: "flowershop", fields: ["email"]})'
        " { consent { id } } }",
        token=token,
    )
    await gateway.query("{ partnerContacts { account { email } } }", as_="flowershop")
    await ok(gateway, '{ adAudience(interest: "chess") { accounts } }', as_="adnet")
    await ok(
        gateway,
        "mutation($input: RegisterLegalRequestInput!) {"
        " registerLegalRequest(input: $input) { legalRequest { id } } }",
        {
            "input": {
                "type": "COURT_ORDER",
                "legalBasis": "Landesgericht Graz, 1 Cg 2/26",
                "authority": "court-graz",
                "subjects": [nora],
                "fields": ["email"],
                "expiresAt": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            }
        },
        as_="cora",
    )
    await gateway.query('{ account(id: "acct-bob") { email } }', as_="police-graz")
    member = '(input: {accountId: "acct-bob"}) { account { id } } }'
    await ok(gateway, "mutation { suspendAccount" + member, as_="dora")
    await ok(gateway, "mutation { restoreAccount" + member, as_="dora")
    await ok(gateway, "mutation { setPassword" + member, as_="dora")  # a reset code
    await ok(
        gateway,
        'mutation { publishPolicyVersion(input: {summary: "New terms.", reason: "law"})'
        " { policyVersion { version } } }",
        as_="cora",
    )
    await ok(
        gateway,
        'mutation { updateDeviceSettings(input: {language: "fr"}) { deviceId } }',
        headers={"X-Device-Id": "kiosk-7"},
    )
    await ok(gateway, "mutation { signOut(input: {}) { signedOut } }", token=token)
    return nora


async def holders(db: AsyncDatabase[Any], accounts: set[str]) -> set[tuple[str, str]]:
    """Every (collection, field) where one of `accounts` is kept."""
    found = set()
    for name in await db.list_collection_names():
        async for doc in db[name].find({}):
            found |= {(name, path) for path, value in paths(doc) if value in accounts}
    return found


async def test_every_field_holding_an_account_id_is_declared(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await every_kind_of_document(gateway, demo_db)
    # The flow reaches every collection, so a new one is inspected here too.
    empty = [name for name in c.ALL if not await demo_db[name].count_documents({})]
    assert sorted(set(empty) - TRANSIENT) == []
    holding = await holders(demo_db, set(await demo_db[c.ACCOUNTS].distinct("_id")))
    declared = {(row.collection, row.key) for row in OWNED}
    assert sorted(holding - declared) == []
    # What the flow wrote covers the declaration (the username-keyed counters aside).
    usernames = {(c.SIGN_IN_FAILURES, "_id")}
    assert sorted(declared - holding - usernames) == []


async def test_erasure_after_every_kind_of_document_keeps_the_id_nowhere(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    nora = await every_kind_of_document(gateway, demo_db)
    signed_in = await sign_in(gateway, "nora", "laptop")
    token = signed_in["data"]["signIn"]["accessToken"]
    erased = await ok(
        gateway, "mutation { deleteMyAccount(input: {confirm: true}) { erased } }", token=token
    )
    assert erased["deleteMyAccount"]["erased"] is True
    assert await holders(demo_db, {nora}) == set()
    assert await demo_db[c.DISCLOSURES].count_documents({"subjects": {"$regex": "^erased-"}}) > 0


def test_each_collection_in_the_declaration_exists_and_lists_are_marked() -> None:
    assert {row.collection for row in OWNED} <= set(c.ALL) - TRANSIENT
    assert all(row.many for row in OWNED if row.erasure is Erasure.PULL)


def test_erasure_steps_come_from_the_declaration_in_an_order_that_holds() -> None:
    names = [name for name, _ in erasure.STEPS]
    assert names == [step for step, _ in groupby(row.step for row in OWNED)]
    assert len(names) == len(set(names)), "rows of one step must be adjacent"
    # Job records store step names: every name an older job may hold is still a step.
    assert set(names) >= {
        "lock_out", "devices", "sign_ins", "notifications", "mail_outbox", "consents",
        "support_cases", "comments_on_own_items", "content", "shares", "disclosures",
        "admin_audit", "legal_requests", "account", "sign_in_failures",
    }  # fmt: skip
    first = [(row.collection, row.erasure) for row in OWNED if row.step == names[0]]
    assert (c.ACCOUNTS, Erasure.LOCK) in first
    assert names[-1] == "sign_in_failures"
    # Records the law keeps are pseudonymised once the account can no longer be read (its
    # domain admin reads the locked account until its document goes; those reads are records).
    kept = [row.step for row in OWNED if row.erasure is Erasure.PSEUDONYMISE]
    assert all(names.index(step) > names.index("account") for step in kept)
    for index, row in enumerate(OWNED):
        if row.erasure is Erasure.DELETE_REPLIES:
            later = OWNED[index + 1 :]
            assert any(r.erasure is Erasure.DELETE and r.key == row.key for r in later), row


def test_the_export_sections_come_from_the_declaration() -> None:
    assert [(s.listing.name, s.collection, s.key) for s in SECTIONS] == [
        ("account", c.ACCOUNTS, "_id"),
        ("devices", c.DEVICES, "account"),
        ("signIns", c.SIGN_INS, "account"),
        ("content", c.CONTENT, "owner"),
        ("comments", c.CONTENT, "owner"),
        ("consents", c.CONSENTS, "subject"),
        ("notifications", c.NOTIFICATIONS, "account"),
        ("supportCases", c.SUPPORT_CASES, "subject"),
        ("disclosures", c.DISCLOSURES, "subjects"),
    ]


async def test_every_owner_key_leads_an_index(db: AsyncDatabase[Any]) -> None:
    unindexed = []
    for row in OWNED:
        indexes = await db[row.collection].index_information()
        if not any(index["key"][0][0] == row.key for index in indexes.values()):
            unindexed.append((row.collection, row.key))
    assert unindexed == []
