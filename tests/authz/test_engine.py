"""The engine's guarantees: coverage check, projection pushdown, records before data, explain."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import strawberry
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase

import schema.enforcement.coverage
from authz.keys import RemoteKeySet
from authz.tokens import TokenVerifier
from gateway.settings import Settings
from schema import build_schema
from schema.enforcement.coverage import coverage_problems
from tests.client import GatewayClient, error_codes, running


def test_policy_check_passes_for_the_real_schema() -> None:
    assert coverage_problems(build_schema()) == []


def test_policy_check_names_a_field_without_a_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    trimmed = {name: dict(rules) for name, rules in schema.enforcement.coverage.POLICY.items()}
    del trimmed["Account"]["phone"]
    monkeypatch.setattr(schema.enforcement.coverage, "POLICY", trimmed)
    assert coverage_problems(build_schema()) == ["Account.phone has no rule in authz/policy.py"]


def test_policy_check_names_a_rule_without_a_field(monkeypatch: pytest.MonkeyPatch) -> None:
    extended = {name: dict(rules) for name, rules in schema.enforcement.coverage.POLICY.items()}
    extended["Account"]["shoeSize"] = extended["Account"]["phone"]
    monkeypatch.setattr(schema.enforcement.coverage, "POLICY", extended)
    assert coverage_problems(build_schema()) == [
        "the rule for Account.shoeSize names a field the schema does not have"
    ]


@strawberry.type
class Unruled:
    secret: str


@strawberry.type
class UnruledQuery:
    unruled: Unruled


def test_policy_check_covers_every_object_type() -> None:
    problems = coverage_problems(strawberry.Schema(query=UnruledQuery))
    assert "Unruled.secret has no rule in authz/policy.py" in problems


#: What authentication reads of a user's own account on every request (never returned).
TOKEN_CHECK = {"status", "tokens_valid_after"}


class ProjectionRecorder(monitoring.CommandListener):
    """The projection of every query on accounts, except the token check of authentication."""

    def __init__(self) -> None:
        self.account_projections: list[set[str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command["find"] == "accounts":
            projection = set(event.command.get("projection", {}))
            if projection != TOKEN_CHECK:
                self.account_projections.append(projection)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("bob", {"_id", "display_name"}),
        ("alice", {"_id", "display_name", "email", "phone", "billing.iban"}),
        ("dora", {"_id", "display_name", "email"}),
        ("flowershop", {"_id", "display_name", "phone"}),
    ],
)
async def test_queries_read_only_what_is_selected_and_allowed(
    settings: Settings, demo_db: AsyncDatabase[Any], viewer: str, expected: set[str]
) -> None:
    recorder = ProjectionRecorder()
    async with running(settings, event_listeners=[recorder]) as client:
        await client.query(
            '{ account(id: "acct-alice") { displayName email phone billing { iban } } }',
            as_=viewer,
        )
    # A domain admin's account reads are split by membership; alice is a member of uni-graz.
    assert expected in recorder.account_projections
    assert all(p <= expected for p in recorder.account_projections)


async def test_no_data_leaves_without_its_disclosure_record(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    # Make the database refuse every disclosure record, as a full disk or an outage would.
    await demo_db.command(
        "collMod", "disclosures", validator={"$jsonSchema": {"required": ["never-present"]}}
    )
    response = await gateway.post('{ account(id: "acct-alice") { email } }', as_="dora")
    assert "alice@uni-graz.example" not in response.text
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    # Reads that disclose nothing are unaffected.
    public = await gateway.query('{ account(id: "acct-alice") { displayName } }', as_="dora")
    assert public == {"data": {"account": {"displayName": "Alice Amsel"}}}


EXPLAIN = """query($type: String!, $field: String!, $subject: ID!) {
  policy { explainAccess(type: $type, field: $field, subjectId: $subject) {
    allowed relation rule reason } } }"""


@pytest.mark.parametrize(
    ("viewer", "type_", "field", "subject", "allowed", "relation"),
    [
        ("alice", "Account", "billing", "acct-alice", True, "SELF"),
        ("alice", "Account", "passwordHash", "acct-alice", False, None),
        ("dora", "Account", "billing", "acct-dora", False, None),
        ("dora", "Account", "email", "acct-dora", True, "DOMAIN_ADMIN"),
        ("cora", "Account", "phone", "acct-bob", False, None),
        ("cora", "Account", "displayName", "acct-alice", True, "PUBLIC"),
    ],
)
async def test_explain_access(
    gateway: GatewayClient,
    viewer: str | None,
    type_: str,
    field: str,
    subject: str,
    allowed: bool,
    relation: str | None,
) -> None:
    body = await gateway.query(
        EXPLAIN, {"type": type_, "field": field, "subject": subject}, as_=viewer
    )
    answer = body["data"]["policy"]["explainAccess"]
    assert (answer["allowed"], answer["relation"]) == (allowed, relation)
    assert answer["rule"] and answer["reason"]


@pytest.mark.parametrize(
    ("viewer", "subject", "code"),
    [
        # Each answer would tell, unrecorded, a relation toward someone else: a domain's
        # member, a consent, a legal request, an open case, a visible item.
        ("dora", "acct-alice", "FORBIDDEN"),
        ("bob", "acct-alice", "FORBIDDEN"),
        ("flowershop", "acct-alice", "FORBIDDEN"),
        ("police-graz", "acct-bob", "FORBIDDEN"),
        ("helpdesk-co", "acct-alice", "FORBIDDEN"),
        ("bob", "post-alice-private", "FORBIDDEN"),
        (None, "acct-alice", "UNAUTHENTICATED"),
    ],
)
async def test_explain_access_is_for_oneself_and_staff(
    gateway: GatewayClient, viewer: str | None, subject: str, code: str
) -> None:
    body = await gateway.query(
        EXPLAIN, {"type": "Account", "field": "email", "subject": subject}, as_=viewer
    )
    assert not (body["data"] or {}).get("policy")
    assert error_codes(body) == [code]
    assert body["errors"][0]["extensions"]["coordinate"] == "PolicyQuery.explainAccess"


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, Ed25519PrivateKey]]:
    key = Ed25519PrivateKey.generate()
    jwks = {
        "keys": [
            {
                **json.loads(OKPAlgorithm.to_jwk(key.public_key())),
                "kid": "remote-1",
                "alg": "EdDSA",
                "use": "sig",
            }
        ]
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(jwks).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    server.shutdown()


async def test_keys_from_a_jwks_url(jwks_server: tuple[str, Ed25519PrivateKey]) -> None:
    url, key = jwks_server
    verifier = TokenVerifier(RemoteKeySet(url), "idp", "api")
    now = int(time.time())
    claims = {
        "kind": "user",
        "sub": "acct-alice",
        "iss": "idp",
        "aud": "api",
        "iat": now,
        "exp": now + 60,
        "jti": "r1",
    }
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "remote-1"})
    assert (await verifier.verify_current(token)).id == "acct-alice"


async def test_reject_mode_answers_all_or_nothing_and_discloses_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    query = '{ account(id: "acct-alice") { displayName email phone } }'
    reject = {"X-Authz-Mode": "reject"}
    response = await gateway.post(query, as_="dora", headers=reject)
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["denied"] == ["Account.phone"]
    assert "alice@" not in response.text
    assert await demo_db.disclosures.count_documents({}) == 0

    allowed = await gateway.post(
        '{ account(id: "acct-alice") { displayName email } }', as_="dora", headers=reject
    )
    assert allowed.json()["data"]["account"]["email"] == "alice@uni-graz.example"
    assert await demo_db.disclosures.count_documents({}) == 1
