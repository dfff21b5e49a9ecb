"""No shape of query reaches a denied value: aliases, fragments, nesting, variables, batches."""

from __future__ import annotations

from typing import Any

import pytest

from tests.client import GatewayClient

SECRETS = ("alice@uni-graz.example", "+43 316 380 0001", "asthma", "AT611904300234573201")

QUERIES = {
    "aliases": '{ a: account(id: "acct-alice") { x: email y: phone z: email } }',
    "fragment": '{ account(id: "acct-alice") { ...F } } fragment F on Account { email phone }',
    "inline fragment": '{ account(id: "acct-alice") { ... on Account { email sensitive '
    "{ health } } } }",
    "nested fragments": '{ account(id: "acct-alice") { ...A } } fragment A on Account { ...B }'
    " fragment B on Account { billing { iban } }",
    "through content author": '{ content(id: "post-alice-garden") { author { email phone } } }',
    "through comments": '{ content(id: "post-alice-garden") { comments { author { email } }'
    " author { content { author { phone } } } } }",
    "through the feed": "{ publicFeed(first: 100) { edges { node { author { email phone } } } } }",
    "skip false and include true": '{ account(id: "acct-alice") { email @skip(if: false) '
    "phone @include(if: true) } }",
}


@pytest.mark.parametrize("shape", sorted(QUERIES))
async def test_denied_values_stay_out_of_every_shape(gateway: GatewayClient, shape: str) -> None:
    response = await gateway.post(QUERIES[shape], as_="bob")
    assert response.status_code == 200
    assert not any(secret in response.text for secret in SECRETS)
    errors = response.json()["errors"]
    assert errors and all(e["extensions"]["code"] == "FORBIDDEN" for e in errors)
    assert all(e["path"] for e in errors)


async def test_nested_denial_carries_the_full_path(gateway: GatewayClient) -> None:
    body = await gateway.query(
        '{ content(id: "post-alice-garden") { title author { displayName email } } }', as_="bob"
    )
    assert body["data"] == {
        "content": {
            "title": "Spring in the botanical garden",
            "author": {"displayName": "Alice Amsel", "email": None},
        }
    }
    assert body["errors"] == [
        {
            "message": "Not allowed to read Account.email.",
            "locations": [{"line": 1, "column": 65}],
            "path": ["content", "author", "email"],
            "extensions": {"code": "FORBIDDEN", "coordinate": "Account.email"},
        }
    ]


async def test_variables_choose_nothing_the_policy_does_not(gateway: GatewayClient) -> None:
    query = "query($id: ID!) { account(id: $id) { email } }"
    body: dict[str, Any] = await gateway.query(query, {"id": "acct-alice"}, as_="carol")
    assert body["data"] == {"account": {"email": None}}


async def test_batched_operations_reach_nothing_either(gateway: GatewayClient) -> None:
    batch = [{"query": QUERIES["aliases"]}, {"query": "{ me { id } }"}]
    response = await gateway.http.post(
        "/graphql", json=batch, headers={"Authorization": f"Bearer {gateway.token('bob')}"}
    )
    assert response.status_code == 200
    assert not any(secret in response.text for secret in SECRETS)
    aliases, me = response.json()
    assert aliases["errors"] and all(
        e["extensions"]["code"] == "FORBIDDEN" for e in aliases["errors"]
    )
    assert me == {"data": {"me": {"id": "acct-bob"}}}
