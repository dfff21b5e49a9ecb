"""Parsed and validated documents, cached by text (`schema/protections/limits.Documents`).

What the cache must keep: a document is checked against the rules it runs under (a cached
answer for other rules is never reused), what fails to parse is refused every time, and the
errors a request gets are its own list. And what it adds: a document whose fragments, written
out, hold more than `max_selections` is refused before any rule walks them.
"""

from __future__ import annotations

import pytest
from graphql import GraphQLSyntaxError, parse, specified_rules
from graphql.validation import NoSchemaIntrospectionCustomRule

from schema.build import build_schema
from schema.protections.limits import Documents, expanded_selections
from tests.client import GatewayClient, error_codes
from tests.hostile_documents import fragment_bomb

SCHEMA = build_schema()._schema
RULES = tuple(specified_rules)
INTROSPECTION = "{ __schema { queryType { name } } }"


def _documents(max_tokens: int = 100, max_selections: int = 50) -> Documents:
    return Documents(max_tokens=max_tokens, max_selections=max_selections, maxsize=8)


def test_a_document_is_validated_against_the_rules_it_runs_under() -> None:
    documents = _documents()
    parsed = documents.parsed(INTROSPECTION)
    assert documents.parsed(INTROSPECTION) is parsed  # parsed once
    assert documents.errors(parsed, SCHEMA, RULES) == []
    refused = documents.errors(parsed, SCHEMA, (*RULES, NoSchemaIntrospectionCustomRule))
    assert refused
    assert all("introspection has been disabled" in error.message for error in refused)
    assert documents.errors(parsed, SCHEMA, RULES) == []


def test_the_errors_a_request_gets_are_its_own() -> None:
    documents = _documents()
    parsed = documents.parsed("{ nothingHere }")
    errors = documents.errors(parsed, SCHEMA, RULES)
    assert len(errors) == 1
    errors.clear()
    assert len(documents.errors(parsed, SCHEMA, RULES)) == 1


@pytest.mark.parametrize(
    ("document", "selections"),
    [
        ("{ a b { c d { e } } ... on Query { f } }", 6),
        ("query { ...A ...A } fragment A on Query { a b { ...B } } fragment B on T { c }", 6),
        (fragment_bomb(3), 8),
        (fragment_bomb(30), 2**30),
        # A cycle counts nothing where it closes (validation refuses it); unknown: nothing.
        ("query { ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }", 2),
        ("query { a ...Missing }", 1),
        ("query One { a } query Two { b c }", 3),
    ],
)
def test_selections_are_counted_with_every_fragment_written_out(
    document: str, selections: int
) -> None:
    assert expanded_selections(parse(document)) == selections


def test_a_document_over_the_selections_bound_is_refused_before_any_rule_runs() -> None:
    documents = _documents(max_tokens=1_000, max_selections=64)
    within, beyond = documents.parsed(fragment_bomb(6)), documents.parsed(fragment_bomb(7))
    assert documents.errors(within, SCHEMA, RULES) == []
    (refused,) = documents.errors(beyond, SCHEMA, RULES)
    assert refused.extensions == {"code": "LIMIT_EXCEEDED", "limit": "selections", "max": 64}
    assert beyond.errors == {}  # no rule ran on it


def test_a_document_past_the_token_bound_is_refused_every_time_and_never_kept() -> None:
    documents = _documents(max_tokens=5)
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


async def test_through_http_a_fragment_bomb_is_refused_at_once(gateway: GatewayClient) -> None:
    """25 levels: 33 million selections written out, minutes for the rules that walk them."""
    response = await gateway.http.post("/graphql", json={"query": fragment_bomb(25)})
    assert error_codes(response.json()) == ["LIMIT_EXCEEDED"]
    assert response.json()["errors"][0]["extensions"]["limit"] == "selections"
