"""What tests use to talk to the gateway: demo principals' tokens, the app running in
process with its lifespan, production settings, and reading error codes.

Fixtures live in `conftest.py`; this module holds the plain helpers tests import.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from authz.keys import development_keys
from authz.tokens import TokenIssuer
from gateway.app import create_app
from gateway.settings import Environment, Settings
from resolvers.demo_world import DEMO_PRINCIPALS


def signing_key_file(tmp_path: Path) -> Path:
    """A fresh Ed25519 signing key: production refuses the development key pair."""
    key = tmp_path / "signing-key.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key


def production(settings: Settings, tmp_path: Path) -> Settings:
    """Production settings, with a signing key of their own."""
    return settings.model_copy(
        update={"env": Environment.PRODUCTION, "signing_key_file": signing_key_file(tmp_path)}
    )


class GatewayClient:
    """Talks to the ASGI app over HTTP semantics, as demo principals or anonymously."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http = http
        key, _ = development_keys(settings.keys_dir)
        self.issuer = TokenIssuer(key, settings.jwt_issuer, settings.jwt_audience)

    def token(self, handle: str, ttl_seconds: int = 600) -> str:
        return self.issuer.issue(DEMO_PRINCIPALS[handle], ttl_seconds)

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if as_ is not None:
            all_headers["Authorization"] = f"Bearer {self.token(as_)}"
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The JSON body of a 200 answer; `token` sends a bearer token obtained by signing in."""
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        response = await self.post(query, variables, as_=as_, headers=all_headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def running(
    settings: Settings, *, transport: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[GatewayClient]:
    """The app with its lifespan running, and a client speaking HTTP to it in process.

    `transport` goes to httpx's ASGI transport (e.g. the `client` address the app sees).
    """
    app = create_app(settings, **options)
    async with app.router.lifespan_context(app):
        asgi = httpx.ASGITransport(app=app, **(transport or {}))
        async with httpx.AsyncClient(transport=asgi, base_url="http://gateway") as http:
            yield GatewayClient(http, settings)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]
