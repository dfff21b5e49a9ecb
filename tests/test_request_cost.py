"""Work that depends only on the document is done once, not per request."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import strawberry.schema.schema

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
