"""The root lists of third parties, recommendations and an item's comments are pages (issue 13).

`partnerContacts` and `supportCases` are newest first, `comments` oldest first, each `first`
rows at a time with a sealed `cursor` per row that continues its own list only: for its
caller, its list and (comments) its item. What each list shows and records is unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from authz.principals import Principal
from authz.visibility import audience
from resolvers import collections as c
from resolvers.content import comment_pages
from resolvers.rollup_rebuild import rebuild
from tests.client import GatewayClient, error_codes
from tests.disclosure_records import records, without

NOW = datetime.now(UTC).replace(microsecond=0)
#: Minutes ago each new row was written: `r3a` and `r3b` share one millisecond.
AGO = {"r0": 1, "r1": 2, "r2": 3, "r3a": 4, "r3b": 4, "r4": 5}
#: Whose consent each new consent is.
SUBJECTS = {name: f"acct-learner0{n}" for n, name in enumerate(AGO, start=1)}


def _refused(body: dict[str, Any]) -> None:
    """Refused like a malformed cursor: on `after`, and nothing else answered."""
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["field"] == "after"
    assert body["data"] is None or not any(body["data"].values()), body


async def _records(db: AsyncDatabase[Any]) -> list[dict[str, Any]]:
    return [without(row, "_id", "at") for row in await records(db)]


# -- partnerContacts ------------------------------------------------------------------------

CONTACTS = """query($first: Int, $after: String) {
  partnerContacts(first: $first, after: $after) { consentFields account { id } cursor } }"""


async def _consent(db: AsyncDatabase[Any], name: str, **fields: Any) -> None:
    await db[c.CONSENTS].insert_one(
        {
            "_id": f"consent-{name}",
            "subject": SUBJECTS.get(name, "acct-bob"),
            "recipient": "flowershop",
            "fields": ["email"],
            "purpose": None,
            "explicit": False,
            "source": "GRANT",
            "granted_at": NOW - timedelta(minutes=AGO.get(name, 60)),
            "expires_at": None,
            "revoked_at": None,
            **fields,
        }
    )


async def _contacts(
    gateway: GatewayClient, first: int, after: str | None, as_: str = "flowershop"
) -> dict[str, Any]:
    return await gateway.query(CONTACTS, {"first": first, "after": after}, as_=as_)


async def test_partner_contacts_page_newest_first_showing_only_consents_in_force(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    for name in AGO:
        await _consent(demo_db, name)
    await _consent(demo_db, "revoked", revoked_at=NOW - timedelta(seconds=1))
    await _consent(demo_db, "expired", expires_at=NOW - timedelta(seconds=1))
    await _consent(demo_db, "future", granted_at=NOW + timedelta(days=1))
    seen: list[str] = []
    after = None
    for size in (2, 2, 2, 2):
        body = await _contacts(gateway, size, after)
        assert "errors" not in body, body
        rows = body["data"]["partnerContacts"]
        seen += [row["account"]["id"] for row in rows]
        after = rows[-1]["cursor"] if rows else after
    # Newest consent first; within one millisecond, the higher consent id first; then
    # alice's demo consent (granted days ago).
    assert seen == [
        "acct-learner01",  # r0
        "acct-learner02",  # r1
        "acct-learner03",  # r2
        "acct-learner05",  # r3b
        "acct-learner04",  # r3a
        "acct-learner06",  # r4
        "acct-alice",
    ]


async def test_a_contacts_cursor_opens_only_its_partners_contacts(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    for name in ("r0", "r1"):
        await _consent(demo_db, name)
    body = await _contacts(gateway, 1, None)
    cursor = body["data"]["partnerContacts"][0]["cursor"]
    # Another partner (whose own list it is not).
    _refused(await _contacts(gateway, 1, cursor, as_="adnet"))
    # Another list: the cursor of alice's own consents, and a processor's cases.
    own = await gateway.query("{ me { consents(first: 1) { cursor } } }", as_="alice")
    _refused(await _contacts(gateway, 1, own["data"]["me"]["consents"][0]["cursor"]))
    cases = await gateway.query("{ supportCases(first: 1) { cursor } }", as_="helpdesk-co")
    _refused(await _contacts(gateway, 1, cases["data"]["supportCases"][0]["cursor"]))
    # No partner read was recorded (the refused requests showed nothing); the cursor still
    # pages its own list.
    assert [r for r in await _records(demo_db) if r["principal_kind"] == "partner"] == []
    body = await _contacts(gateway, 1, cursor)
    assert [row["account"]["id"] for row in body["data"]["partnerContacts"]] == ["acct-learner02"]


async def test_a_page_of_contacts_records_each_contact_shown_once(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    for name in ("r0", "r1", "r2"):
        await _consent(demo_db, name)
    query = "{ partnerContacts(first: 2) { account { id email } } }"
    body = await gateway.query(query, as_="flowershop")
    assert "errors" not in body, body
    stored = await _records(demo_db)
    assert sorted((r["subject"], r["relation"], tuple(r["fields"])) for r in stored) == [
        ("acct-learner01", "PARTNER", ("Account.email",)),
        ("acct-learner02", "PARTNER", ("Account.email",)),
    ]


async def test_reject_mode_refuses_a_page_of_contacts_with_a_denied_field(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await _consent(demo_db, "r0")
    body = await gateway.query(
        "{ partnerContacts(first: 5) { account { id email billing { iban } } } }",
        as_="flowershop",
        headers={"X-Authz-Mode": "reject"},
    )
    assert error_codes(body) == ["FORBIDDEN"], body
    assert body.get("data") is None
    assert await _records(demo_db) == []


# -- supportCases ---------------------------------------------------------------------------

CASES = """query($first: Int, $after: String) {
  supportCases(first: $first, after: $after) { id cursor } }"""


async def _case(db: AsyncDatabase[Any], name: str, **fields: Any) -> None:
    await db[c.SUPPORT_CASES].insert_one(
        {
            "_id": f"case-{name}",
            "subject": "acct-bob",
            "purpose": "support",
            "processor": "helpdesk-co",
            "status": "OPEN",
            "opened_at": NOW - timedelta(minutes=AGO.get(name, 60)),
            "closed_at": None,
            "messages": [],
            **fields,
        }
    )


async def test_a_processors_cases_page_newest_first_showing_only_its_open_cases(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    for name in AGO:
        await _case(demo_db, name)
    await _case(demo_db, "closed", status="CLOSED", closed_at=NOW)
    await _case(demo_db, "waiting", processor=None)
    await _case(demo_db, "other-desk", processor="otherdesk")
    await _case(demo_db, "other-purpose", purpose="billing")
    seen: list[str] = []
    after = None
    for _ in range(4):
        body = await gateway.query(CASES, {"first": 2, "after": after}, as_="helpdesk-co")
        assert "errors" not in body, body
        rows = body["data"]["supportCases"]
        seen += [row["id"] for row in rows]
        after = rows[-1]["cursor"] if rows else after
    assert seen == [
        "case-r0",
        "case-r1",
        "case-r2",
        "case-r3b",
        "case-r3a",
        "case-r4",
        "case-alice-login",
    ]


async def test_a_cases_cursor_opens_only_its_processors_cases(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    for name in ("r0", "r1"):
        await _case(demo_db, name)
    body = await gateway.query(CASES, {"first": 1}, as_="helpdesk-co")
    cursor = body["data"]["supportCases"][0]["cursor"]
    other = gateway.issuer.issue(
        {"kind": "processor", "sub": "otherdesk", "purpose": "support"}, 600
    )
    _refused(await gateway.query(CASES, {"first": 1, "after": cursor}, token=other))
    # The same processor's list of one account's cases is another list, both ways.
    account_cases = """query($after: String) { account(id: "acct-bob") {
      supportCases(first: 1, after: $after) { id cursor } } }"""
    refused = await gateway.query(account_cases, {"after": cursor}, as_="helpdesk-co")
    assert error_codes(refused) == ["BAD_USER_INPUT"], refused
    listed = await gateway.query(account_cases, {}, as_="helpdesk-co")
    theirs = listed["data"]["account"]["supportCases"][0]["cursor"]
    _refused(await gateway.query(CASES, {"first": 1, "after": theirs}, as_="helpdesk-co"))
    body = await gateway.query(CASES, {"first": 1, "after": cursor}, as_="helpdesk-co")
    assert [row["id"] for row in body["data"]["supportCases"]] == ["case-r1"]


# -- recommendations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        # Id order; erin and learner05 turned recommendations off (so did learner10, ...).
        (
            "alice",
            ["bob", "carol", "dora", *(f"learner0{n}" for n in (1, 2, 3, 4, 6, 7, 8))],
        ),
        (
            "erin",
            ["alice", "bob", "carol", "dora", *(f"learner0{n}" for n in (1, 2, 3, 4, 6, 7))],
        ),
    ],
)
async def test_recommendations_on_the_demo_world(
    gateway: GatewayClient, viewer: str, expected: list[str]
) -> None:
    body = await gateway.query("{ recommendations(first: 10) { id } }", as_=viewer)
    assert [row["id"] for row in body["data"]["recommendations"]] == [
        f"acct-{name}" for name in expected
    ]


async def test_recommendations_leave_out_private_profiles_and_unset_choices_count_as_yes(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await demo_db[c.ACCOUNTS].update_one(
        {"_id": "acct-bob"}, {"$set": {"settings.profile_visibility": "PRIVATE"}}
    )
    await demo_db[c.ACCOUNTS].update_one(
        {"_id": "acct-carol"}, {"$unset": {"settings.friends_recommendations": ""}}
    )
    await demo_db[c.ACCOUNTS].update_one(
        {"_id": "acct-dora"}, {"$set": {"settings.friends_recommendations": None}}
    )
    body = await gateway.query("{ recommendations(first: 4) { id } }", as_="alice")
    assert [row["id"] for row in body["data"]["recommendations"]] == [
        "acct-carol",
        "acct-dora",
        "acct-learner01",
        "acct-learner02",
    ]


# -- Content.comments -----------------------------------------------------------------------

COMMENTS = """query($id: ID!, $after: String) { content(id: $id) {
  cursor comments(first: 2, after: $after) { id cursor } } }"""


async def _item_with_comments(db: AsyncDatabase[Any], item: str) -> None:
    at = NOW - timedelta(days=3)
    base = {"shared_with": [], "recipients": [], "title": None, "body": "…"}
    await db[c.CONTENT].insert_one(
        {
            **base,
            "_id": item,
            "owner": "acct-alice",
            "kind": "POST",
            "visibility": "PUBLIC",
            "title": "Talk to me",
            "parent": None,
            "created_at": at,
        }
    )
    # Oldest first: `r4` was written first (5 minutes after the item), `r0` last.
    await db[c.CONTENT].insert_many(
        {
            **base,
            "_id": f"{item}-{name}",
            "owner": "acct-bob",
            "kind": "COMMENT",
            "visibility": None,
            "parent": item,
            "created_at": at + timedelta(minutes=10 - minutes),
        }
        for name, minutes in AGO.items()
    )


async def _comments(
    gateway: GatewayClient, item: str, after: str | None, as_: str = "carol"
) -> dict[str, Any]:
    return await gateway.query(COMMENTS, {"id": item, "after": after}, as_=as_)


async def test_comments_page_oldest_first(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await _item_with_comments(demo_db, "post-talk")
    seen: list[str] = []
    after = None
    for _ in range(4):
        body = await _comments(gateway, "post-talk", after)
        assert "errors" not in body, body
        assert body["data"]["content"]["cursor"] is None  # not read from a comment list
        rows = body["data"]["content"]["comments"]
        seen += [row["id"].removeprefix("post-talk-") for row in rows]
        after = rows[-1]["cursor"] if rows else after
    assert seen == ["r4", "r3a", "r3b", "r2", "r1", "r0"]


async def test_a_comments_cursor_opens_only_its_items_comments_for_its_caller(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await _item_with_comments(demo_db, "post-talk")
    await _item_with_comments(demo_db, "post-other")
    body = await _comments(gateway, "post-talk", None)
    cursor = body["data"]["content"]["comments"][-1]["cursor"]
    # Another item; another caller; a list that is not a comment list.
    for refused in (
        await _comments(gateway, "post-other", cursor),
        await _comments(gateway, "post-talk", cursor, as_="bob"),
        await gateway.query(
            "query($after: String) { publicFeed(first: 1, after: $after) { edges { cursor } } }",
            {"after": cursor},
            as_="carol",
        ),
    ):
        assert error_codes(refused) == ["BAD_USER_INPUT"], refused
        assert refused["errors"][0]["extensions"]["field"] == "after"
    body = await _comments(gateway, "post-talk", cursor)
    assert [row["id"] for row in body["data"]["content"]["comments"]] == [
        "post-talk-r3b",
        "post-talk-r2",
    ]


async def test_comments_on_an_item_seen_only_as_a_listed_subjects_are_that_subjects(
    demo_db: AsyncDatabase[Any],
) -> None:
    """Comments follow their item's audience: on an item the caller sees only because a legal
    request lists its owner, only the listed owners' comments show (as before paging); on an
    item it does not see, none (and nothing is read)."""
    await _item_with_comments(demo_db, "post-talk")
    await demo_db[c.CONTENT].update_one({"_id": "post-talk"}, {"$set": {"visibility": "PRIVATE"}})
    await demo_db[c.CONTENT].update_one({"_id": "post-talk-r2"}, {"$set": {"owner": "acct-alice"}})
    project = {"owner": 1}
    items = {"post-talk": NOW - timedelta(days=3)}
    anonymous = Principal.anonymous()
    listed = await comment_pages(
        demo_db, items, audience(anonymous, ["acct-alice"]), 5, None, project
    )
    assert [doc["_id"] for doc in listed["post-talk"].items] == ["post-talk-r2"]
    unseen = await comment_pages(demo_db, items, audience(anonymous), 5, None, project)
    assert unseen["post-talk"].items == []
    await demo_db[c.CONTENT].update_one({"_id": "post-talk"}, {"$set": {"visibility": "PUBLIC"}})
    public = await comment_pages(demo_db, items, audience(anonymous), 5, None, project)
    assert [doc["_id"] for doc in public["post-talk"].items] == [
        "post-talk-r4",
        "post-talk-r3a",
        "post-talk-r3b",
        "post-talk-r2",
        "post-talk-r1",
    ]


async def test_an_items_comments_are_counted_with_their_writes(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """The count that decides how comments are read (`comments|<item>`) follows every write,
    and a rebuild finds the same: it only ever changes what a read costs."""

    async def counted() -> int:
        counter = await demo_db[c.COUNTERS].find_one({"_id": "comments|post-alice-garden"})
        return int(counter["n"]) if counter else 0

    stored = await demo_db[c.CONTENT].count_documents({"parent": "post-alice-garden"})
    assert stored and await counted() == stored
    created = await gateway.query(
        """mutation($input: CreateContentInput!) { createContent(input: $input) {
          content { id } } }""",
        {"input": {"kind": "COMMENT", "body": "Hi", "parentId": "post-alice-garden"}},
        as_="carol",
    )
    assert "errors" not in created, created
    assert await counted() == stored + 1
    body = await gateway.query(
        '{ content(id: "post-alice-garden") { comments { id } } }', as_="erin"
    )
    shown = [row["id"] for row in body["data"]["content"]["comments"]]
    assert len(shown) == stored + 1
    assert shown[-1] == created["data"]["createContent"]["content"]["id"]
    assert await rebuild(demo_db, lambda *_: None) == 0
    deleted = await gateway.query(
        'mutation { deleteContent(input: {id: "post-alice-garden"}) { deletedId } }', as_="alice"
    )
    assert "errors" not in deleted, deleted
    assert await counted() == 0
