"""A comment is seen by whoever sees its item, now, and carries nothing of its item's audience.

Audit 2026-11-30 findings 6 and 9, and the suspected projection leak: each test replays the
attack through HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers.demo_world import account_id
from tests.client import GatewayClient, running
from tests.commands import CommandCounter

ALICE, BOB, CAROL = account_id("alice"), account_id("bob"), account_id("carol")
CREATE = """
mutation($input: CreateContentInput!) { createContent(input: $input) { content { id } } }
"""
UPDATE = """
mutation($input: UpdateContentInput!) { updateContent(input: $input) { content { id } } }
"""
EXPORT = "mutation { exportMyData(input: {}) { document } }"


async def _create(gateway: GatewayClient, as_: str, **fields: Any) -> str:
    body = await gateway.query(CREATE, {"input": {"body": "text", **fields}}, as_=as_)
    assert "errors" not in body, body
    item: str = body["data"]["createContent"]["content"]["id"]
    return item


async def _update(gateway: GatewayClient, **fields: Any) -> None:
    body = await gateway.query(UPDATE, {"input": fields}, as_="alice")
    assert "errors" not in body, body


async def _content(gateway: GatewayClient, item: str, as_: str | None) -> dict[str, Any]:
    return await gateway.query(
        "query($id: ID!) { content(id: $id) { id body author { displayName } } }",
        {"id": item},
        as_=as_,
    )


async def _listed(gateway: GatewayClient, as_: str | None) -> set[str]:
    """Every item id the caller meets in the feed and in Alice's, Bob's and Carol's lists."""
    body = await gateway.query(
        """{ publicFeed(first: 100) { edges { node { id comments { id } } } }
             alice: account(id: "acct-alice") { content { id comments { id } } }
             bob: account(id: "acct-bob") { content { id } }
             carol: account(id: "acct-carol") { content { id } } }""",
        as_=as_,
    )
    assert "errors" not in body, body
    data = body["data"]
    nodes = [edge["node"] for edge in data["publicFeed"]["edges"]] + data["alice"]["content"]
    ids = {node["id"] for node in nodes}
    ids |= {comment["id"] for node in nodes for comment in node["comments"]}
    ids |= {item["id"] for who in ("bob", "carol") for item in data[who]["content"]}
    return ids


async def test_a_comment_carries_no_share_list_of_its_item(gateway: GatewayClient) -> None:
    """Finding 6: Bob read Alice's share list through his own comment, and in his export."""
    post = await _create(
        gateway, "alice", kind="POST", visibility="SHARED", sharedWith=[BOB, CAROL]
    )
    comment = await _create(gateway, "bob", kind="COMMENT", parentId=post)
    body = await gateway.query(
        "query($c: ID!, $p: ID!) { comment: content(id: $c) { sharedWith }"
        " parent: content(id: $p) { sharedWith } }",
        {"c": comment, "p": post},
        as_="bob",
    )
    assert body["data"] == {"comment": {"sharedWith": []}, "parent": {"sharedWith": None}}
    assert [e["path"] for e in body["errors"]] == [["parent", "sharedWith"]]

    exported = (await gateway.query(EXPORT, as_="bob"))["data"]["exportMyData"]["document"]
    mine = [item for item in exported["comments"] if item["id"] == comment]
    assert mine == [
        {
            "id": comment,
            "kind": "COMMENT",
            "title": None,
            "body": "text",
            "visibility": None,
            "createdAt": mine[0]["createdAt"],
            "sharedWith": [],
            "recipients": [],
        }
    ]
    streamed = await gateway.http.get(
        "/export", headers={"Authorization": f"Bearer {gateway.token('bob')}"}
    )
    assert streamed.status_code == 200
    assert CAROL not in streamed.text and ALICE not in streamed.text


async def test_comments_follow_their_item_into_private(gateway: GatewayClient) -> None:
    """Finding 9: after Alice made her public post private, anyone still read its comments."""
    before = await _listed(gateway, None)
    assert {"comment-bob-garden", "comment-carol-garden"} <= before
    await _update(gateway, id="post-alice-garden", visibility="PRIVATE")

    for caller, gone in (
        (None, {"comment-bob-garden", "comment-carol-garden"}),
        ("erin", {"comment-bob-garden", "comment-carol-garden"}),
        ("bob", {"comment-carol-garden"}),
        ("carol", {"comment-bob-garden"}),
    ):
        assert not gone & await _listed(gateway, caller), caller
    missing = await _content(gateway, "comment-nobody", None)
    for caller, comment in ((None, "comment-bob-garden"), ("erin", "comment-carol-garden")):
        # Exactly the answer for an id that does not exist.
        assert await _content(gateway, comment, caller) == missing == {"data": {"content": None}}
    # Alice sees her item and the comments on it; each author still sees their own words.
    alice = await _listed(gateway, "alice")
    assert {"comment-bob-garden", "comment-carol-garden"} <= alice
    assert (await _content(gateway, "comment-bob-garden", "bob"))["data"]["content"]["id"]

    await _update(gateway, id="post-alice-garden", visibility="PUBLIC")
    assert {"comment-bob-garden", "comment-carol-garden"} <= await _listed(gateway, None)


