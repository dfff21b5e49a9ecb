"""Work that depends only on the document is done once, not per request."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import strawberry.schema.schema
import strawberry.types.info

from tests.client import GatewayClient


async def test_a_document_is_validated_once_however_often_it_is_sent(
    gateway: GatewayClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The validation cache hits only if the limit rules are the same classes every request."""
    validate = strawberry.schema.schema.validate
    validated: list[Any] = []

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        validated.append(args[1])
        return validate(*args, **kwargs)

    monkeypatch.setattr(strawberry.schema.schema, "validate", counting_validate)
    alias = f"x{uuid.uuid4().hex}"
    query = f"{{ {alias}: __typename publicFeed(first: 2) {{ edges {{ node {{ id }} }} }} }}"
    for handle in (None, None, "alice", "dora"):
        body = await gateway.query(query, as_=handle)
        assert "errors" not in body, body
    assert len(validated) == 1


async def test_limits_still_refuse_a_cached_document(gateway: GatewayClient) -> None:
    """A document refused once is refused every time: the cache keeps errors too."""
    inner = "id"
    for _ in range(8):
        inner = f"content {{ author {{ {inner} }} }}"
    deep = f'{{ account(id: "acct-alice") {{ {inner} }} }}'  # 17 deep; the limit is 12
    answers = [await gateway.query(deep, as_="alice") for _ in range(2)]
    assert answers[0] == answers[1]
    assert "data" not in answers[0] or answers[0]["data"] is None
    assert {e["extensions"]["code"] for e in answers[0]["errors"]} == {"LIMIT_EXCEEDED"}


async def test_a_documents_selections_are_worked_out_once_however_often_it_is_sent(
    gateway: GatewayClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a field selects (for projections) depends only on the parsed document, which the
    parser cache keeps: a repeated document reuses it instead of walking its fields again."""
    convert = strawberry.types.info.convert_selections
    walked: list[Any] = []

    def counting_convert(*args: Any, **kwargs: Any) -> Any:
        walked.append(args[1])
        return convert(*args, **kwargs)

    monkeypatch.setattr(strawberry.types.info, "convert_selections", counting_convert)
    alias = f"x{uuid.uuid4().hex}"
    query = f"{{ {alias}: me {{ displayName content {{ id title author {{ id }} }} }} }}"
    first = await gateway.query(query, as_="alice")
    once = len(walked)
    assert once > 0
    for handle in ("alice", "bob"):
        body = await gateway.query(query, as_=handle)
        assert "errors" not in body, body
    again = await gateway.query(query, as_="alice")
    assert again == first
    assert len(walked) == once


async def test_documents_alike_but_for_their_fragments_each_read_their_own_fields(
    gateway: GatewayClient,
) -> None:
    """Two documents whose operations are alike but whose fragments differ each read what their
    own fragment selects: a document's selections are its own."""
    email = "{ me { ...F } } fragment F on Account { email }"
    name = "{ me { ...F } } fragment F on Account { displayName }"
    for _ in range(2):
        assert await gateway.query(email, as_="alice") == {
            "data": {"me": {"email": "alice@uni-graz.example"}}
        }
        assert await gateway.query(name, as_="alice") == {
            "data": {"me": {"displayName": "Alice Amsel"}}
        }
