"""Legal requests through HTTP: an authority reads listed fields of listed subjects, in force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import GraphQLError
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import LEGAL_REQUEST_ID, account_id
from schema.legal import period_bounds
from tests.client import GatewayClient, error_codes
from tests.disclosure_records import records

BOB = '{ account(id: "acct-bob") { email phone address { city } } }'
CREATE = """
mutation($input: CreateContentInput!) { createContent(input: $input) { content { id } } }
"""
REGISTER = """
mutation($input: RegisterLegalRequestInput!) {
  registerLegalRequest(input: $input) { legalRequest { id status subjects fields } }
}
"""


async def authority_disclosures(db: AsyncDatabase[Any]) -> list[dict[str, Any]]:
    return await records(db, relation="AUTHORITY")


async def test_the_authority_reads_listed_fields_of_listed_subjects_and_each_read_is_recorded(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    body = await gateway.query(BOB, as_="police-graz")
    assert body["data"]["account"] == {
        "email": "bob@uni-graz.example",
        "phone": "+43 316 380 0002",
        "address": None,
    }
    assert error_codes(body) == ["FORBIDDEN"]
    [record] = await authority_disclosures(demo_db)
    assert record["subject"] == account_id("bob")
    assert record["legal_request"] == LEGAL_REQUEST_ID
    assert record["fields"] == ["Account.email", "Account.phone"]

    alice = await gateway.query('{ account(id: "acct-alice") { email } }', as_="police-graz")
    assert error_codes(alice) == ["FORBIDDEN"]
    assert len(await authority_disclosures(demo_db)) == 1


async def test_an_expired_request_gives_nothing_and_records_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await demo_db[c.LEGAL_REQUESTS].update_one(
        {"_id": LEGAL_REQUEST_ID},
        {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}},
    )
    body = await gateway.query(BOB, as_="police-graz")
    assert body["data"]["account"] == {"email": None, "phone": None, "address": None}
    assert error_codes(body) == ["FORBIDDEN"] * 3
    assert await authority_disclosures(demo_db) == []


async def test_compliance_registers_and_closes_a_request_that_binds_a_new_authority(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    registered = await gateway.query(
        REGISTER,
        {
            "input": {
                "type": "COURT_ORDER",
                "legalBasis": "Landesgericht Wien, 12 Cg 34/26",
                "authority": "court-vienna",
                "subjects": [account_id("carol")],
                "fields": ["email", "content"],
                "expiresAt": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            }
        },
        as_="cora",
    )
    request = registered["data"]["registerLegalRequest"]["legalRequest"]
    assert request["status"] == "APPROVED" and request["fields"] == ["content", "email"]
    court = gateway.issuer.issue(
        {"kind": "authority", "sub": "court-vienna", "request": request["id"]}, 600
    )
    # carol comments on an item alice shared with her alone: the court cannot see the item,
    # and the legal request shows every item of carol's, this comment too.
    shared = await gateway.query(
        CREATE,
        {
            "input": {
                "kind": "DOCUMENT",
                "visibility": "SHARED",
                "body": "for carol",
                "sharedWith": [account_id("carol")],
            }
        },
        as_="alice",
    )
    parent = shared["data"]["createContent"]["content"]["id"]
    comment = await gateway.query(
        CREATE, {"input": {"kind": "COMMENT", "body": "thanks", "parentId": parent}}, as_="carol"
    )
    assert "errors" not in comment, comment
    carol = '{ account(id: "acct-carol") { email phone content { id } } }'
    body = await gateway.query(carol, token=court)
    assert body["data"]["account"]["email"] == "carol@tu-wien.example"
    assert body["data"]["account"]["content"], "content is listed: all of carol's items"
    assert error_codes(body) == ["FORBIDDEN"]  # phone was not listed
    # Each item the list gave is found by its id too: the grant's rows are one, read anywhere.
    items = [item["id"] for item in body["data"]["account"]["content"]]
    assert comment["data"]["createContent"]["content"]["id"] in items
    for item in items:
        found = await gateway.query(f'{{ content(id: "{item}") {{ id }} }}', token=court)
        assert found == {"data": {"content": {"id": item}}}, item
    # ... and each of those reads is on carol's record, under the legal request.
    reads = await records(demo_db, subject=account_id("carol"), fields=["Content.id"])
    assert len(reads) == len(items) and {r["legal_request"] for r in reads} == {request["id"]}

    own = await gateway.query(
        "query($id: ID!) { legalRequest(id: $id) { id authority } }",
        {"id": request["id"]},
        token=court,
    )
    assert own["data"]["legalRequest"]["authority"] == "court-vienna"
    other = await gateway.query(
        f'{{ legalRequest(id: "{LEGAL_REQUEST_ID}") {{ id }} }}', token=court
    )
    assert error_codes(other) == ["FORBIDDEN"]

    closed = await gateway.query(
        "mutation($id: ID!) { closeLegalRequest(input: {id: $id}) { legalRequest { status } } }",
        {"id": request["id"]},
        as_="cora",
    )
    assert closed["data"]["closeLegalRequest"]["legalRequest"]["status"] == "CLOSED"
    before = len(await authority_disclosures(demo_db))
    after_close = await gateway.query(carol, token=court)
    assert after_close["data"]["account"]["email"] is None
    assert len(await authority_disclosures(demo_db)) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fields": ["passwordHash"]}, "fields"),
        ({"fields": []}, "fields"),
        ({"subjects": ["acct-nobody"]}, "subjects"),
        ({"subjects": []}, "subjects"),
        ({"expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
        ({"legalBasis": ""}, "legalBasis"),
    ],
)
async def test_an_invalid_request_is_refused_and_stores_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], change: dict[str, Any], field: str
) -> None:
    valid = {
        "type": "LAW_ENFORCEMENT",
        "legalBasis": "basis",
        "authority": "police-graz",
        "subjects": [account_id("bob")],
        "fields": ["email"],
        "expiresAt": "2099-01-01T00:00:00Z",
    }
    before = await demo_db[c.LEGAL_REQUESTS].count_documents({})
    body = await gateway.query(REGISTER, {"input": {**valid, **change}}, as_="cora")
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    assert await demo_db[c.LEGAL_REQUESTS].count_documents({}) == before


@pytest.mark.parametrize("caller", ["bob", "dora", "helpdesk-co", "adnet"])
async def test_legal_requests_are_for_compliance_and_their_authority(
    gateway: GatewayClient, caller: str
) -> None:
    body = await gateway.query(f'{{ legalRequest(id: "{LEGAL_REQUEST_ID}") {{ id }} }}', as_=caller)
    assert error_codes(body) == ["FORBIDDEN"]
    for allowed in ("cora", "police-graz"):
        ok = await gateway.query(
            f'{{ legalRequest(id: "{LEGAL_REQUEST_ID}") {{ id }} }}', as_=allowed
        )
        assert ok["data"]["legalRequest"]["id"] == LEGAL_REQUEST_ID


async def test_the_transparency_report_is_public_and_names_no_one(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await demo_db.legal_requests.insert_one(
        {**await demo_db.legal_requests.find_one({"_id": LEGAL_REQUEST_ID}), "_id": "lr-2025"}
        | {"registered_at": datetime(2025, 3, 1, tzinfo=UTC)}
    )
    body = await gateway.query(
        "query($p: String!) { transparencyReport(period: $p)"
        " { period since until requests { type requests } } }",
        {"p": "2025"},
    )
    report = body["data"]["transparencyReport"]
    counts = {row["type"]: row["requests"] for row in report["requests"]}
    assert counts["LAW_ENFORCEMENT"] == 1 and sum(counts.values()) == 1
    assert len(counts) == 6
    assert "acct-" not in str(report)
    other_year = await gateway.query(
        '{ transparencyReport(period: "2001-H2") { requests { requests } } }'
    )
    assert all(r["requests"] == 0 for r in other_year["data"]["transparencyReport"]["requests"])
    bad = await gateway.query('{ transparencyReport(period: "last year") { period } }')
    assert error_codes(bad) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("period", [str(datetime.now(UTC).year), "9999-Q4", "9999", "3000-H1"])
async def test_the_transparency_report_covers_ended_periods_only(
    gateway: GatewayClient, period: str
) -> None:
    """A running period would tell each new legal request as it is registered (a tip-off)."""
    body = await gateway.query(
        "query($p: String!) { transparencyReport(period: $p) { period } }", {"p": period}
    )
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "period"}


@pytest.mark.parametrize(
    ("period", "since", "until"),
    [
        ("2026", (2026, 1), (2027, 1)),
        ("2026-H1", (2026, 1), (2026, 7)),
        ("2026-H2", (2026, 7), (2027, 1)),
        ("2026-Q3", (2026, 7), (2026, 10)),
        ("2026-Q4", (2026, 10), (2027, 1)),
    ],
)
def test_report_periods(period: str, since: tuple[int, int], until: tuple[int, int]) -> None:
    assert period_bounds(period) == (
        datetime(*since, 1, tzinfo=UTC),
        datetime(*until, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "period",
    ["\u0662\u0660\u0662\u0665", "\uff12\uff10\uff12\uff15-H1", "2025-Q\u0663", "2025\n", " 2025"],
)
def test_report_periods_are_written_in_ascii_digits_only(period: str) -> None:
    """`\\d` matches any script's digits, and `int()` reads them: the report would echo a
    label no one else writes for a period another label names."""
    with pytest.raises(GraphQLError) as refused:
        period_bounds(period)
    assert refused.value.extensions == {"code": "BAD_USER_INPUT", "field": "period"}


async def test_the_transparency_report_defaults_to_the_last_ended_half_year(
    gateway: GatewayClient,
) -> None:
    body = await gateway.query("{ transparencyReport { period until } }")
    report = body["data"]["transparencyReport"]
    now = datetime.now(UTC)
    assert report["period"] == (f"{now.year}-H1" if now.month > 6 else f"{now.year - 1}-H2")
    assert datetime.fromisoformat(report["until"]) <= now
