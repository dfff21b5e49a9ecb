"""The cost rule counts what a list answers (`schema/protections/limits.py`, issue 12).

A list that takes `first` and is asked without it counts the page its resolver answers (the
argument's declared default through `page_size`); `max_cost` admits the largest document the
oracle's random strategy can build and refuses one that asks 100 x 100 x 100.
"""

from __future__ import annotations

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from gateway.settings import Settings
from schema.build import build_schema
from schema.protections.limits import Limits, query_cost
from tests.client import GatewayClient, error_codes
from tests.oracle import documents as oracle
from tests.oracle.documents import Operation, Sel, leaf

SCHEMA = build_schema()._schema


def cost(document: str) -> int:
    tree = parse(document)
    fragments = {d.name.value: d for d in tree.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in tree.definitions if isinstance(d, OperationDefinitionNode)]
    return max(query_cost(op, SCHEMA, fragments, Limits()) for op in operations)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # me (1) + content (1) + 100 items x id (1): Account.content answers 100 by default.
        ("{ me { content { id } } }", 1 + 1 + 100),
        # A sub-list answers 20 by default (`page_size(None)`).
        ("{ me { signIns { at ip } } }", 1 + 1 + 20 * 2),
        ("{ me { disclosures { id } devices { id } } }", 1 + (1 + 20) + (1 + 20)),
        # A connection asked without `first`: 20 edges.
        ("{ publicFeed { edges { node { id } } } }", 1 + 1 + 20 * (1 + 1)),
        ("{ publicFeed(first: 3) { edges { node { id } } } }", 1 + 1 + 3 * (1 + 1)),
        ('{ content(id: "x") { comments { id } } }', 1 + 1 + 20),
        # A list that takes no `first` counts the default list size (10).
        ("{ supportCases { messages { text } } }", 1 + 20 * (1 + 10)),
    ],
)
def test_a_list_counts_the_page_its_resolver_answers(document: str, expected: int) -> None:
    assert cost(document) == expected


def _costliest(parts: tuple[Sel, ...], wrap: str, size: int) -> list[Sel]:
    return sorted(parts, key=lambda part: -cost(wrap.replace("SUB", part.render())))[:size]


def _account(depth: int) -> tuple[Sel, ...]:
    """The costliest selection `documents.account_sel(depth)` can draw."""
    parts = _costliest(oracle._ACCOUNT_PARTS, "{ me { SUB } }", 12)
    if depth > 0:
        parts.append(Sel("content", sub=_content(depth - 1)))
        case = (*leaf("status", "purpose"), Sel("messages", sub=leaf("author", "text")))
        account = Sel("account", sub=_account(depth - 1))
        parts.append(Sel("supportCases", sub=(Sel("id"), *case, account)))
    return (Sel("id"), *parts)


def _content(depth: int) -> tuple[Sel, ...]:
    """The costliest selection `documents.content_sel(depth)` can draw."""
    parts = _costliest(oracle._CONTENT_PARTS, '{ content(id: "x") { SUB } }', 5)
    if depth > 0:
        parts.append(Sel("author", sub=_account(depth - 1)))
        parts.append(Sel("comments", sub=_content(depth - 1)))
    return (Sel("id"), *parts)


def _costliest_oracle_document() -> str:
    """Three of the oracle's costliest root (`query_root`: an account's, its largest)."""
    roots = [
        Sel("account", args='id: "acct-alice"', sub=_account(2)),
        Sel(
            "publicFeed",
            args="first: 12",
            sub=(Sel("edges", sub=(Sel("cursor"), Sel("node", sub=_content(2)))),),
        ),
        Sel(
            "supportCases", sub=(*leaf("id", "status", "purpose"), Sel("account", sub=_account(1)))
        ),
    ]
    costliest = max(roots, key=lambda root: cost("{ " + root.render() + " }"))
    return Operation("query", oracle._aliased([costliest] * 3)).render()


def test_the_oracles_costliest_document_is_within_the_limit() -> None:
    """What `tests/oracle` may send is never refused for its cost (it expects no such error)."""
    assert cost(_costliest_oracle_document()) <= Limits().max_cost == Settings().max_cost


HUNDRED_CUBED = """{ publicFeed(first: 100) { edges { node {
  author { content(first: 100) { author { content(first: 100) { id } } } } } } } }"""
#: The same without `first`: Account.content answers 100 by default.
HUNDRED_CUBED_BY_DEFAULT = """{ publicFeed(first: 100) { edges { node {
  author { content { author { content { id } } } } } } } }"""


@pytest.mark.parametrize("document", [HUNDRED_CUBED, HUNDRED_CUBED_BY_DEFAULT])
async def test_a_document_asking_100_by_100_by_100_is_refused(
    gateway: GatewayClient, document: str
) -> None:
    body = await gateway.query(document)
    assert error_codes(body) == ["LIMIT_EXCEEDED"]
    assert body["errors"][0]["extensions"]["limit"] == "cost"
    assert "data" not in body or body["data"] is None


async def test_the_oracles_costliest_document_is_answered(gateway: GatewayClient) -> None:
    body = await gateway.query(_costliest_oracle_document(), as_="alice")
    assert "LIMIT_EXCEEDED" not in error_codes(body)
    assert body["data"]["f0"]["id"] == "acct-alice"