async def test_comments_follow_their_item_out_of_a_share(gateway: GatewayClient) -> None:
    """Finding 9: after Alice removed Carol from her shared post, Carol read Bob's comment."""
    post = await _create(
        gateway, "alice", kind="POST", visibility="SHARED", sharedWith=[BOB, CAROL]
    )
    comment = await _create(gateway, "bob", kind="COMMENT", parentId=post)
    assert (await _content(gateway, comment, "carol"))["data"]["content"]["id"] == comment
    assert comment in await _listed(gateway, "carol")

    await _update(gateway, id=post, sharedWith=[BOB])
    assert await _content(gateway, comment, "carol") == {"data": {"content": None}}
    assert comment not in await _listed(gateway, "carol")
    assert comment in await _listed(gateway, "alice")
    assert (await _content(gateway, comment, "bob"))["data"]["content"]["id"] == comment


class Replies(monitoring.CommandListener):
    """Every document the database sends the gateway, as it arrives."""

    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        cursor = event.reply.get("cursor", {})
        self.documents += cursor.get("firstBatch", []) + cursor.get("nextBatch", [])

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_another_persons_share_list_is_never_read_from_the_database(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """Suspected: selecting `sharedWith` made the gateway read everyone's `shared_with`."""
    replies = Replies()
    async with running(settings, event_listeners=[replies]) as gateway:
        mine = await _create(gateway, "bob", kind="POST", visibility="SHARED", sharedWith=[CAROL])
        replies.documents.clear()
        body = await gateway.query(
            """query($mine: ID!) {
                 shared: content(id: "post-alice-shared") { id sharedWith }
                 mine: content(id: $mine) { sharedWith }
                 publicFeed(first: 100) { edges { node { sharedWith comments { sharedWith } } } }
                 alice: account(id: "acct-alice") { content { id sharedWith } }
                 me { content { id sharedWith } } }""",
            {"mine": mine},
            as_="bob",
        )
    assert body["data"]["mine"] == {"sharedWith": [CAROL]}
    assert body["data"]["shared"] == {"id": "post-alice-shared", "sharedWith": None}
    items = [doc for doc in replies.documents if "kind" in doc]
    assert items, "the queries read content"
    # Bob's own items carry their share lists; nobody else's item does.
    carrying = {doc["_id"]: doc["owner"] for doc in items if "shared_with" in doc}
    assert mine in carrying and set(carrying.values()) == {BOB}
    assert {doc["owner"] for doc in items} > {BOB}


async def test_comments_stored_with_a_copied_audience_lose_it_at_start(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """Comments written before this fix carried their item's audience; a start drops it."""
    legacy = {
        "_id": "comment-legacy",
        "owner": BOB,
        "kind": "COMMENT",
        "visibility": "SHARED",
        "title": None,
        "body": "old",
        "shared_with": [CAROL, ALICE],
        "recipients": [],
        "parent": "post-alice-shared",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    await demo_db.content.insert_one(legacy, bypass_document_validation=True)
    async with running(settings) as gateway:
        body = await gateway.query('{ content(id: "comment-legacy") { sharedWith } }', as_="bob")
    assert body == {"data": {"content": {"sharedWith": []}}}
    stored = await demo_db.content.find_one({"_id": "comment-legacy"})
    assert stored == {**legacy, "visibility": None, "shared_with": []}


async def _comments_on_private_items(db: AsyncDatabase[Any], count: int) -> None:
    """`count` items of Erin's, every other one private, each with a comment by Bob."""
    await db.content.delete_many({"_id": {"$regex": "^many-"}})
    start = datetime(2026, 3, 1, tzinfo=UTC)
    item = {"owner": account_id("erin"), "kind": "POST", "title": "t", "body": "b"}
    comment = {"owner": BOB, "kind": "COMMENT", "visibility": None, "title": None, "body": "c"}
    await db.content.insert_many(
        [
            {
                **item,
                "_id": f"many-{n}",
                "visibility": "PRIVATE" if n % 2 else "PUBLIC",
                "shared_with": [],
                "recipients": [],
                "parent": None,
                "created_at": start,
            }
            for n in range(count)
        ]
        + [
            {
                **comment,
                "_id": f"many-{n}-c",
                "shared_with": [],
                "recipients": [],
                "parent": f"many-{n}",
                "created_at": start,
            }
            for n in range(count)
        ]
    )


async def test_checking_each_comments_item_costs_no_round_trip_per_row(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    counter = CommandCounter()
    seen: dict[int, int] = {}
    async with running(settings, event_listeners=[counter]) as gateway:
        for count in (10, 100):
            await _comments_on_private_items(demo_db, count)
            # Counted warm: a first page starts at the width its list last needed
            # (`resolvers.windows`), which the rows just added may change once.
            await gateway.query('{ account(id: "acct-bob") { content { id } } }')
            counter.commands.clear()
            body = await gateway.query('{ account(id: "acct-bob") { content { id } } }')
            ids = {item["id"] for item in body["data"]["account"]["content"]}
            assert {i for i in ids if i.startswith("many-")} == {
                f"many-{n}-c" for n in range(0, count, 2)
            }
            seen[count] = sum(counter.commands.values())
    assert seen[10] == seen[100], seen
