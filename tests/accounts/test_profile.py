"""Profile and settings changes, refused under domain-admin limits, and recommendations."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import account_id
from tests.client import GatewayClient, error_codes

UPDATE_PROFILE = """
mutation($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    account { displayName phone adInterests address { city } billing { plan } sensitive { health } }
  }
}
"""
UPDATE_SETTINGS = """
mutation($input: UpdateSettingsInput!) {
  updateSettings(input: $input) {
    account { settings { language personalizedAds profileVisibility } }
  }
}
"""


async def test_owner_updates_their_profile_and_reads_it_back(gateway: GatewayClient) -> None:
    body = await gateway.query(
        UPDATE_PROFILE,
        {
            "input": {
                "displayName": "Alice A.",
                "phone": "+43 660 1234567",
                "adInterests": ["books", "Hiking"],
                "address": {
                    "street": "Hauptplatz 1",
                    "city": "Leoben",
                    "postalCode": "8700",
                    "country": "at",
                },
                "billing": {"holder": "Alice", "iban": "AT61 1904 3002 3457 3201", "plan": "FREE"},
                "sensitive": None,
            }
        },
        as_="alice",
    )
    assert "errors" not in body, body
    assert body["data"]["updateProfile"]["account"] == {
        "displayName": "Alice A.",
        "phone": "+43 660 1234567",
        "adInterests": ["books", "hiking"],
        "address": {"city": "Leoben"},
        "billing": {"plan": "FREE"},
        "sensitive": None,
    }


async def test_fields_left_out_stay_as_they_are(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    before = await demo_db[c.ACCOUNTS].find_one({"_id": account_id("alice")})
    await gateway.query(UPDATE_PROFILE, {"input": {"displayName": "Alice"}}, as_="alice")
    after = await demo_db[c.ACCOUNTS].find_one({"_id": account_id("alice")})
    assert before is not None and after is not None
    assert {k: v for k, v in after.items() if k != "display_name"} == {
        k: v for k, v in before.items() if k != "display_name"
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "call me"}, "phone"),
        ({"displayName": ""}, "displayName"),
        ({"displayName": None}, "displayName"),
        ({"photoUrl": "javascript:alert(1)"}, "photoUrl"),
        ({"adInterests": ["health"]}, "adInterests"),
        ({"adInterests": ["Religion"]}, "adInterests"),
        ({"adInterests": ["sexual-orientation"]}, "adInterests"),
        ({"adInterests": ["gardening", "made-up"]}, "adInterests"),
        ({"billing": {"holder": "A", "iban": "not an iban", "plan": "FREE"}}, "billing.iban"),
        (
            {"address": {"street": "x", "city": "y", "postalCode": "1", "country": "Austria"}},
            "address.country",
        ),
    ],
)
async def test_invalid_profile_input_names_the_field_and_changes_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], change: dict[str, Any], field: str
) -> None:
    before = await demo_db[c.ACCOUNTS].find_one({"_id": account_id("alice")})
    body = await gateway.query(
        UPDATE_PROFILE, {"input": {"displayName": "Changed", **change}}, as_="alice"
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    assert await demo_db[c.ACCOUNTS].find_one({"_id": account_id("alice")}) == before


async def test_settings_change_and_read_back(gateway: GatewayClient) -> None:
    body = await gateway.query(
        UPDATE_SETTINGS,
        {"input": {"language": "en-GB", "personalizedAds": False, "profileVisibility": "PRIVATE"}},
        as_="alice",
    )
    assert body["data"]["updateSettings"]["account"]["settings"] == {
        "language": "en-GB",
        "personalizedAds": False,
        "profileVisibility": "PRIVATE",
    }


@pytest.mark.parametrize(
    ("right", "mutation", "variables"),
    [
        ("edit", UPDATE_PROFILE, {"input": {"displayName": "Limited"}}),
        ("privacy", UPDATE_SETTINGS, {"input": {"personalizedAds": True}}),
    ],
)
async def test_a_domain_admins_limit_refuses_the_matching_write(
    gateway: GatewayClient,
    demo_db: AsyncDatabase[Any],
    right: str,
    mutation: str,
    variables: dict[str, Any],
) -> None:
    await demo_db[c.ACCOUNTS].update_one(
        {"_id": account_id("bob")}, {"$set": {f"rights_limits.{right}": True}}
    )
    before = await demo_db[c.ACCOUNTS].find_one({"_id": account_id("bob")})
    body = await gateway.query(mutation, variables, as_="bob")
    assert error_codes(body) == ["FORBIDDEN"]
    assert right in body["errors"][0]["message"]
    assert await demo_db[c.ACCOUNTS].find_one({"_id": account_id("bob")}) == before


@pytest.mark.parametrize("caller", [None, "dora", "helpdesk-co", "flowershop", "cora"])
async def test_only_the_owner_changes_a_profile(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], caller: str | None
) -> None:
    before = await demo_db[c.ACCOUNTS].find({}, {"display_name": 1}).to_list()
    body = await gateway.query(UPDATE_PROFILE, {"input": {"displayName": "Hijacked"}}, as_=caller)
    assert error_codes(body) == ["UNAUTHENTICATED" if caller is None else "FORBIDDEN"]
    assert await demo_db[c.ACCOUNTS].find({}, {"display_name": 1}).to_list() == before


async def test_recommendations_never_list_accounts_that_turned_them_off(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    body = await gateway.query("{ recommendations(first: 100) { id displayName } }", as_="alice")
    listed = {account["id"] for account in body["data"]["recommendations"]}
    opted_out = set(
        await demo_db[c.ACCOUNTS].distinct("_id", {"settings.friends_recommendations": False})
    )
    assert opted_out and account_id("erin") in opted_out
    assert listed and not listed & opted_out
    assert account_id("alice") not in listed
    # Turning it off takes effect at once.
    await gateway.query(UPDATE_SETTINGS, {"input": {"friendsRecommendations": False}}, as_="bob")
    body = await gateway.query("{ recommendations(first: 100) { id } }", as_="alice")
    assert account_id("bob") not in {a["id"] for a in body["data"]["recommendations"]}


async def test_recommended_strangers_show_only_public_fields(gateway: GatewayClient) -> None:
    body = await gateway.query("{ recommendations(first: 3) { id email } }", as_="alice")
    assert len(body["data"]["recommendations"]) == 3
    assert error_codes(body) == ["FORBIDDEN"] * 3
    assert all(a["email"] is None for a in body["data"]["recommendations"])


async def test_recommendations_tell_nothing_of_another_accounts_status(
    gateway: GatewayClient,
) -> None:
    """`status` is not PUBLIC: suspending someone must not take them off others' lists."""
    query = "{ recommendations(first: 100) { id } }"
    before = await gateway.query(query, as_="carol")
    suspended = await gateway.query(
        'mutation { suspendAccount(input: {accountId: "acct-learner03"}) { account { id } } }',
        as_="dora",
    )
    assert "errors" not in suspended
    after = await gateway.query(query, as_="carol")
    assert "acct-learner03" in {a["id"] for a in before["data"]["recommendations"]}
    assert after == before
