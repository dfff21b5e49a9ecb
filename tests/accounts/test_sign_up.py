"""Sign-up never tells whether an e-mail address or a username has an account (audit finding 8).

Every answer is the same; the address gets a mail instead: a confirmation code when both are
free, a notice for its owner when the address has an account, a notice that the username is
taken otherwise. Only whoever reads that mailbox learns anything.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers import collections as c
from resolvers.demo_world import account_id
from schema import sign_up as sign_up_mutations
from tests.client import GatewayClient, error_codes, running
from tests.sign_ups import (
    CONFIRM_SIGN_UP,
    PASSWORD,
    SIGN_UP,
    mailed_code,
    sign_in,
    sign_up,
)

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _input(username: str, email: str) -> dict[str, Any]:
    return {
        "input": {
            "username": username,
            "password": PASSWORD,
            "email": email,
            "displayName": "Someone",
        }
    }


async def _sign_up(gateway: GatewayClient, username: str, email: str) -> httpx.Response:
    response = await gateway.post(SIGN_UP, _input(username, email))
    assert response.status_code == 200
    return response


async def _mails_to(db: AsyncDatabase[Any], to: str) -> list[dict[str, Any]]:
    return await db[c.MAIL_OUTBOX].find({"to": to}).to_list()


async def test_a_taken_email_and_a_new_one_get_the_same_bytes_and_the_owner_a_mail(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    accounts = await demo_db[c.ACCOUNTS].count_documents({})
    taken = await _sign_up(gateway, "newbie1", "alice@uni-graz.example")
    fresh = await _sign_up(gateway, "newbie2", "newbie2@mail.example")
    assert taken.content == fresh.content == b'{"data":{"signUp":{"mailSent":true}}}'
    assert await demo_db[c.ACCOUNTS].count_documents({}) == accounts

    [notice] = await _mails_to(demo_db, "alice@uni-graz.example")
    assert notice["kind"] == "SIGN_UP_ATTEMPT" and notice["account"] == account_id("alice")
    assert "code" not in notice["body"].lower()
    [invitation] = await _mails_to(demo_db, "newbie2@mail.example")
    assert invitation["kind"] == "SIGN_UP_CODE" and invitation["account"] is None


async def test_a_taken_username_and_a_new_one_get_the_same_bytes_and_the_address_a_mail(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    taken = await _sign_up(gateway, "alice", "new1@mail.example")
    fresh = await _sign_up(gateway, "newbie3", "new3@mail.example")
    assert taken.content == fresh.content

    [notice] = await _mails_to(demo_db, "new1@mail.example")
    assert notice["kind"] == "SIGN_UP_USERNAME_TAKEN" and "alice" in notice["body"]
    assert "code:" not in notice["body"]
    [invitation] = await _mails_to(demo_db, "new3@mail.example")
    assert invitation["kind"] == "SIGN_UP_CODE"
    # Nothing about alice's account went anywhere but to the address that was typed.
    assert await _mails_to(demo_db, "alice@uni-graz.example") == []


class Writes(monitoring.CommandListener):
    """Which collections each request writes to, by command."""

    def __init__(self) -> None:
        self.writes: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("insert", "update", "delete", "findAndModify"):
            self.writes[(event.command_name, event.command[event.command_name])] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.mark.parametrize(
    ("username", "email"),
    [
        ("newbie4", "alice@uni-graz.example"),
        ("alice", "newbie4@mail.example"),
        ("alice", "alice@uni-graz.example"),
    ],
)
async def test_every_sign_up_path_does_the_same_work(
    settings: Settings,
    demo_db: AsyncDatabase[Any],
    monkeypatch: pytest.MonkeyPatch,
    username: str,
    email: str,
) -> None:
    hashed: list[str] = []
    real_hash = sign_up_mutations.hash_password

    def counting_hash(password: str) -> str:
        hashed.append(password)
        return real_hash(password)

    monkeypatch.setattr(sign_up_mutations, "hash_password", counting_hash)
    work = []
    for attempt in ((username, email), ("newbie5", "newbie5@mail.example")):
        writes = Writes()
        async with running(settings, event_listeners=[writes]) as gateway:
            await _sign_up(gateway, *attempt)
        work.append(writes.writes)
    assert work[0] == work[1]
    assert len(hashed) == 2


async def test_the_mailed_code_confirms_once_and_only_it_does(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await _sign_up(gateway, "nora", "nora@mail.example")
    code = await mailed_code(demo_db, "nora@mail.example", "SIGN_UP_CODE")
    wrong = await gateway.post(CONFIRM_SIGN_UP, {"code": code[:-2] + "xx"})
    confirmed = await gateway.query(CONFIRM_SIGN_UP, {"code": code})
    again = await gateway.post(CONFIRM_SIGN_UP, {"code": code})
    account = confirmed["data"]["confirmSignUp"]["accountId"]
    assert wrong.content == again.content
    assert error_codes(wrong.json()) == ["UNAUTHENTICATED"]
    stored = await demo_db[c.ACCOUNTS].find_one({"_id": account})
    assert stored is not None and stored["username"] == "nora"
    assert stored["email"] == "nora@mail.example"
    assert "errors" not in await sign_in(gateway, "nora", "d1")


async def test_an_expired_code_answers_like_a_wrong_one(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await _sign_up(gateway, "nora", "nora@mail.example")
    code = await mailed_code(demo_db, "nora@mail.example", "SIGN_UP_CODE")
    await demo_db[c.SIGN_UPS].update_many({}, {"$set": {"expires_at": LONG_AGO}})
    expired = await gateway.post(CONFIRM_SIGN_UP, {"code": code})
    wrong = await gateway.post(CONFIRM_SIGN_UP, {"code": "not-a-code"})
    assert expired.content == wrong.content
    assert await demo_db[c.ACCOUNTS].count_documents({"username": "nora"}) == 0


async def test_a_username_taken_before_confirmation_is_told_to_the_mailbox_owner_only(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await _sign_up(gateway, "nora", "nora@mail.example")
    code = await mailed_code(demo_db, "nora@mail.example", "SIGN_UP_CODE")
    await sign_up(gateway, demo_db, "nora", email="other-nora@mail.example")
    body = await gateway.query(CONFIRM_SIGN_UP, {"code": code})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "username"
    assert await demo_db[c.ACCOUNTS].count_documents({"username": "nora"}) == 1


@pytest.mark.parametrize(
    "email",
    [
        "nora@" + "m" * 64 + ".example",  # a label past 63 characters
        "nora@" + ".".join(["m" * 60] * 5) + ".example",  # past 254 in all
        "n" * 65 + "@mail.example",  # a local part past 64
        "no\u202era@mail.example",  # a bidirectional override: shows as another address
        "no\x00ra@mail.example",
        "nora\u2028@mail.example",  # a line separator
        # Invisible: each shows as alice's address in dora's list of members.
        *(f"alice{mark}@uni-graz.example" for mark in "\u200b\u061c\u00ad\ufeff\u2060\U000e0041"),
        "\u0130" * 64 + "@mail.example",  # 64 characters that lower() makes 128
        "\u00fc" * 64 + "@mail.example",  # 64 characters, 128 octets
        # What mail servers refuse: a label's edge hyphen, a numeric top level, stray dots.
        "nora@-.--",
        "nora@1.2",
        "..@mail.example",
        "nora.@mail.example",
        "no..ra@mail.example",
        "nora@mail-.example",
    ],
)
async def test_an_address_mail_servers_refuse_is_refused_and_nothing_is_kept(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], email: str
) -> None:
    body = (await _sign_up(gateway, "nora", email)).json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}
    assert await demo_db[c.SIGN_UPS].count_documents({}) == 0
    assert await demo_db[c.MAIL_OUTBOX].count_documents({}) == 0


async def test_the_longest_address_mail_servers_take_is_taken(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    email = "n" * 64 + "@" + ".".join(["m" * 63] * 2 + ["m" * 53]) + ".example"
    assert len(email) == 254
    await _sign_up(gateway, "nora", email)
    assert await mailed_code(demo_db, email, "SIGN_UP_CODE")
