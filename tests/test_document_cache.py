"""Parsed and validated documents, cached by text (`schema/protections/limits.Documents`).

What the cache must keep: a document is checked against the rules it runs under (a cached
answer for other rules is never reused), what fails to parse is refused every time, and the
errors a request gets are its own list.
"""

from __future__ import annotations

import pytest
from graphql import GraphQLSyntaxError, specified_rules
from graphql.validation import NoSchemaIntrospectionCustomRule

from schema.build import build_schema
from schema.protections.limits import Documents
from tests.client import GatewayClient, error_codes

SCHEMA = build_schema()._schema
RULES = tuple(specified_rules)
INTROSPECTION = "{ __schema { queryType { name } } }"


def test_a_document_is_validated_against_the_rules_it_runs_under() -> None:
    documents = Documents(max_tokens=100, maxsize=8)
    parsed = documents.parsed(INTROSPECTION)
    assert documents.parsed(INTROSPECTION) is parsed  # parsed once
    assert parsed.validated(SCHEMA, RULES) == []
    refused = parsed.validated(SCHEMA, (*RULES, NoSchemaIntrospectionCustomRule))
    assert refused
    assert all("introspection has been disabled" in error.message for error in refused)
    assert parsed.validated(SCHEMA, RULES) == []


def test_the_errors_a_request_gets_are_its_own() -> None:
    parsed = Documents(max_tokens=100, maxsize=8).parsed("{ nothingHere }")
    errors = parsed.validated(SCHEMA, RULES)
    assert len(errors) == 1
    errors.clear()
    assert len(parsed.validated(SCHEMA, RULES)) == 1


def test_a_document_past_the_token_bound_is_refused_every_time_and_never_kept() -> None:
    documents = Documents(max_tokens=5, maxsize=8)
    for _ in range(2):
        with pytest.raises(GraphQLSyntaxError, match="more than 5 tokens"):
            documents.parsed("{ a b c d e f }")
    assert documents.parsed.cache_info().currsize == 0  # type: ignore[attr-defined]


async def test_through_http_a_refused_document_stays_refused_and_a_fixed_one_runs(
    gateway: GatewayClient,
) -> None:
    for _ in range(2):
        response = await gateway.http.post("/graphql", json={"query": "{ nothingHere }"})
        assert error_codes(response.json()) == ["GRAPHQL_VALIDATION_FAILED"]
    response = await gateway.http.post("/graphql", json={"query": "{ __typename }"})
    assert response.json() == {"data": {"__typename": "Query"}}
