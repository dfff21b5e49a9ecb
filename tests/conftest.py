"""Shared fixtures: one real database server for the whole run, one fresh database per test.

With `MONGODB_URI` set the suite runs against that server; otherwise it starts the embedded
SecantusDB once, as a child process, exactly as `serve` does. Nothing here is a fake.

The demo world is seeded once per run (`seed_demo_world`, which counts every document into
the rollups: about 4 s on SecantusDB) and each test's database gets a copy of what it wrote,
every collection, counters and rollup marks included (`insert_many`: a tenth of the time).
`tests/test_demo_copy.py` holds that the copy is what seeding writes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from authz.keys import development_keys
from authz.tokens import TokenIssuer
from gateway.app import create_app
from gateway.embedded import EmbeddedServer
from gateway.settings import Environment, Settings
from resolvers.collections import ensure_schema
from resolvers.demo_world import DEMO_PRINCIPALS, seed_demo_world


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if uri := os.environ.get("MONGODB_URI"):
        yield uri
        return
    # Fail points (`configureFailPoint`) let tests break the token standing stream.
    with EmbeddedServer(
        tmp_path_factory.mktemp("embedded"), options=["--enable-test-commands"]
    ) as uri:
        yield uri


@pytest.fixture(scope="session")
async def mongo(mongo_uri: str) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
async def db(mongo: AsyncMongoClient[dict[str, Any]]) -> AsyncIterator[AsyncDatabase[Any]]:
    database = mongo[f"test_{uuid.uuid4().hex[:12]}"]
    await ensure_schema(database)
    yield database
    await mongo.drop_database(database.name)


@pytest.fixture(scope="session")
async def demo_world(mongo: AsyncMongoClient[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Every document `seed_demo_world` writes into a fresh database, by collection."""
    template = mongo[f"demo_{uuid.uuid4().hex[:12]}"]
    await ensure_schema(template)
    await seed_demo_world(template)
    written = {
        name: await template[name].find().to_list()
        for name in await template.list_collection_names()
    }
    await mongo.drop_database(template.name)
    return {name: documents for name, documents in written.items() if documents}


async def copy_demo_world(
    db: AsyncDatabase[Any], demo_world: dict[str, list[dict[str, Any]]]
) -> AsyncDatabase[Any]:
    for name, documents in demo_world.items():
        await db[name].insert_many([dict(document) for document in documents])
    return db


@pytest.fixture
async def demo_db(
    db: AsyncDatabase[Any], demo_world: dict[str, list[dict[str, Any]]]
) -> AsyncDatabase[Any]:
    return await copy_demo_world(db, demo_world)


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


@pytest.fixture
def settings(mongo_uri: str, db: AsyncDatabase[Any], tmp_path: Path) -> Settings:
    return Settings(mongodb_uri=mongo_uri, database=db.name, data_dir=tmp_path)


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


@pytest.fixture
async def gateway(settings: Settings, demo_db: AsyncDatabase[Any]) -> AsyncIterator[GatewayClient]:
    async with running(settings) as client:
        yield client


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]
