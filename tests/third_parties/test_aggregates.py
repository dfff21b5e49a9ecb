"""Aggregates for partners through HTTP: k = 5, no identifiers, never a sensitive interest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from authz.aggregates import K
from resolvers import collections as c
from tests.client import GatewayClient, error_codes

TRENDS = """
query($period: TrendPeriod!, $since: String, $until: String) {
  usageTrends(period: $period, since: $since, until: $until) {
    period since until signUps activeAccounts contentCreated { kind count }
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


async def trends(
    gateway: GatewayClient, period: str, since: str, until: str
) -> dict[str, dict[str, Any]]:
    body = await gateway.query(
        TRENDS, {"period": period, "since": since, "until": until}, as_="trendlens"
    )
    assert "errors" not in body, body
    return {row["period"]: row for row in body["data"]["usageTrends"]}


def posts(row: dict[str, Any]) -> int | None:
    [count] = [k["count"] for k in row["contentCreated"] if k["kind"] == "POST"]
    return count


async def test_usage_trends_show_whole_periods_and_suppress_groups_under_k(
    gateway: GatewayClient,
) -> None:
    # The demo's 53 accounts sign up and sign in in 2026-W02; the 48 learners post in W03,
    # alice, bob and carol (3 authors) in W02.
    weeks = await trends(gateway, "WEEK", "2026-W01", "2026-W05")
    assert list(weeks) == ["2026-W01", "2026-W02", "2026-W03", "2026-W04", "2026-W05"]
    assert weeks["2026-W02"]["since"] == "2026-01-05T00:00:00+00:00"
    assert weeks["2026-W02"]["until"] == "2026-01-12T00:00:00+00:00"
    assert [w["signUps"] for w in weeks.values()] == [None, 53, None, None, None]
    assert [w["activeAccounts"] for w in weeks.values()] == [None, 53, None, None, None]
    assert [posts(w) for w in weeks.values()] == [None, None, 48, None, None]
    assert all(k["count"] is None for k in weeks["2026-W02"]["contentCreated"])

    [january] = (await trends(gateway, "MONTH", "2026-01", "2026-01")).values()
    # Whole ISO weeks: the month of 2026-W01's Thursday (1 January) to that of W05's.
    assert (january["since"], january["until"]) == (
        "2025-12-29T00:00:00+00:00",
        "2026-02-02T00:00:00+00:00",
    )
    assert january["signUps"] == 53 and january["activeAccounts"] == 53
    # 48 learners' posts show in W03; the month's total would show the 3 authors' posts.
    assert posts(january) is None
    text = json.dumps([weeks, january])
    assert "acct-" not in text and "@" not in text


async def test_usage_trends_never_narrow_below_a_whole_period(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Audit finding 5: windows differenced down to one sign-up, then across granularities."""
    attack = """
    query($s: String!) {
      usageTrends(period: WEEK, since: $s, until: "2026-01-05T20:30:00Z") { signUps }
    }
    """
    for since in ("2026-01-05T08:00:00Z", "2026-01-05T09:30:00Z", "2026-01-05T09:00:00Z"):
        inline = attack.replace("$s: String!", "").replace("$s", f'"{since}"')
        body = await gateway.query(inline.replace("query()", "query"), as_="trendlens")
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"]["field"] == "since"
    # One more sign-up, alone in 2026-W03: no difference of published cells may show it.
    await clone_learners(demo_db, "books", 1)
    await demo_db[c.ACCOUNTS].update_one(
        {"_id": "acct-fan0"}, {"$set": {"created_at": datetime(2026, 1, 14, 9, tzinfo=UTC)}}
    )
    weeks = await trends(gateway, "WEEK", "2026-W01", "2026-W05")
    assert [w["signUps"] for w in weeks.values()] == [None, 53, None, None, None]
    for period, label in (("MONTH", "2026-01"), ("QUARTER", "2026-Q1")):
        [row] = (await trends(gateway, period, label, label)).values()
        assert row["signUps"] is None, f"{label} minus 2026-W02 would be the one sign-up"
    [december] = (await trends(gateway, "MONTH", "2025-12", "2025-12")).values()
    assert december["signUps"] is None


async def test_a_published_period_never_changes(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """An erasure after publication would otherwise show as a difference of one account."""
    weeks = await trends(gateway, "WEEK", "2026-W02", "2026-W02")
    assert weeks["2026-W02"]["signUps"] == 53
    erased = await gateway.query(
        "mutation { deleteMyAccount(input: {confirm: true}) { erased } }", as_="bob"
    )
    assert erased["data"]["deleteMyAccount"]["erased"] is True
    assert await demo_db[c.ACCOUNTS].count_documents({}) == 52
    again = await trends(gateway, "WEEK", "2026-W01", "2026-W03")
    assert again["2026-W02"]["signUps"] == 53
    # January, first asked now, counts 52: shown beside W02's 53 it would tell of the erasure.
    [january] = (await trends(gateway, "MONTH", "2026-01", "2026-01")).values()
    assert january["signUps"] is None


async def test_an_audience_is_published_once_per_week(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Asked again after one account changed, a live count would show that change."""
    first = await gateway.query(AUDIENCE, {"i": "gardening"}, as_="adnet")
    await clone_learners(demo_db, "gardening", 1)
    again = await gateway.query(AUDIENCE, {"i": "gardening"}, as_="adnet")
    assert again["data"]["adAudience"] == first["data"]["adAudience"]
    assert first["data"]["adAudience"]["accounts"] is not None


@pytest.mark.parametrize(
    ("period", "since", "until", "field"),
    [
        ("WEEK", "2026-01-05T08:00:00Z", "2026-W03", "since"),
        ("WEEK", "2026-W02", "2026-01-05", "until"),
        ("WEEK", "2026-W54", "2026-W03", "since"),
        ("WEEK", "2026-01", "2026-W03", "since"),
        ("MONTH", "2026-W02", "2026-03", "since"),
        ("MONTH", "2026-13", "2026-03", "since"),
        ("QUARTER", "2026-Q5", "2026-Q2", "since"),
        ("YEAR", "2024-01", "2025", "since"),
        ("MONTH", "2026-03", "2026-01", "since"),
        ("WEEK", "2023-W01", "2026-W02", "since"),
        # Not over yet: it would be published again, larger, once more accounts join.
        ("YEAR", "2025", "2099", "until"),
        # Past the calendar: an answer, not a fault.
        ("YEAR", "9999", "9999", "since"),
        ("MONTH", "9999-12", "9999-12", "since"),
        ("WEEK", "9999-W52", "9999-W52", "since"),
    ],
)
async def test_usage_trends_refuse_anything_but_ended_whole_periods(
    gateway: GatewayClient, period: str, since: str, until: str, field: str
) -> None:
    body = await gateway.query(
        TRENDS, {"period": period, "since": since, "until": until}, as_="trendlens"
    )
    assert body["data"] is None and error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field


async def test_usage_trends_default_to_the_last_year_of_ended_periods(
    gateway: GatewayClient,
) -> None:
    body = await gateway.query(TRENDS, {"period": "MONTH"}, as_="trendlens")
    rows = body["data"]["usageTrends"]
    assert 12 <= len(rows) <= 13
    assert all(row["until"] <= datetime.now(UTC).isoformat() for row in rows)


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
