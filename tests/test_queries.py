"""The first slice of the schema through HTTP: me, account, content, publicFeed."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import CONTENT
from tests.client import GatewayClient, error_codes

FEED = """
query Feed($first: Int, $after: String) {
  publicFeed(first: $first, after: $after) {
    edges { cursor node { id kind visibility author { id displayName } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_me_answers_the_token_holder(gateway: GatewayClient) -> None:
    body = await gateway.query("{ me { id displayName photoUrl } }", as_="alice")
    assert body == {
        "data": {
            "me": {
                "id": "acct-alice",
                "displayName": "Alice Amsel",
                "photoUrl": "https://img.imoox.example/alice.png",
            }
        }
    }


async def test_me_without_a_token_is_unauthenticated(gateway: GatewayClient) -> None:
    body = await gateway.query("{ me { id } }")
    assert body["data"] == {"me": None}
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["path"] == ["me"]


async def test_me_is_for_accounts_not_organisations(gateway: GatewayClient) -> None:
    body = await gateway.query("{ me { id } }", as_="helpdesk-co")
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["coordinate"] == "Query.me"


async def test_account_by_id_and_unknown_id(gateway: GatewayClient) -> None:
    body = await gateway.query(
        '{ a: account(id: "acct-bob") { id displayName } b: account(id: "acct-nobody") { id } }'
    )
    assert body == {"data": {"a": {"id": "acct-bob", "displayName": "Bob Berger"}, "b": None}}


async def test_invisible_content_answers_like_missing_content(gateway: GatewayClient) -> None:
    query = "query($id: ID!) { content(id: $id) { id title } }"
    private = await gateway.query(query, {"id": "post-alice-private"})
    missing = await gateway.query(query, {"id": "post-that-never-was"})
    assert private == missing == {"data": {"content": None}}


async def test_content_visibility_per_viewer(gateway: GatewayClient) -> None:
    items = ["post-alice-garden", "post-alice-shared", "post-alice-private", "email-alice-bob"]
    query = " ".join(f'i{n}: content(id: "{item}") {{ id }}' for n, item in enumerate(items))
    expected_visible = {
        None: {"post-alice-garden"},
        "alice": set(items),
        "bob": {"post-alice-garden", "post-alice-shared", "email-alice-bob"},
        "carol": {"post-alice-garden"},
        "dora": {"post-alice-garden"},
    }
    for viewer, visible in expected_visible.items():
        body = await gateway.query("{" + query + "}", as_=viewer)
        seen = {value["id"] for value in body["data"].values() if value}
        assert seen == visible, viewer
        assert "errors" not in body


async def test_public_feed_pages_through_every_public_item_once(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    expected = [
        doc["_id"]
        async for doc in demo_db[CONTENT]
        .find({"visibility": "PUBLIC", "kind": {"$ne": "EMAIL"}})
        .sort([("created_at", -1), ("_id", -1)])
    ]
    seen: list[str] = []
    after = None
    while True:
        body = await gateway.query(FEED, {"first": 7, "after": after}, as_="alice")
        connection = body["data"]["publicFeed"]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        assert all(edge["node"]["visibility"] == "PUBLIC" for edge in connection["edges"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]
    assert seen == expected
    assert len(expected) > 50


async def test_public_feed_authors_are_batched_public_accounts(gateway: GatewayClient) -> None:
    body = await gateway.query(FEED, {"first": 100})
    authors = {edge["node"]["author"]["id"] for edge in body["data"]["publicFeed"]["edges"]}
    assert {"acct-alice", "acct-bob", "acct-carol"} <= authors


async def test_public_feed_rejects_bad_arguments(gateway: GatewayClient) -> None:
    for variables, field in [
        ({"first": 5, "after": "not-a-cursor"}, "after"),
        ({"first": 1000}, "first"),
        ({"first": -1}, "first"),
    ]:
        body = await gateway.query(FEED, variables)
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_public_feed_empty_page(gateway: GatewayClient) -> None:
    body = await gateway.query(FEED, {"first": 0})
    assert body["data"]["publicFeed"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": True, "endCursor": None},
    }


async def test_bad_tokens_get_401_and_nothing_executes(gateway: GatewayClient) -> None:
    good = gateway.token("alice")
    for authorization in [f"Bearer {good}x", "Bearer ", f"Basic {good}", "Bearer a.b.c"]:
        response = await gateway.http.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": authorization}
        )
        assert response.status_code == 401
        assert response.json() == {
            "data": None,
            "errors": [
                {
                    "message": "The bearer token is invalid, expired or revoked.",
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ],
        }
