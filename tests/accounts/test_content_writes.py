"""Creating, changing and deleting content: others see exactly what visibility allows."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import account_id
from tests.client import GatewayClient, error_codes

CREATE = """
mutation($input: CreateContentInput!) {
  createContent(input: $input) { content { id kind title visibility sharedWith } }
}
"""
UPDATE = """
mutation($input: UpdateContentInput!) {
  updateContent(input: $input) { content { id title body visibility sharedWith } }
}
"""
DELETE = "mutation($id: ID!) { deleteContent(input: {id: $id}) { deletedId } }"
READ = "query($id: ID!) { content(id: $id) { id title } }"

BOB, CAROL = account_id("bob"), account_id("carol")


async def create(gateway: GatewayClient, as_: str, **fields: Any) -> dict[str, Any]:
    body = await gateway.query(CREATE, {"input": {"body": "text", **fields}}, as_=as_)
    assert "errors" not in body, body
    content: dict[str, Any] = body["data"]["createContent"]["content"]
    return content


async def visible(gateway: GatewayClient, item: str, as_: str | None) -> bool:
    body = await gateway.query(READ, {"id": item}, as_=as_)
    assert "errors" not in body, body
    return body["data"]["content"] is not None


async def test_items_are_seen_exactly_by_their_audience(gateway: GatewayClient) -> None:
    public = await create(gateway, "alice", kind="POST", title="Hello", visibility="PUBLIC")
    shared = await create(gateway, "alice", kind="DOCUMENT", visibility="SHARED", sharedWith=[BOB])
    private = await create(gateway, "alice", kind="PHOTO", visibility="PRIVATE")
    email = await create(gateway, "alice", kind="EMAIL", visibility="PUBLIC", recipients=[CAROL])
    assert shared["sharedWith"] == [BOB]

    expected = {
        "alice": {public["id"], shared["id"], private["id"], email["id"]},
        "bob": {public["id"], shared["id"]},
        "carol": {public["id"], email["id"]},
        "erin": {public["id"]},
        None: {public["id"]},
    }
    for caller, items in expected.items():
        seen = {
            i["id"]
            for i in (public, shared, private, email)
            if await visible(gateway, i["id"], caller)
        }
        assert seen == items, caller

    feed = await gateway.query("{ publicFeed(first: 50) { edges { node { id } } } }")
    feed_ids = {edge["node"]["id"] for edge in feed["data"]["publicFeed"]["edges"]}
    assert public["id"] in feed_ids and email["id"] not in feed_ids


async def test_comments_go_on_visible_items_only_and_show_their_author(
    gateway: GatewayClient,
) -> None:
    comment = await create(gateway, "carol", kind="COMMENT", parentId="post-alice-garden")
    body = await gateway.query(
        """{ content(id: "post-alice-garden") {
             comments { id body author { displayName photoUrl } } } }""",
        as_="erin",
    )
    comments = body["data"]["content"]["comments"]
    assert {
        "id": comment["id"],
        "body": "text",
        "author": {
            "displayName": "Carol Castell",
            "photoUrl": "https://img.imoox.example/carol.png",
        },
    } in comments

    # Bob may comment on the item shared with him; Alice (its owner) sees the comment.
    on_shared = await create(gateway, "bob", kind="COMMENT", parentId="post-alice-shared")
    assert await visible(gateway, on_shared["id"], "alice")
    assert not await visible(gateway, on_shared["id"], "carol")

    # An item one cannot see answers like one that does not exist.
    for parent in ("post-alice-private", "no-such-item"):
        body = await gateway.query(
            CREATE, {"input": {"kind": "COMMENT", "body": "x", "parentId": parent}}, as_="carol"
        )
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["message"] == "There is no item with this id to comment on."


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "POST", "visibility": "SHARED"}, "sharedWith"),
        ({"kind": "POST", "visibility": "PUBLIC", "sharedWith": [BOB]}, "sharedWith"),
        ({"kind": "POST", "sharedWith": ["acct-nobody"], "visibility": "SHARED"}, "sharedWith"),
        ({"kind": "EMAIL"}, "recipients"),
        ({"kind": "POST", "recipients": [BOB]}, "recipients"),
        ({"kind": "COMMENT"}, "parentId"),
        ({"kind": "POST", "parentId": "post-alice-garden"}, "parentId"),
        ({"kind": "POST", "body": ""}, "body"),
        ({"kind": "POST", "title": "t" * 201}, "title"),
        ({"kind": "COMMENT", "parentId": "email-alice-bob"}, "parentId"),
    ],
)
async def test_invalid_content_names_the_field_and_stores_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], fields: dict[str, Any], field: str
) -> None:
    before = await demo_db[c.CONTENT].count_documents({})
    body = await gateway.query(CREATE, {"input": {"body": "text", **fields}}, as_="alice")
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    assert await demo_db[c.CONTENT].count_documents({}) == before


async def test_unknown_kind_is_refused_by_the_schema(gateway: GatewayClient) -> None:
    body = await gateway.query(CREATE, {"input": {"body": "x", "kind": "PODCAST"}}, as_="alice")
    assert body["data"] is None and body["errors"]


async def test_owner_updates_an_item_and_changes_its_audience(gateway: GatewayClient) -> None:
    item = await create(gateway, "alice", kind="POST", visibility="PRIVATE")
    assert not await visible(gateway, item["id"], "bob")
    body = await gateway.query(
        UPDATE,
        {
            "input": {
                "id": item["id"],
                "title": "Now shared",
                "visibility": "SHARED",
                "sharedWith": [BOB],
            }
        },
        as_="alice",
    )
    assert body["data"]["updateContent"]["content"] == {
        "id": item["id"],
        "title": "Now shared",
        "body": "text",
        "visibility": "SHARED",
        "sharedWith": [BOB],
    }
    assert await visible(gateway, item["id"], "bob")
    body = await gateway.query(
        UPDATE, {"input": {"id": item["id"], "visibility": "PRIVATE"}}, as_="alice"
    )
    assert body["data"]["updateContent"]["content"]["sharedWith"] == []
    assert not await visible(gateway, item["id"], "bob")


@pytest.mark.parametrize("caller", ["bob", "carol"])
async def test_nobody_but_the_owner_changes_or_deletes_an_item(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], caller: str
) -> None:
    before = await demo_db[c.CONTENT].find_one({"_id": "post-alice-shared"})
    changed = await gateway.query(
        UPDATE, {"input": {"id": "post-alice-shared", "title": "mine now"}}, as_=caller
    )
    deleted = await gateway.query(DELETE, {"id": "post-alice-shared"}, as_=caller)
    for body in (changed, deleted):
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["message"] == "You have no such item."
    assert await demo_db[c.CONTENT].find_one({"_id": "post-alice-shared"}) == before


async def test_deleting_an_item_deletes_its_comments(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    assert await demo_db[c.CONTENT].count_documents({"parent": "post-alice-garden"}) > 0
    body = await gateway.query(DELETE, {"id": "post-alice-garden"}, as_="alice")
    assert body["data"]["deleteContent"]["deletedId"] == "post-alice-garden"
    assert await demo_db[c.CONTENT].count_documents({"parent": "post-alice-garden"}) == 0
    assert not await visible(gateway, "post-alice-garden", "alice")


async def test_delete_is_refused_under_the_delete_limit(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await demo_db[c.ACCOUNTS].update_one(
        {"_id": account_id("alice")}, {"$set": {"rights_limits.delete": True}}
    )
    body = await gateway.query(DELETE, {"id": "post-alice-garden"}, as_="alice")
    assert error_codes(body) == ["FORBIDDEN"]
    assert await demo_db[c.CONTENT].find_one({"_id": "post-alice-garden"}) is not None
    # Creating is not a deletion: it still works.
    await create(gateway, "alice", kind="POST")
