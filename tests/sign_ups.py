"""Signing up and in through HTTP, as a real client would, with the codes the gateway mails."""

from __future__ import annotations

import re
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from tests.client import GatewayClient

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { mailSent } }
"""
CONFIRM_SIGN_UP = """
mutation($code: String!) { confirmSignUp(input: {code: $code}) { accountId } }
"""
SIGN_IN = """
mutation($input: SignInInput!) {
  signIn(input: $input) { accessToken refreshToken tokenType expiresIn accountId }
}
"""
PASSWORD = "correct horse battery staple"


async def mailed_code(db: AsyncDatabase[Any], to: str, kind: str) -> str:
    """The one-time code in the newest mail of `kind` to `to`, as the mailbox's owner reads it."""
    mail = await db[c.MAIL_OUTBOX].find_one({"to": to, "kind": kind}, sort=[("created_at", -1)])
    assert mail is not None, f"no {kind} mail to {to}"
    found = re.search(r"code: (\S+)", mail["body"])
    assert found is not None, mail
    return found.group(1)


async def sign_up(
    gateway: GatewayClient, db: AsyncDatabase[Any], username: str, **fields: Any
) -> str:
    """Sign up and confirm with the code mailed to the address: the new account's id."""
    email = fields.pop("email", f"{username}@mail.example")
    body = await gateway.query(
        SIGN_UP,
        {
            "input": {
                "username": username,
                "password": PASSWORD,
                "email": email,
                "displayName": username.title(),
                **fields,
            }
        },
    )
    assert body == {"data": {"signUp": {"mailSent": True}}}, body
    code = await mailed_code(db, email, "SIGN_UP_CODE")
    confirmed = await gateway.query(CONFIRM_SIGN_UP, {"code": code})
    assert "errors" not in confirmed, confirmed
    account_id: str = confirmed["data"]["confirmSignUp"]["accountId"]
    return account_id


async def sign_in(
    gateway: GatewayClient,
    username: str,
    device: str,
    password: str = PASSWORD,
    user_agent: str = "pytest-browser/1.0",
) -> dict[str, Any]:
    body = await gateway.query(
        SIGN_IN,
        {"input": {"username": username, "password": password, "deviceId": device}},
        headers={"User-Agent": user_agent},
    )
    return body
