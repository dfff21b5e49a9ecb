"""An admin's password reset never gives the admin a credential (audit finding 1, replayed).

dora resets alice: every token and session of alice ends, and a one-time code goes to alice's
mailbox only. Nothing dora can read holds it, no password dora could know signs in as alice,
and alice is told, in the app and by mail, at the reset and when the code is used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import DEMO_PASSWORD, account_id
from tests.client import GatewayClient, error_codes
from tests.disclosure_records import records
from tests.sign_ups import mailed_code, sign_in

ALICE = account_id("alice")
ALICE_MAIL = "alice@uni-graz.example"
RESET = """
mutation($id: ID!) { setPassword(input: {accountId: $id}) { account { id billing { iban } } } }
"""
USE_CODE = """
mutation($code: String!, $password: String!) {
  resetPassword(input: {code: $code, password: $password}) { ok }
}
"""
NEW_PASSWORD = "alice chose this herself"
#: The browser the demo world recorded for alice's device: signing in with it is no new device.
ALICE_BROWSER = "IMOOX demo"
NOTIFICATIONS = "{ me { notifications { kind message } } }"


async def _status(gateway: GatewayClient, token: str) -> int:
    response = await gateway.post("{ me { id } }", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


async def test_dora_resets_alice_and_no_password_dora_could_know_signs_in_as_alice(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    alice = (
        await sign_in(
            gateway, "alice", "demo-device-alice", DEMO_PASSWORD, user_agent=ALICE_BROWSER
        )
    )["data"]
    assert await _status(gateway, alice["signIn"]["accessToken"]) == 200

    # dora may not choose the password at all.
    chosen = await gateway.query(
        'mutation { setPassword(input: {accountId: "acct-alice", password: "silent-reset-pw-1"})'
        " { account { id } } }",
        as_="dora",
    )
    assert error_codes(chosen) == ["GRAPHQL_VALIDATION_FAILED"]

    response = await gateway.post(RESET, {"id": ALICE}, as_="dora")
    body = response.json()
    assert body["data"]["setPassword"]["account"] == {"id": ALICE, "billing": None}
    assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
        ("FORBIDDEN", ["setPassword", "account", "billing"])
    ]
    code = await mailed_code(demo_db, ALICE_MAIL, "PASSWORD_RESET")
    assert code not in response.text

    # Every token and session of alice ended; no password dora knows or tried works.
    assert await _status(gateway, alice["signIn"]["accessToken"]) == 401
    assert await _status(gateway, gateway.token("alice")) == 200  # issued after the reset
    refresh = await gateway.query(
        "mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken } }",
        {"t": alice["signIn"]["refreshToken"]},
    )
    assert error_codes(refresh) == ["UNAUTHENTICATED"]
    for password in (DEMO_PASSWORD, "silent-reset-pw-1", ""):
        refused = await sign_in(gateway, "alice", "demo-device-alice", password=password)
        assert error_codes(refused) == ["UNAUTHENTICATED"]

    # The action is audited and disclosed to alice under dora's name.
    audit = await demo_db[c.ADMIN_AUDIT].find({"subject": ALICE}).to_list()
    assert [(a["actor"], a["action"], a["outcome"]) for a in audit] == [
        (account_id("dora"), "Mutation.setPassword", "DONE")
    ]
    disclosed = await records(demo_db, subject=ALICE, principal_id=account_id("dora"))
    assert any("Mutation.setPassword" in d["fields"] for d in disclosed)
    assert code not in str(audit) + str(disclosed)

    # alice, with the code from her mailbox, chooses her own password.
    used = await gateway.query(USE_CODE, {"code": code, "password": NEW_PASSWORD})
    assert used == {"data": {"resetPassword": {"ok": True}}}
    signed_in = await sign_in(
        gateway, "alice", "demo-device-alice", NEW_PASSWORD, user_agent=ALICE_BROWSER
    )
    token = signed_in["data"]["signIn"]["accessToken"]
    me = await gateway.query(NOTIFICATIONS, token=token)
    told = [n for n in me["data"]["me"]["notifications"] if n["kind"].startswith("PASSWORD")]
    assert [n["kind"] for n in told] == ["PASSWORD_CHANGED", "PASSWORD_RESET"]
    assert all("Dora Dachs" in n["message"] and code not in n["message"] for n in told)
    mails = await demo_db[c.MAIL_OUTBOX].find({"to": ALICE_MAIL}).sort("created_at", 1).to_list()
    assert [m["kind"] for m in mails] == ["PASSWORD_RESET", "PASSWORD_CHANGED"]
    assert all(m["account"] == ALICE for m in mails)


async def test_a_reset_code_works_once_and_wrong_used_and_expired_codes_answer_alike(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await gateway.query(RESET, {"id": ALICE}, as_="dora")
    code = await mailed_code(demo_db, ALICE_MAIL, "PASSWORD_RESET")
    weak = await gateway.query(USE_CODE, {"code": code, "password": "short"})
    assert error_codes(weak) == ["BAD_USER_INPUT"]
    assert weak["errors"][0]["extensions"]["field"] == "password"

    wrong = await gateway.post(USE_CODE, {"code": code[:-3] + "abc", "password": NEW_PASSWORD})
    assert (await gateway.query(USE_CODE, {"code": code, "password": NEW_PASSWORD}))["data"]
    used = await gateway.post(USE_CODE, {"code": code, "password": "a third password here"})
    assert wrong.content == used.content
    assert error_codes(wrong.json()) == ["UNAUTHENTICATED"]
    assert "errors" not in await sign_in(gateway, "alice", "d1", password=NEW_PASSWORD)

    await gateway.query(RESET, {"id": ALICE}, as_="dora")
    code = await mailed_code(demo_db, ALICE_MAIL, "PASSWORD_RESET")
    await demo_db[c.ACCOUNTS].update_one(
        {"_id": ALICE},
        {"$set": {"password_reset.expires_at": datetime(2000, 1, 1, tzinfo=UTC)}},
    )
    expired = await gateway.post(USE_CODE, {"code": code, "password": NEW_PASSWORD})
    assert expired.content == wrong.content
    assert error_codes(await sign_in(gateway, "alice", "d1", password=NEW_PASSWORD)) == [
        "UNAUTHENTICATED"
    ]


async def test_a_new_reset_replaces_the_previous_code(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await gateway.query(RESET, {"id": ALICE}, as_="dora")
    first = await mailed_code(demo_db, ALICE_MAIL, "PASSWORD_RESET")
    await gateway.query(RESET, {"id": ALICE}, as_="dora")
    second = await mailed_code(demo_db, ALICE_MAIL, "PASSWORD_RESET")
    assert first != second
    stale = await gateway.query(USE_CODE, {"code": first, "password": NEW_PASSWORD})
    assert error_codes(stale) == ["UNAUTHENTICATED"]
    fresh = await gateway.query(USE_CODE, {"code": second, "password": NEW_PASSWORD})
    assert fresh["data"]["resetPassword"]["ok"] is True


async def test_a_signed_in_caller_cannot_use_a_reset_code(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await gateway.query(RESET, {"id": ALICE}, as_="dora")
    code = await mailed_code(demo_db, ALICE_MAIL, "PASSWORD_RESET")
    for caller in ("dora", "bob"):
        body = await gateway.query(USE_CODE, {"code": code, "password": NEW_PASSWORD}, as_=caller)
        assert error_codes(body) == ["FORBIDDEN"]
    assert (await gateway.query(USE_CODE, {"code": code, "password": NEW_PASSWORD}))["data"]
