"""The gateway against an identity provider's JWKS served over HTTP (docs/identity.md).

The provider is a real HTTP server on a free port (http.server in a thread) that counts the
fetches it answers; the gateway's clock for its key set is a hand-moved one, so "within the
lifespan" and "after the refetch interval" are exact, not raced.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from pymongo.asynchronous.database import AsyncDatabase

import authz.keys
from gateway.settings import Settings
from resolvers.demo_world import DEMO_PRINCIPALS
from tests.client import GatewayClient, error_codes, running

ISSUER = "https://idp.example/realms/imoox"
ME = "{ me { id } }"


@dataclass
class Provider:
    """An identity provider's JWKS endpoint: its keys, and how often it was asked for them."""

    url: str = ""
    keys: dict[str, Any] = field(default_factory=dict)
    #: Extra JWKS entries a real provider publishes too (encryption and RSA keys).
    others: list[dict[str, Any]] = field(default_factory=list)
    fetches: int = 0
    #: When set, each answer waits for it (a slow provider); `waiting` says one is held.
    gate: threading.Event | None = None
    waiting: threading.Event = field(default_factory=threading.Event)

    def add_key(self, kid: str, algorithm: str = "EdDSA") -> None:
        self.keys[kid] = (
            Ed25519PrivateKey.generate()
            if algorithm == "EdDSA"
            else generate_private_key(SECP256R1())
        )

    def jwks(self) -> dict[str, Any]:
        entries = []
        for kid, key in self.keys.items():
            if isinstance(key, Ed25519PrivateKey):
                jwk, alg = json.loads(OKPAlgorithm.to_jwk(key.public_key())), "EdDSA"
            else:
                jwk, alg = json.loads(ECAlgorithm.to_jwk(key.public_key())), "ES256"
            entries.append({**jwk, "kid": kid, "alg": alg, "use": "sig"})
        return {"keys": [*self.others, *entries]}

    def token(self, handle: str, kid: str, private_key: Any = None) -> str:
        now = time.time()
        key = private_key or self.keys[kid]
        claims = {
            **DEMO_PRINCIPALS[handle],
            "iss": ISSUER,
            "aud": "imoox-api",
            "iat": int(now),
            "exp": int(now) + 600,
            "jti": uuid.uuid4().hex,
        }
        algorithm = "EdDSA" if isinstance(key, Ed25519PrivateKey) else "ES256"
        return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def provider() -> Iterator[Provider]:
    published = Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            published.fetches += 1
            if published.gate is not None:
                published.waiting.set()
                published.gate.wait(timeout=30)
            body = json.dumps(published.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda *args: None  # type: ignore[method-assign]  # a gave-up client
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    published.url = f"http://127.0.0.1:{server.server_address[1]}/realms/imoox/certs"
    yield published
    if published.gate is not None:
        published.gate.set()
    server.shutdown()
    server.server_close()


class Clock:
    """The key set's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(authz.keys, "monotonic", moved)
    return moved


@pytest.fixture
async def idp_gateway(
    settings: Settings, demo_db: AsyncDatabase[Any], provider: Provider
) -> AsyncIterator[GatewayClient]:
    provider.add_key("old")
    configured = settings.model_copy(
        update={
            "jwks_url": provider.url,
            "jwt_issuer": ISSUER,
            "jwks_lifespan_seconds": 300.0,
            "jwks_refetch_seconds": 30.0,
            "jwks_timeout_seconds": 2.0,
        }
    )
    async with running(configured) as client:
        yield client


async def me(gateway: GatewayClient, token: str) -> tuple[int, dict[str, Any]]:
    response = await gateway.http.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code, response.json()


async def test_keys_rotate_at_the_provider(
    idp_gateway: GatewayClient, provider: Provider, clock: Clock
) -> None:
    old = provider.token("alice", "old")
    assert await me(idp_gateway, old) == (200, {"data": {"me": {"id": "acct-alice"}}})
    assert provider.fetches == 1

    # The provider publishes a new key and signs with it: the unknown kid makes the gateway
    # look again (the last look is older than the refetch interval).
    provider.add_key("new", "ES256")
    clock.now += 31
    new = provider.token("alice", "new")
    assert await me(idp_gateway, new) == (200, {"data": {"me": {"id": "acct-alice"}}})
    assert provider.fetches == 2
    assert (await me(idp_gateway, old))[0] == 200  # both keys are published
    assert provider.fetches == 2

    # The provider removes the old key: it verifies until the fetched set's lifespan ends,
    # and never after it.
    del provider.keys["old"]
    clock.now += 299
    assert (await me(idp_gateway, old))[0] == 200
    assert provider.fetches == 2
    clock.now += 1
    status, body = await me(idp_gateway, old)
    assert (status, error_codes(body)) == (401, ["UNAUTHENTICATED"])
    assert provider.fetches == 3
    assert await me(idp_gateway, new) == (200, {"data": {"me": {"id": "acct-alice"}}})
    assert provider.fetches == 3


async def test_unknown_kids_cost_the_provider_one_fetch_per_interval(
    idp_gateway: GatewayClient, provider: Provider, clock: Clock
) -> None:
    assert (await me(idp_gateway, provider.token("bob", "old")))[0] == 200
    assert provider.fetches == 1
    clock.now += 31
    forged = Ed25519PrivateKey.generate()
    statuses = [
        (await me(idp_gateway, provider.token("bob", uuid.uuid4().hex, forged)))[0]
        for _ in range(50)
    ]
    assert statuses == [401] * 50
    assert provider.fetches == 2  # the first unknown kid looked again; the other 49 did not
    # Concurrent unknown kids after the next interval share one fetch.
    clock.now += 31
    answers = await asyncio.gather(
        *(me(idp_gateway, provider.token("bob", uuid.uuid4().hex, forged)) for _ in range(20))
    )
    assert [status for status, _ in answers] == [401] * 20
    assert provider.fetches == 3
    # The known key keeps verifying throughout, without a fetch.
    assert (await me(idp_gateway, provider.token("bob", "old")))[0] == 200
    assert provider.fetches == 3


async def test_a_key_published_before_the_interval_ends_waits_for_it(
    idp_gateway: GatewayClient, provider: Provider, clock: Clock
) -> None:
    """The price of the rate limit: a new key is found at the next allowed look, not before."""
    assert (await me(idp_gateway, provider.token("carol", "old")))[0] == 200
    provider.add_key("new")
    new = provider.token("carol", "new")
    clock.now += 29
    assert (await me(idp_gateway, new))[0] == 401
    assert provider.fetches == 1
    clock.now += 2
    assert (await me(idp_gateway, new))[0] == 200
    assert provider.fetches == 2


async def test_other_keys_in_the_set_are_skipped(
    idp_gateway: GatewayClient, provider: Provider, clock: Clock
) -> None:
    """Keycloak publishes RSA signing and encryption keys next to the EdDSA/ES256 one."""
    rsa = {"kty": "RSA", "kid": "rsa-sig", "alg": "RS256", "use": "sig", "n": "sXch", "e": "AQAB"}
    encryption = {**rsa, "kid": "rsa-enc", "alg": "RSA-OAEP", "use": "enc"}
    # As long as RFC 7518 asks of an HMAC key: the token is refused for the key's kind alone.
    secret = b"a published HMAC key of 32 bytes"
    k = base64.urlsafe_b64encode(secret).rstrip(b"=").decode()
    provider.others = [rsa, encryption, {"kty": "oct", "kid": "hmac", "k": k}]
    assert (await me(idp_gateway, provider.token("erin", "old")))[0] == 200
    hmac = jwt.encode(
        {**DEMO_PRINCIPALS["erin"], "iss": ISSUER, "aud": "imoox-api"},
        secret,
        algorithm="HS256",
        headers={"kid": "hmac"},
    )
    assert (await me(idp_gateway, hmac))[0] == 401


async def test_a_slow_provider_does_not_hold_other_requests(
    idp_gateway: GatewayClient, provider: Provider, clock: Clock
) -> None:
    provider.gate = threading.Event()
    signed_in = asyncio.create_task(me(idp_gateway, provider.token("alice", "old")))
    # The fetch is held at the provider; meanwhile an anonymous request is answered.
    await asyncio.wait_for(asyncio.to_thread(provider.waiting.wait, 10), 15)
    assert not signed_in.done()
    response = await asyncio.wait_for(
        idp_gateway.http.post("/graphql", json={"query": "{ __typename }"}), 10
    )
    assert response.json() == {"data": {"__typename": "Query"}}
    assert not signed_in.done()
    provider.gate.set()
    assert await signed_in == (200, {"data": {"me": {"id": "acct-alice"}}})


async def test_a_provider_that_never_answers_is_given_up_on(
    idp_gateway: GatewayClient, provider: Provider, clock: Clock
) -> None:
    """The fetch is bounded (`IMOOX_JWKS_TIMEOUT_SECONDS`, 2 s here): the token is refused."""
    provider.gate = threading.Event()  # never set until teardown
    status, body = await asyncio.wait_for(me(idp_gateway, provider.token("alice", "old")), 20)
    assert (status, error_codes(body)) == (401, ["UNAUTHENTICATED"])


async def test_a_caller_that_goes_away_does_not_cancel_the_fetch(
    idp_gateway: GatewayClient, provider: Provider, clock: Clock
) -> None:
    """Else a client hanging up mid-fetch would spend the interval's one fetch for nothing,
    and every token of the provider would be refused until the next."""
    provider.gate = threading.Event()
    gone = asyncio.create_task(me(idp_gateway, provider.token("alice", "old")))
    await asyncio.wait_for(asyncio.to_thread(provider.waiting.wait, 10), 15)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    provider.gate.set()
    assert await me(idp_gateway, provider.token("bob", "old")) == (
        200,
        {"data": {"me": {"id": "acct-bob"}}},
    )
    assert provider.fetches == 1
