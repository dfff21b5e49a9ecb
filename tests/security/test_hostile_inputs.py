"""Hostile callers, table-driven: each input gets its safe answer, and the server carries on.

Every case sends one hostile request to a running gateway, checks the answer (status, error
code, what must not appear), and then sends an ordinary request that must still succeed.
Cases that need another configuration (production, tiny limits, persisted-only) name it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Environment, Settings
from schema.protections.persisted import PersistedOnly, sha256
from tests.client import GatewayClient, running, signing_key_file
from tests.hostile_documents import fragment_bomb
from tests.jwt_parts import segment, token_claims

NORMAL = "{ publicFeed(first: 2) { edges { node { id title } } } }"
PERSISTED = "{ publicFeed(first: 1) { edges { node { id } } } }"

Send = Callable[[GatewayClient], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Case:
    name: str
    send: Send
    status: int
    code: str | None = None
    absent: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    header: tuple[str, str] | None = None
    afterwards: tuple[int, str] | None = None


def bearer(make: Callable[[GatewayClient], str], query: str = "{ me { email } }") -> Send:
    async def send(client: GatewayClient) -> httpx.Response:
        headers = {"Authorization": f"Bearer {make(client)}"}
        return await client.http.post("/graphql", json={"query": query}, headers=headers)

    return send


def _dev_signed(client: GatewayClient, claims: dict[str, Any], **header: Any) -> str:
    key = client.issuer.key
    return jwt.encode(
        claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, **header}
    )


def _forged(client: GatewayClient) -> str:
    stranger = Ed25519PrivateKey.generate()
    kid = client.issuer.key.kid
    return jwt.encode(token_claims(), stranger, algorithm="EdDSA", headers={"kid": kid})


def _alg_none(client: GatewayClient) -> str:
    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(token_claims())}."


def _hs256_with_public_key(client: GatewayClient) -> str:
    public = client.issuer.key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = segment({"alg": "HS256", "typ": "JWT", "kid": client.issuer.key.kid})
    body = segment(token_claims(kind="compliance", sub="mallory"))
    signature = hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def post(
    query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Send:
    async def send(client: GatewayClient) -> httpx.Response:
        payload = {"query": query, "variables": variables or {}}
        return await client.http.post("/graphql", json=payload, headers=headers or {})

    return send


def post_as(handle: str, query: str) -> Send:
    async def send(client: GatewayClient) -> httpx.Response:
        return await client.post(query, as_=handle)

    return send


def _consent_until(expires_at: str) -> str:
    return (
        'mutation { grantConsent(input: {recipient: "flowershop", fields: ["phone"], '
        f'expiresAt: "{expires_at}"}}) {{ consent {{ id }} }} }}'
    )


def raw(method: str, path: str = "/graphql", **options: Any) -> Send:
    async def send(client: GatewayClient) -> httpx.Response:
        return await client.http.request(method, path, **options)

    return send


def repeated(times: int, send: Send) -> Send:
    """The last answer of `times` identical requests (a flood)."""

    async def flood(client: GatewayClient) -> httpx.Response:
        for _ in range(times - 1):
            await send(client)
        return await send(client)

    return flood


def nested(pairs: int) -> str:
    """`account { content { author { content { author … } } } } }`: 2 · pairs + 1 deep."""
    inner = "id"
    for _ in range(pairs):
        inner = f"content {{ author {{ {inner} }} }}"
    return f'{{ account(id: "acct-alice") {{ {inner} }} }}'


SIGN_IN = (
    'mutation { signIn(input: {username: "alice", password: "wrong password!",'
    ' deviceId: "d1"}) { accessToken } }'
)
PRODUCTION = {"env": Environment.PRODUCTION}

CASES = [
    # Tokens (RFC 8725): refused with 401 before anything runs.
    Case("forged signature", bearer(_forged), 401, "UNAUTHENTICATED"),
    Case(
        "expired token",
        bearer(lambda c: _dev_signed(c, token_claims(exp=int(time.time()) - 3600))),
        401,
        "UNAUTHENTICATED",
    ),
    Case("alg none", bearer(_alg_none), 401, "UNAUTHENTICATED"),
    Case("HS256 with the public key", bearer(_hs256_with_public_key), 401, "UNAUTHENTICATED"),
    Case(
        "wrong audience",
        bearer(lambda c: _dev_signed(c, token_claims(aud="someone-else"))),
        401,
        "UNAUTHENTICATED",
    ),
    Case(
        "wrong issuer",
        bearer(lambda c: _dev_signed(c, token_claims(iss="https://evil.example"))),
        401,
        "UNAUTHENTICATED",
    ),
    Case(
        "missing kind claim",
        bearer(lambda c: _dev_signed(c, token_claims(kind=None))),
        401,
        "UNAUTHENTICATED",
    ),
    Case("malformed token", bearer(lambda c: "not.a.token"), 401, "UNAUTHENTICATED"),
    Case(
        "unknown key id",
        bearer(
            lambda c: jwt.encode(
                token_claims(), c.issuer.key.private_key, algorithm="EdDSA", headers={"kid": "nope"}
            )
        ),
        401,
        "UNAUTHENTICATED",
    ),
    Case(
        "development key in production",
        bearer(lambda c: c.token("alice")),
        401,
        "UNAUTHENTICATED",
        config=PRODUCTION,
    ),
    # Document limits, refused before execution.
    Case("depth flood", post(nested(16)), 200, "LIMIT_EXCEEDED"),
    Case(
        "alias flood",
        post(
            "{ "
            + " ".join(
                f"a{n}: publicFeed(first: 1) {{ pageInfo {{ hasNextPage }} }}" for n in range(40)
            )
            + " }"
        ),
        200,
        "LIMIT_EXCEEDED",
    ),
    Case(
        "directive flood",
        post(
            "{ publicFeed(first: 1) { pageInfo { hasNextPage "
            + "@include(if: true) " * 30
            + "} } }"
        ),
        200,
        "LIMIT_EXCEEDED",
    ),
    Case("token flood", post("{ " + "__typename " * 3000 + "}"), 200, "LIMIT_EXCEEDED"),
    Case(
        "cost flood",
        post(
            "{ publicFeed(first: 100) { edges { node { comments { author {"
            " content { comments { id } } } } } } } }"
        ),
        200,
        "LIMIT_EXCEEDED",
    ),
    Case(
        "an Int literal past the 4,300 digits Python converts",
        post("{ publicFeed(first: " + "9" * 5_000 + ") { pageInfo { hasNextPage } } }"),
        200,
        "LIMIT_EXCEEDED",
    ),
    Case(
        "a negative Int literal past the 4,300 digits",
        post("{ publicFeed(first: -" + "9" * 5_000 + ") { pageInfo { hasNextPage } } }"),
        200,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "a variable's default past the 4,300 digits",
        post("query($f: Int = " + "1" * 5_000 + ") { publicFeed(first: $f) { edges { cursor } } }"),
        200,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "a DateTime literal past year 9999",
        post('query($e: DateTime = "9999-12-31T24:00:00") { __typename }'),
        200,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "a photo URL Python's own parser refuses",
        post_as(
            "alice",
            'mutation { updateProfile(input: {photoUrl: "https://[::1"}) { account { id } } }',
        ),
        200,
        "BAD_USER_INPUT",
    ),
    Case(
        "a consent's expiry without a time zone",
        post_as("alice", _consent_until("2030-01-01T00:00:00")),
        200,
        "BAD_USER_INPUT",
    ),
    Case(
        "a consent's expiry past year 9999 in UTC",
        post_as("alice", _consent_until("9999-12-31T23:59:59-14:00")),
        200,
        "BAD_USER_INPUT",
    ),
    Case("an empty selection set", post("{}"), 200, "GRAPHQL_VALIDATION_FAILED"),
    Case("an undefined fragment", post("{ ...Nope }"), 200, "GRAPHQL_VALIDATION_FAILED"),
    Case(
        "a chain of fragments past Python's stack",
        post(
            "{ ...f0 } "
            + " ".join(f"fragment f{i} on Query {{ ...f{i + 1} }}" for i in range(236))
            + " fragment f236 on Query { __typename }"
        ),
        200,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "page size flood",
        post("{ publicFeed(first: 100000) { pageInfo { hasNextPage } } }"),
        200,
        "LIMIT_EXCEEDED",
    ),
    Case(
        "batch flood",
        raw("POST", json=[{"query": "{ __typename }"}] * 20),
        400,
        "LIMIT_EXCEEDED",
        absent=("__typename",),
    ),
    # Bodies of the wrong shape are the caller's mistake: JSON with a code, never a 500.
    *(
        Case(f"body {name}", raw("POST", json=body), 400, "BAD_REQUEST")
        for name, body in (
            ("a number", 5),
            ("null", None),
            ("a string", "x"),
            ("a batch holding a number", [{"query": "{ __typename }"}, 5]),
            ("a batch holding null", [{"query": "{ __typename }"}, None]),
            ("a batch item with a number for its query", [{"query": 5}]),
            (
                "a batch item with a list for its variables",
                [{"query": "{ me { id } }", "variables": []}],
            ),
        )
    ),
    Case(
        "circular fragments",
        post(
            '{ account(id: "acct-alice") { ...A } }'
            " fragment A on Account { id ...B } fragment B on Account { displayName ...A }"
        ),
        200,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "huge variables",
        post(
            "query($x: String) { publicFeed(first: 1) { pageInfo { hasNextPage } } }",
            {"x": "x" * 400_000},
        ),
        413,
        "LIMIT_EXCEEDED",
    ),
    Case(
        "oversized body declared",
        raw(
            "POST",
            content=b"{" + b" " * 300_000 + b"}",
            headers={"content-type": "application/json"},
        ),
        413,
        "LIMIT_EXCEEDED",
    ),
    Case(
        "fragments that write out to millions of selections",
        post(fragment_bomb(25)),
        200,
        "LIMIT_EXCEEDED",
    ),
    Case(
        "JSON nested past the decoder's stack",
        raw(
            "POST",
            content=b"[" * 5_000 + b"]" * 5_000,
            headers={"content-type": "application/json"},
        ),
        400,
        "BAD_REQUEST",
    ),
    Case(
        "slow query past the timeout",
        post("{ publicFeed(first: 100) { edges { node { author { content { id } } } } } }"),
        504,
        "TIMEOUT",
        # Every operation is past a microsecond: what must hold is that the server keeps
        # answering, promptly, with the same clean refusal.
        config={"execution_timeout_seconds": 0.000001},
        afterwards=(504, "TIMEOUT"),
    ),
    # Transport: no mutation over GET, no form bodies (CSRF), no text/plain JSON.
    Case(
        "mutation over GET",
        raw("GET", params={"query": "mutation { signOut(input: {}) { signedOut } }"}),
        400,
        "BAD_REQUEST",
        absent=("signedOut",),
    ),
    Case(
        "form-encoded body",
        raw("POST", data={"query": "{ __typename }"}),
        400,
        "BAD_REQUEST",
    ),
    Case(
        "text/plain JSON",
        raw(
            "POST",
            content=json.dumps({"query": "{ __typename }"}),
            headers={"content-type": "text/plain"},
        ),
        400,
        "BAD_REQUEST",
    ),
    # Production: no introspection, no suggestions, no GraphiQL, masked errors.
    Case(
        "introspection in production",
        post("{ __schema { types { name } } }"),
        200,
        "GRAPHQL_VALIDATION_FAILED",
        absent=("Account", "SensitiveProfile"),
        config=PRODUCTION,
    ),
    Case(
        "unknown field in production",
        post("{ publicFed(first: 1) { pageInfo { hasNextPage } } }"),
        200,
        "GRAPHQL_VALIDATION_FAILED",
        absent=("Did you mean", "publicFeed"),
        config=PRODUCTION,
    ),
    Case(
        "GraphiQL in production",
        raw("GET", headers={"accept": "text/html"}),
        404,
        config=PRODUCTION,
    ),
    # Other people's data: nothing leaks, by id or by shape.
    Case(
        "someone else's private item by id",
        post_as("carol", '{ content(id: "post-alice-private") { id title body } }'),
        200,
        absent=("Diary", "Only for me"),
    ),
    Case(
        "someone else's e-mail",
        post_as("carol", '{ account(id: "acct-alice") { email phone billing { iban } } }'),
        200,
        "FORBIDDEN",
        absent=("alice@", "AT61"),
    ),
    Case(
        "operator injection as an id",
        post("query($id: ID!) { content(id: $id) { id } }", {"id": {"$ne": None}}),
        200,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Case(
        "forged cursor",
        post('{ publicFeed(first: 1, after: "eyJ4Ijoge319") { pageInfo { hasNextPage } } }'),
        200,
        "BAD_USER_INPUT",
    ),
    Case(
        "updating someone else's item",
        post_as(
            "carol",
            'mutation { updateContent(input: {id: "post-alice-garden",'
            ' title: "pwned"}) { content { id } } }',
        ),
        200,
        "BAD_USER_INPUT",
    ),
    # Floods of requests: rate limits and the sign-in lockout.
    Case(
        "request flood",
        repeated(6, post(NORMAL, headers={"X-Forwarded-For": "203.0.113.66"})),
        429,
        "RATE_LIMITED",
        # The flooding address is limited; another address is still served.
        config={"rate_per_address_per_minute": 5, "trusted_proxy_header": "X-Forwarded-For"},
        header=("Retry-After", ""),
    ),
    Case(
        "sign-in guessing",
        repeated(6, post(SIGN_IN)),
        429,
        "RATE_LIMITED",
        header=("Retry-After", ""),
    ),
    # Persisted queries.
    Case(
        "unregistered query when only persisted ones run",
        post("{ publicFeed(first: 3) { edges { node { id } } } }"),
        200,
        "PERSISTED_QUERY_REQUIRED",
        config={"persisted_queries_only": PersistedOnly.ALL},
    ),
    Case(
        "unknown persisted hash",
        raw(
            "POST", json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}
        ),
        200,
        "PERSISTED_QUERY_NOT_FOUND",
        config={"persisted_queries_only": PersistedOnly.ALL},
    ),
]


def _prepare(settings: Settings, tmp_path: Path, config: dict[str, Any]) -> Settings:
    """Settings for a case; production gets its own signing key (development keys are refused)."""
    update = dict(config)
    if config.get("env") == Environment.PRODUCTION:
        update["signing_key_file"] = signing_key_file(tmp_path)
    if config.get("persisted_queries_only"):
        registry = tmp_path / "persisted.json"
        registry.write_text(json.dumps({sha256(PERSISTED): PERSISTED}))
        update["persisted_queries_file"] = registry
    return settings.model_copy(update=update)


async def normal_request_works(client: GatewayClient, case: Case) -> None:
    if case.config.get("persisted_queries_only"):
        digest = {"persistedQuery": {"version": 1, "sha256Hash": sha256(PERSISTED)}}
        response = await client.http.post("/graphql", json={"extensions": digest})
    else:
        response = await client.http.post(
            "/graphql", json={"query": NORMAL}, headers={"X-Forwarded-For": "198.51.100.7"}
        )
    if case.afterwards:
        status, code = case.afterwards
        assert response.status_code == status
        assert response.json()["errors"][0]["extensions"]["code"] == code
        return
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body and body["data"]["publicFeed"]["edges"]


def test_the_suite_has_at_least_thirty_hostile_inputs() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_hostile_input_gets_a_safe_answer_and_the_server_carries_on(
    settings: Settings, demo_db: AsyncDatabase[Any], tmp_path: Path, case: Case
) -> None:
    configured = _prepare(settings, tmp_path, case.config)
    async with running(configured) as client:
        response = await case.send(client)
        assert response.status_code == case.status, response.text[:500]
        if case.code is not None:
            codes = [e["extensions"]["code"] for e in response.json()["errors"]]
            assert case.code in codes, response.text[:500]
            # Every error is the caller's: none is a fault of ours beside it.
            assert "INTERNAL_SERVER_ERROR" not in codes, response.text[:500]
        for secret in case.absent:
            assert secret not in response.text
        assert "Traceback" not in response.text and "pymongo" not in response.text
        if case.header:
            assert case.header[0] in response.headers
        await normal_request_works(client, case)
