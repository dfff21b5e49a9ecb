"""Sign-up, sign-in with new-device alerts, refresh rotation and sign-out, through HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers import collections as c
from resolvers.demo_world import DEMO_PASSWORD
from schema import sessions as session_mutations
from tests.client import GatewayClient, error_codes, running
from tests.processes import gateway_process
from tests.sign_ups import PASSWORD, SIGN_IN, sign_in, sign_up

NOTIFICATIONS = "{ me { notifications { id kind message read } } }"


async def test_new_user_signs_in_from_two_devices_and_gets_one_alert(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    account = await sign_up(gateway, demo_db, "nora")
    first = await sign_in(gateway, "nora", "laptop-1")
    again = await sign_in(gateway, "nora", "laptop-1")
    assert "errors" not in first and "errors" not in again
    token = first["data"]["signIn"]["accessToken"]
    assert first["data"]["signIn"]["accountId"] == account
    assert (await gateway.query(NOTIFICATIONS, token=token))["data"]["me"]["notifications"] == []

    second = await sign_in(gateway, "nora", "phone-7", user_agent="NoraPhone/2.0")
    assert "errors" not in second
    body = await gateway.query(NOTIFICATIONS, token=token)
    [alert] = body["data"]["me"]["notifications"]
    assert alert["kind"] == "SUSPICIOUS_SIGN_IN" and "NoraPhone/2.0" in alert["message"]
    outbox = await demo_db[c.MAIL_OUTBOX].find({"account": account}).sort("created_at").to_list()
    assert [(m["to"], m["kind"]) for m in outbox] == [
        ("nora@mail.example", "SIGN_UP_CODE"),
        ("nora@mail.example", "SUSPICIOUS_SIGN_IN"),
    ]

    devices = await gateway.query(
        "{ me { devices { deviceId userAgent } signIns { deviceId suspicious } } }", token=token
    )
    me = devices["data"]["me"]
    assert {d["deviceId"] for d in me["devices"]} == {"laptop-1", "phone-7"}
    assert [(s["deviceId"], s["suspicious"]) for s in me["signIns"]] == [
        ("phone-7", True),
        ("laptop-1", False),
        ("laptop-1", False),
    ]

    read = await gateway.query(
        "mutation($id: ID!) { markNotificationRead(input: {notificationId: $id}) { ok } }",
        {"id": alert["id"]},
        token=token,
    )
    assert read["data"]["markNotificationRead"]["ok"] is True
    body = await gateway.query(NOTIFICATIONS, token=token)
    assert body["data"]["me"]["notifications"][0]["read"] is True


async def test_marking_someone_elses_notification_reads_as_missing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await sign_up(gateway, demo_db, "nora")
    await sign_in(gateway, "nora", "d1")
    await sign_in(gateway, "nora", "d2")
    alert = await demo_db[c.NOTIFICATIONS].find_one({"kind": "SUSPICIOUS_SIGN_IN"})
    assert alert is not None
    body = await gateway.query(
        "mutation($id: ID!) { markNotificationRead(input: {notificationId: $id}) { ok } }",
        {"id": alert["_id"]},
        as_="alice",
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (await demo_db[c.NOTIFICATIONS].find_one({"_id": alert["_id"]}))["read"] is False


async def test_unknown_user_and_wrong_password_answer_alike_and_both_verify_a_hash(
    gateway: GatewayClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real_verify = session_mutations.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(session_mutations, "verify_password", counting_verify)
    wrong = await sign_in(gateway, "alice", "d1", password="not-the-password")
    unknown = await sign_in(gateway, "nobody-here", "d1", password="not-the-password")
    assert wrong["data"] is None and unknown["data"] is None
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]
    assert error_codes(wrong) == error_codes(unknown) == ["UNAUTHENTICATED"]
    # Both paths spend one argon2 verification, so they take about as long.
    assert len(verified) == 2 and all(h.startswith("$argon2id$") for h in verified)


async def test_demo_user_signs_in_with_the_documented_password(gateway: GatewayClient) -> None:
    body = await sign_in(gateway, "alice", "d1", password="imoox-demo-password")
    token = body["data"]["signIn"]["accessToken"]
    me = await gateway.query("{ me { username } }", token=token)
    assert me["data"]["me"]["username"] == "alice"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"username": "A"}, "username"),
        ({"password": "short"}, "password"),
        ({"displayName": "   "}, "displayName"),
        ({"phone": "0316 12"}, "phone"),
        ({"language": "german"}, "language"),
        ({"domain": "uni-graz"}, "domain"),
        ({"domain": "no-such-domain"}, "domain"),
    ],
)
async def test_sign_up_refuses_bad_input_naming_the_field_and_stores_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], change: dict[str, str], field: str
) -> None:
    before = [await demo_db[name].count_documents({}) for name in (c.ACCOUNTS, c.MAIL_OUTBOX)]
    valid = {
        "username": "newbie",
        "password": PASSWORD,
        "email": "newbie@mail.example",
        "displayName": "Newbie",
    }
    body = await gateway.query(
        "mutation($input: SignUpInput!) { signUp(input: $input) { mailSent } }",
        {"input": {**valid, **change}},
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    after = [await demo_db[name].count_documents({}) for name in (c.ACCOUNTS, c.MAIL_OUTBOX)]
    assert after == before


async def test_sign_up_into_an_institution_domain_needs_its_email(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    account = await sign_up(
        gateway, demo_db, "student", email="student@uni-graz.example", domain="uni-graz"
    )
    stored = await demo_db[c.ACCOUNTS].find_one({"_id": account})
    assert stored is not None and stored["domain"] == "uni-graz"
    assert stored["password_hash"].startswith("$argon2id$")


async def test_signed_in_callers_cannot_sign_up(gateway: GatewayClient) -> None:
    body = await gateway.query(
        'mutation { signUp(input: {username: "x12", password: "long enough pass",'
        ' email: "x@mail.example", displayName: "X"}) { mailSent } }',
        as_="alice",
    )
    assert error_codes(body) == ["FORBIDDEN"]


async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await sign_up(gateway, demo_db, "nora")
    first = (await sign_in(gateway, "nora", "d1"))["data"]["signIn"]
    refresh = """
    mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken refreshToken } }
    """
    second = await gateway.query(refresh, {"t": first["refreshToken"]})
    assert "errors" not in second
    rotated = second["data"]["refreshToken"]
    me = await gateway.query("{ me { username } }", token=rotated["accessToken"])
    assert me["data"]["me"]["username"] == "nora"

    reused = await gateway.query(refresh, {"t": first["refreshToken"]})
    assert error_codes(reused) == ["UNAUTHENTICATED"]
    # The reuse ended the whole family: the newer refresh token is dead too.
    assert error_codes(await gateway.query(refresh, {"t": rotated["refreshToken"]})) == [
        "UNAUTHENTICATED"
    ]


async def test_sign_out_revokes_the_access_and_refresh_tokens(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await sign_up(gateway, demo_db, "nora")
    tokens = (await sign_in(gateway, "nora", "d1"))["data"]["signIn"]
    body = await gateway.query(
        "mutation { signOut(input: {}) { signedOut } }", token=tokens["accessToken"]
    )
    assert body["data"]["signOut"]["signedOut"] is True
    response = await gateway.post(
        "{ me { id } }", headers={"Authorization": f"Bearer {tokens['accessToken']}"}
    )
    assert response.status_code == 401
    refreshed = await gateway.query(
        "mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken } }",
        {"t": tokens["refreshToken"]},
    )
    assert error_codes(refreshed) == ["UNAUTHENTICATED"]


async def test_signing_out_of_all_devices_ends_the_other_devices_access_tokens_at_once(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await sign_up(gateway, demo_db, "nora")
    laptop = (await sign_in(gateway, "nora", "laptop"))["data"]["signIn"]
    phone = (await sign_in(gateway, "nora", "phone"))["data"]["signIn"]
    body = await gateway.query(
        "mutation { signOut(input: {allDevices: true}) { signedOut } }",
        token=laptop["accessToken"],
    )
    assert body["data"]["signOut"]["signedOut"] is True
    for token in (laptop["accessToken"], phone["accessToken"]):
        response = await gateway.post("{ me { id } }", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
    refreshed = await gateway.query(
        "mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken } }",
        {"t": phone["refreshToken"]},
    )
    assert error_codes(refreshed) == ["UNAUTHENTICATED"]
    assert "errors" not in await sign_in(gateway, "nora", "phone")


async def test_sign_out_needs_a_signed_in_caller(gateway: GatewayClient) -> None:
    body = await gateway.query("mutation { signOut(input: {}) { signedOut } }")
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_device_settings_need_no_account_and_a_first_sign_in_adopts_them(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    device = {"X-Device-Id": "tablet-42"}
    update = """
    mutation {
      updateDeviceSettings(input: {language: "fr", theme: DARK}) { deviceId language theme }
    }
    """
    body = await gateway.query(update, headers=device)
    assert body["data"]["updateDeviceSettings"] == {
        "deviceId": "tablet-42",
        "language": "fr",
        "theme": "DARK",
    }
    read = await gateway.query("{ deviceSettings { language theme } }", headers=device)
    assert read["data"]["deviceSettings"] == {"language": "fr", "theme": "DARK"}
    other = await gateway.query("{ deviceSettings { language } }", headers={"X-Device-Id": "new"})
    assert other["data"]["deviceSettings"]["language"] is None

    account = await sign_up(gateway, demo_db, "nora")
    await sign_in(gateway, "nora", "tablet-42")
    stored = await demo_db[c.ACCOUNTS].find_one({"_id": account})
    assert stored is not None and stored["settings"]["language"] == "fr"
    assert stored["settings"]["theme"] == "DARK"


async def test_device_settings_without_a_device_id_name_the_header(gateway: GatewayClient) -> None:
    body = await gateway.query("{ deviceSettings { language } }")
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "X-Device-Id"


async def test_sign_in_payload_is_not_reachable_with_a_wrong_input_shape(
    gateway: GatewayClient,
) -> None:
    body = await gateway.query(SIGN_IN, {"input": {"username": "alice"}})
    assert body["data"] is None and body["errors"]


@pytest.mark.parametrize(
    ("trusted_header", "recorded"), [(None, "127.0.0.1"), ("X-Forwarded-For", "203.0.113.9")]
)
async def test_the_sign_in_address_comes_from_a_proxy_header_only_when_configured(
    settings: Settings, demo_db: AsyncDatabase[Any], trusted_header: str | None, recorded: str
) -> None:
    configured = settings.model_copy(update={"trusted_proxy_header": trusted_header})
    transport = {"client": ("127.0.0.1", 50000)}
    async with running(configured, transport=transport) as gateway:
        body = await gateway.query(
            SIGN_IN,
            {"input": {"username": "alice", "password": DEMO_PASSWORD, "deviceId": "d1"}},
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
        )
        token = body["data"]["signIn"]["accessToken"]
        me = await gateway.query("{ me { signIns { ip } } }", token=token)
    assert me["data"]["me"]["signIns"][0]["ip"] == recorded


async def test_the_trusted_header_vouches_for_its_last_line_not_a_callers_earlier_one(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """A proxy that adds its own `X-Forwarded-For` line (HAProxy's `option forwardfor` adds
    one at the end) leaves the caller's line before it: the address it vouches for is the
    last entry of the last line (RFC 9110 §5.3: a field's lines are one list). The gateway
    read the first line only, so the caller chose its address (attack review 2026-12-01)."""
    configured = settings.model_copy(update={"trusted_proxy_header": "X-Forwarded-For"})
    async with running(configured, transport={"client": ("10.0.0.2", 50000)}) as gateway:
        response = await gateway.http.post(
            "/graphql",
            json={
                "query": SIGN_IN,
                "variables": {
                    "input": {"username": "alice", "password": DEMO_PASSWORD, "deviceId": "d1"}
                },
            },
            headers=[("X-Forwarded-For", "198.51.100.66"), ("X-Forwarded-For", "203.0.113.9")],
        )
        token = response.json()["data"]["signIn"]["accessToken"]
        me = await gateway.query("{ me { signIns { ip } } }", token=token)
    assert me["data"]["me"]["signIns"][0]["ip"] == "203.0.113.9"


async def test_a_served_gateway_takes_no_forwarded_address_it_was_not_told_to_trust(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """Through uvicorn (in process, its middleware is not there): uvicorn trusted
    `X-Forwarded-For` from 127.0.0.1 by default, so a local caller (or any caller behind a
    proxy on the same host) chose the address its sign-in and rate limit were counted under,
    though `trusted_proxy_header` was unset."""
    async with gateway_process(settings) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": SIGN_IN,
                "variables": {
                    "input": {"username": "alice", "password": DEMO_PASSWORD, "deviceId": "d1"}
                },
            },
            headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        )
        token = response.json()["data"]["signIn"]["accessToken"]
        me = await http.post(
            "/graphql",
            json={"query": "{ me { signIns { ip } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert me.json()["data"]["me"]["signIns"][0]["ip"] == "127.0.0.1"


PLANT = 'mutation { updateDeviceSettings(input: {language: "fr", theme: DARK}) { theme } }'
SETTINGS = "{ me { settings { language theme } } }"


async def test_settings_planted_on_a_known_device_do_not_reach_its_account(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Audit finding 10: an anonymous caller with alice's device id set her account's theme."""
    await gateway.query(
        'mutation { limitRights(input: {accountId: "acct-alice", privacy: true}) { ok: account'
        " { id } } }",
        as_="dora",
    )
    planted = await gateway.query(PLANT, headers={"X-Device-Id": "demo-device-alice"})
    assert planted["data"]["updateDeviceSettings"]["theme"] == "DARK"
    before = await gateway.query(SETTINGS, as_="alice")
    signed_in = await sign_in(gateway, "alice", "demo-device-alice", password=DEMO_PASSWORD)
    after = await gateway.query(SETTINGS, token=signed_in["data"]["signIn"]["accessToken"])
    assert after == before
    assert after["data"]["me"]["settings"]["theme"] != "DARK"


async def test_a_first_sign_in_adopts_no_device_settings_under_a_privacy_limit(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    account = await sign_up(
        gateway, demo_db, "student", email="student@uni-graz.example", domain="uni-graz"
    )
    limited = await gateway.query(
        "mutation($id: ID!) { limitRights(input: {accountId: $id, privacy: true})"
        " { account { rightsLimits { privacy } } } }",
        {"id": account},
        as_="dora",
    )
    assert limited["data"]["limitRights"]["account"]["rightsLimits"]["privacy"] is True
    await gateway.query(PLANT, headers={"X-Device-Id": "tablet-9"})
    signed_in = await sign_in(gateway, "student", "tablet-9")
    me = await gateway.query(SETTINGS, token=signed_in["data"]["signIn"]["accessToken"])
    assert me["data"]["me"]["settings"] == {"language": None, "theme": None}
