"""Helpers for driving self-service flows through HTTP, as a real client would."""

from __future__ import annotations

from typing import Any

from tests.conftest import GatewayClient

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { accountId } }
"""
SIGN_IN = """
mutation($input: SignInInput!) {
  signIn(input: $input) { accessToken refreshToken tokenType expiresIn accountId }
}
"""
PASSWORD = "correct horse battery staple"


async def sign_up(gateway: GatewayClient, username: str, **fields: Any) -> str:
    body = await gateway.query(
        SIGN_UP,
        {
            "input": {
                "username": username,
                "password": PASSWORD,
                "email": f"{username}@mail.example",
                "displayName": username.title(),
                **fields,
            }
        },
    )
    assert "errors" not in body, body
    account_id: str = body["data"]["signUp"]["accountId"]
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
