"""Aggregates for partners through HTTP: k = 5, no identifiers, never a sensitive interest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from authz.aggregates import K
from resolvers import collections as c
from tests.conftest import GatewayClient, error_codes

TRENDS = """
query($period: TrendPeriod!) {
  usageTrends(period: $period, since: "2025-12-01T00:00:00Z", until: "2026-12-31T00:00:00Z") {
    period signUps activeAccounts contentCreated { kind count }
  }
}
"""
AUDIENCE = "query($i: String!) { adAudience(interest: $i) { interest accounts suppressed } }"


async def clone_learners(db: AsyncDatabase[Any], interest: str, how_many: int) -> None:
    """`how_many` extra accounts allowing ads, interested only in `interest`."""
    template = await db[c.ACCOUNTS].find_one({"username": "learner01"})
    assert template is not None
    for n in range(how_many):
        await db[c.ACCOUNTS].insert_one(
            {
                **template,
                "_id": f"acct-fan{n}",
                "username": f"fan{n}",
                "email": f"fan{n}@mail.example",
                "ad_interests": [interest],
                "settings": {**template["settings"], "personalized_ads": True},
            }
        )


@pytest.mark.parametrize("period", ["WEEK", "MONTH"])
async def test_usage_trends_suppress_every_group_under_k(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], period: str
) -> None:
    body = await gateway.query(TRENDS, {"period": period}, as_="trendlens")
    assert "errors" not in body, body
    rows = body["data"]["usageTrends"]
    assert rows, "the demo world has sign-ups to report"
    counts = [r["signUps"] for r in rows] + [r["activeAccounts"] for r in rows]
    counts += [k["count"] for r in rows for k in r["contentCreated"]]
    assert all(n is None or n >= K for n in counts)
    assert None in counts, "the demo world has small groups, and they are suppressed"
    total = await demo_db[c.ACCOUNTS].count_documents({})
    assert sum(r["signUps"] or 0 for r in rows) <= total
    assert max(r["signUps"] or 0 for r in rows) >= K
    text = json.dumps(rows)
    assert "acct-" not in text and "@" not in text


@pytest.mark.parametrize("caller", [None, "adnet", "flowershop", "alice", "dora", "cora"])
async def test_usage_trends_need_the_stats_scope(
    gateway: GatewayClient, caller: str | None
) -> None:
    body = await gateway.query(TRENDS, {"period": "WEEK"}, as_=caller)
    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED" if caller is None else "FORBIDDEN"]


async def test_ad_audience_counts_accounts_that_allow_ads(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    body = await gateway.query(AUDIENCE, {"i": "Gardening"}, as_="adnet")
    expected = await demo_db[c.ACCOUNTS].count_documents(
        {"ad_interests": "gardening", "settings.personalized_ads": True, "status": "ACTIVE"}
    )
    assert expected >= K
    assert body["data"]["adAudience"] == {
        "interest": "gardening",
        "accounts": expected,
        "suppressed": False,
    }


@pytest.mark.parametrize(("members", "shown"), [(0, None), (4, None), (5, 5)])
async def test_ad_audience_suppresses_groups_under_k(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], members: int, shown: int | None
) -> None:
    await clone_learners(demo_db, "books", members)
    body = await gateway.query(AUDIENCE, {"i": "books"}, as_="adnet")
    assert body["data"]["adAudience"]["accounts"] == shown
    assert body["data"]["adAudience"]["suppressed"] is (shown is None)


@pytest.mark.parametrize("interest", ["health", "Religion", "ethnicity", "sexual orientation", "x"])
async def test_ad_audience_refuses_sensitive_and_unknown_interests(
    gateway: GatewayClient, interest: str
) -> None:
    body = await gateway.query(AUDIENCE, {"i": interest}, as_="adnet")
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "interest"


@pytest.mark.parametrize("caller", ["trendlens", "flowershop", "alice"])
async def test_ad_audience_is_for_advertisers_with_the_ads_scope(
    gateway: GatewayClient, caller: str
) -> None:
    body = await gateway.query(AUDIENCE, {"i": "gardening"}, as_=caller)
    assert body["data"] is None and error_codes(body) == ["FORBIDDEN"]


async def test_ad_audience_without_an_interest_names_the_argument(gateway: GatewayClient) -> None:
    body = await gateway.query("{ adAudience { accounts } }", as_="adnet")
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "interest"
