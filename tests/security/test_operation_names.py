"""Which operation of a document runs: the one named, and none when several are not named.

GraphQL (§6.1, GetOperation) refuses a document of several operations without an
`operationName`; Strawberry alone would run the first, so a caller could not tell which of
its operations ran, nor a reviewer from the document which one will.
"""

from __future__ import annotations

from typing import Any

from tests.client import GatewayClient, error_codes

DEVICE = {"X-Device-Id": "kiosk-9"}
#: A write first, then a read: Strawberry alone would run the write.
WRITE_THEN_READ = (
    'mutation Write { updateDeviceSettings(input: {language: "fr"}) { language } }'
    " query Read { deviceSettings { language } }"
)
UNNAMED = "The document holds several operations: name the one to run in `operationName`."


async def _language(gateway: GatewayClient) -> Any:
    body = await gateway.query("{ deviceSettings { language } }", headers=DEVICE)
    return body["data"]["deviceSettings"]["language"]


async def test_several_operations_without_a_name_run_none(gateway: GatewayClient) -> None:
    response = await gateway.http.post("/graphql", json={"query": WRITE_THEN_READ}, headers=DEVICE)
    assert response.status_code == 400
    assert response.json() == {
        "data": None,
        "errors": [{"message": UNNAMED, "extensions": {"code": "BAD_REQUEST"}}],
    }
    assert await _language(gateway) is None


async def test_several_operations_over_get_without_a_name_run_none(
    gateway: GatewayClient,
) -> None:
    document = "query A { publicFeed(first: 1) { edges { node { id } } } } query B { __typename }"
    response = await gateway.http.get("/graphql", params={"query": document})
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]
    assert "publicFeed" not in response.text


async def test_the_named_operation_runs(gateway: GatewayClient) -> None:
    for name, expected in (("Read", {"deviceSettings": {"language": None}}), ("Write", None)):
        response = await gateway.http.post(
            "/graphql",
            json={"query": WRITE_THEN_READ, "operationName": name},
            headers=DEVICE,
        )
        assert response.status_code == 200, response.text
        if expected is not None:
            assert response.json() == {"data": expected}
    assert await _language(gateway) == "fr"


async def test_one_operation_needs_no_name(gateway: GatewayClient) -> None:
    body = await gateway.query("query Only { __typename }")
    assert body == {"data": {"__typename": "Query"}}


async def test_in_a_batch_only_the_unnamed_document_is_refused(gateway: GatewayClient) -> None:
    response = await gateway.http.post(
        "/graphql",
        json=[{"query": WRITE_THEN_READ}, {"query": "{ deviceSettings { language } }"}],
        headers=DEVICE,
    )
    refused, answered = response.json()
    assert refused == {
        "data": None,
        "errors": [{"message": UNNAMED, "extensions": {"code": "BAD_REQUEST"}}],
    }
    assert answered == {"data": {"deviceSettings": {"language": None}}}
