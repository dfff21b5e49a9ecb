"""Every (principal, field) pair of Account and Content, through HTTP on the demo world.

Each observation is checked twice: against the hand-written restatement of SPEC §4
(`expectations.py`), and against what the policy table decides for a standing built here by
hand. A wrong table fails the first; wrong enforcement or wrong relations fail the second.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

from authz.decisions import decide
from authz.policy import POLICY
from authz.principals import PartnerType, PrincipalKind
from authz.relations import Relation, Standing
from resolvers.demo_world import DEMO_PRINCIPALS, LEGAL_REQUEST_ID, account_id
from schema import build_schema
from tests.authz.expectations import (
    ACCOUNT_ACCESS,
    ACCOUNT_FIELDS,
    CONTENT_ACCESS,
    CONTENT_FIELDS,
    SETTINGS_FOR_DOMAIN_ADMIN,
)
from tests.client import GatewayClient

SCHEMA = build_schema()._schema
R = Relation

BASE = frozenset({R.PUBLIC, R.VIEWER})


def _standing(viewer: str | None, subject: str) -> Standing:
    """The standing each scenario should produce, written out by hand from the demo world."""
    match (viewer, subject):
        case (v, s) if v == s:
            return Standing(BASE | {R.SELF})
        case ("dora", "alice"):
            return Standing(BASE | {R.DOMAIN_ADMIN})
        case ("helpdesk-co", "alice"):
            return Standing(BASE | {R.PROCESSOR}, purpose="support")
        case ("helpdesk-co", _):
            return Standing(BASE, purpose="support")
        case ("flowershop", "alice"):
            return Standing(
                BASE | {R.PARTNER},
                partner_type=PartnerType.BUSINESS,
                consented=frozenset({"phone"}),
            )
        case ("flowershop" | "adnet" | "trendlens", _):
            return Standing(BASE, partner_type=PartnerType(DEMO_PRINCIPALS[viewer]["partner_type"]))
        case ("police-graz", "bob"):
            return Standing(
                BASE | {R.AUTHORITY},
                legal_fields=frozenset({"email", "phone"}),
                legal_request=LEGAL_REQUEST_ID,
            )
        case _:
            return Standing(BASE)


def _table_allows(type_name: str, standing: Standing) -> frozenset[str]:
    return frozenset(f for f in POLICY[type_name] if decide(type_name, f, standing).allowed)


def _unwrap(graphql_type: Any) -> Any:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


def _select_all(type_name: str, depth: int = 2) -> str:
    """Every field of a type, objects expanded `depth` levels (content lists by id only)."""
    parts = []
    for name, field in SCHEMA.type_map[type_name].fields.items():  # type: ignore[attr-defined]
        inner = _unwrap(field.type)
        if isinstance(inner, GraphQLObjectType):
            below = _select_all(inner.name, depth - 1) if depth > 1 else "__typename"
            parts.append(f"{name} {{ {below} }}")
        else:
            parts.append(name)
    return " ".join(parts)


ACCOUNT_QUERY = "query($id: ID!) { account(id: $id) { " + _select_all("Account", 3) + " } }"


def _forbidden(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = body.get("errors", [])
    assert all(e["extensions"]["code"] == "FORBIDDEN" for e in errors), errors
    return errors


def test_every_account_field_and_every_principal_kind_is_covered() -> None:
    assert frozenset(POLICY["Account"]) == ACCOUNT_FIELDS
    assert frozenset(POLICY["Content"]) == CONTENT_FIELDS
    kinds = {DEMO_PRINCIPALS[v]["kind"] if v else "anonymous" for v, _ in ACCOUNT_ACCESS}
    assert kinds == {kind.value for kind in PrincipalKind}


@pytest.mark.parametrize(("viewer", "subject"), sorted(ACCOUNT_ACCESS, key=str))
def test_table_agrees_with_the_hand_written_spec(viewer: str | None, subject: str) -> None:
    expected = ACCOUNT_ACCESS[(viewer, subject)]
    assert _table_allows("Account", _standing(viewer, subject)) == expected


@pytest.mark.parametrize(("viewer", "subject"), sorted(ACCOUNT_ACCESS, key=str))
async def test_gateway_enforces_account_fields(
    gateway: GatewayClient, viewer: str | None, subject: str
) -> None:
    body = await gateway.query(ACCOUNT_QUERY, {"id": account_id(subject)}, as_=viewer)
    account = body["data"]["account"]
    denied_top = {
        e["path"][1] for e in _forbidden(body) if len(e["path"]) == 2 and e["path"][0] == "account"
    }
    allowed = ACCOUNT_FIELDS - denied_top
    assert allowed == ACCOUNT_ACCESS[(viewer, subject)]
    assert allowed == _table_allows("Account", _standing(viewer, subject))
    for field in denied_top:
        assert account[field] is None
    # Exactly one error per denied field, each with its full path.
    top_errors = [e for e in body.get("errors", []) if len(e["path"]) == 2]
    assert len(top_errors) == len(denied_top)
    assert all(e["extensions"]["coordinate"] == f"Account.{e['path'][1]}" for e in top_errors)


async def test_domain_admin_reads_profile_visibility_only_inside_settings(
    gateway: GatewayClient,
) -> None:
    query = '{ account(id: "acct-alice") { settings { ' + _select_all("Settings") + " } } }"
    body = await gateway.query(query, as_="dora")
    settings = body["data"]["account"]["settings"]
    readable = {name for name, value in settings.items() if value is not None}
    assert readable == SETTINGS_FOR_DOMAIN_ADMIN
    denied = {e["extensions"]["coordinate"] for e in _forbidden(body)}
    assert denied == {f"Settings.{f}" for f in POLICY["Settings"]} - {"Settings.profileVisibility"}


async def test_the_owner_reads_every_nested_field(gateway: GatewayClient) -> None:
    body = await gateway.query(ACCOUNT_QUERY, {"id": "acct-alice"}, as_="alice")
    account = body["data"]["account"]
    # The only denials: `sharedWith` of the comments others wrote on her posts.
    for error in _forbidden(body):
        assert error["extensions"]["coordinate"] == "Content.sharedWith"
        _, items, item, comments, position, field = error["path"]
        assert (items, comments, field) == ("content", "comments", "sharedWith")
        comment = account["content"][item]["comments"][position]
        assert comment["id"] in {"comment-bob-garden", "comment-carol-garden"}
    assert account["sensitive"]["health"] == "asthma"
    assert account["billing"]["iban"].startswith("AT")
    assert account["supportCases"][0]["messages"][0]["text"]
    assert account["consents"][0]["recipient"] == "flowershop"


CONTENT_QUERY = "query($id: ID!) { content(id: $id) { " + _select_all("Content", 1) + " } }"


@pytest.mark.parametrize(("viewer", "item"), sorted(CONTENT_ACCESS, key=str))
async def test_gateway_enforces_content_fields(
    gateway: GatewayClient, viewer: str | None, item: str
) -> None:
    body = await gateway.query(CONTENT_QUERY, {"id": item}, as_=viewer)
    expected = CONTENT_ACCESS[(viewer, item)]
    if expected is None:
        assert body == {"data": {"content": None}}
        return
    denied = {e["path"][1] for e in _forbidden(body)}
    assert CONTENT_FIELDS - denied == expected
