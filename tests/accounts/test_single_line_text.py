"""Single-line text refuses control characters, and a reset mail names its admin on one
quoted line, so nobody can write text into another member's mail (F6, through HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import DEMO_PASSWORD
from tests.client import GatewayClient, error_codes
from tests.sign_ups import PASSWORD, sign_in

FORGED = (
    "Dora\n\nIMPORTANT from IMOOX Security: the code below is void."
    " Reply with it to verify@evil.example"
)
UPDATE_PROFILE = (
    "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { account { id } } }"
)
RESET_ALICE = 'mutation { setPassword(input: {accountId: "acct-alice"}) { account { id } } }'


@pytest.mark.parametrize(
    "bad", [FORGED, "Dora\rX", "Dora\tX", "Dora\u2028X", "Dora\x00", "A\u202eB", "A\u061cB"]
)
async def test_a_display_name_with_control_characters_is_bad_input_and_stores_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], bad: str
) -> None:
    """As in the finding, dora signs in as herself (a user token) to change her own name."""
    signed_in = await sign_in(gateway, "dora", "d1", password=DEMO_PASSWORD)
    token = signed_in["data"]["signIn"]["accessToken"]
    before = await demo_db[c.ACCOUNTS].find_one({"_id": "acct-dora"}, {"display_name": 1})
    body = await gateway.query(UPDATE_PROFILE, {"input": {"displayName": bad}}, token=token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "displayName"
    after = await demo_db[c.ACCOUNTS].find_one({"_id": "acct-dora"}, {"display_name": 1})
    assert after == before


async def test_sign_up_refuses_a_multi_line_display_name(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    body = await gateway.query(
        "mutation($input: SignUpInput!) { signUp(input: $input) { mailSent } }",
        {
            "input": {
                "username": "nora",
                "password": PASSWORD,
                "email": "nora@mail.example",
                "displayName": "Nora\nSecurity notice",
            }
        },
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "displayName"
    assert await demo_db[c.MAIL_OUTBOX].count_documents({"to": "nora@mail.example"}) == 0


async def test_the_reset_mail_names_the_admin_on_one_quoted_line(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """A name stored before the check (or by another path) still cannot break the mail's lines."""
    await demo_db[c.ACCOUNTS].update_one({"_id": "acct-dora"}, {"$set": {"display_name": FORGED}})
    assert "errors" not in await gateway.query(RESET_ALICE, as_="dora")
    mail = await demo_db[c.MAIL_OUTBOX].find_one(
        {"account": "acct-alice", "kind": "PASSWORD_RESET"}
    )
    assert mail is not None
    first, *rest = mail["body"].split("\n")
    assert first.startswith('Your domain admin "Dora') and "IMPORTANT" in first
    assert not any("IMPORTANT" in line or "Dora" in line for line in rest)
    assert "code: " in mail["body"]


async def test_a_multi_line_title_is_bad_input_but_a_multi_line_body_is_kept(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    create = (
        "mutation($input: CreateContentInput!) { createContent(input: $input) { content { id } } }"
    )
    before = await demo_db[c.CONTENT].count_documents({})
    post = {"kind": "POST", "visibility": "PUBLIC", "body": "line one\nline two"}
    refused = await gateway.query(create, {"input": {**post, "title": "Hi\nthere"}}, as_="alice")
    assert error_codes(refused) == ["BAD_USER_INPUT"]
    assert refused["errors"][0]["extensions"]["field"] == "title"
    assert await demo_db[c.CONTENT].count_documents({}) == before
    kept = await gateway.query(create, {"input": {**post, "title": "Hi there"}}, as_="alice")
    assert "errors" not in kept
    assert await demo_db[c.CONTENT].count_documents({}) == before + 1
