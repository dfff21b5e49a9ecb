"""`IMOOX_PERSISTED_QUERIES_ONLY=first-party`: IMOOX's own apps run registered documents only,
partners, processors and authorities their own documents within their grants (issue 14).

Each way a first-party caller might slip an unregistered document past the rule is tried
through HTTP: batching, GET, a registered hash with another text, no token, tokens that claim
another kind.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from schema.protections.persisted import PersistedOnly, sha256
from tests.client import GatewayClient, error_codes, running
from tests.jwt_parts import token_claims

FEED = "query Feed { publicFeed(first: 1) { edges { node { id } } } }"
ME = "query Me { me { id } }"
ARBITRARY = "{ publicFeed(first: 2) { edges { node { id title } } } }"
FIRST_PARTY = [None, "alice", "dora", "cora"]  # anonymous, user, domain admin, compliance
THIRD_PARTY = ["flowershop", "helpdesk-co", "police-graz"]  # partner, processor, authority


def _by_hash(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}


def _bearer(client: GatewayClient, handle: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token(handle)}"} if handle else {}


@asynccontextmanager
async def _gateway(
    settings: Settings, tmp_path: Path, only: PersistedOnly
) -> AsyncIterator[GatewayClient]:
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({sha256(FEED): FEED, sha256(ME): ME}))
    update = {"persisted_queries_file": registry, "persisted_queries_only": only}
    async with running(settings.model_copy(update=update)) as client:
        yield client


@pytest.fixture
async def first_party_only(
    settings: Settings, demo_db: AsyncDatabase[Any], tmp_path: Path
) -> AsyncIterator[GatewayClient]:
    async with _gateway(settings, tmp_path, PersistedOnly.FIRST_PARTY) as client:
        yield client


@pytest.mark.parametrize("handle", FIRST_PARTY)
async def test_first_party_callers_run_registered_documents_only(
    first_party_only: GatewayClient, handle: str | None
) -> None:
    headers = _bearer(first_party_only, handle)
    http = first_party_only.http
    refused = (await http.post("/graphql", json={"query": ARBITRARY}, headers=headers)).json()
    assert error_codes(refused) == ["PERSISTED_QUERY_REQUIRED"]
    assert refused.get("data") is None
    by_hash = await http.post("/graphql", json={"extensions": _by_hash(FEED)}, headers=headers)
    assert len(by_hash.json()["data"]["publicFeed"]["edges"]) == 1
    by_text = await http.post("/graphql", json={"query": FEED}, headers=headers)
    assert len(by_text.json()["data"]["publicFeed"]["edges"]) == 1


@pytest.mark.parametrize("handle", THIRD_PARTY)
async def test_partners_processors_and_authorities_send_their_own_documents(
    first_party_only: GatewayClient, handle: str
) -> None:
    answer = await first_party_only.query(ARBITRARY, as_=handle)
    assert "errors" not in answer
    assert len(answer["data"]["publicFeed"]["edges"]) == 2


async def test_a_partners_own_document_stays_within_its_grants(
    first_party_only: GatewayClient,
) -> None:
    # flowershop reads alice's phone under her consent, never her e-mail address.
    answer = await first_party_only.query(
        '{ account(id: "acct-alice") { email phone } }', as_="flowershop"
    )
    assert error_codes(answer) == ["FORBIDDEN"]
    assert answer["data"]["account"] == {"email": None, "phone": "+43 316 380 0001"}


async def test_a_batch_is_decided_operation_by_operation(first_party_only: GatewayClient) -> None:
    batch = [{"extensions": _by_hash(ME)}, {"query": "{ me { id email } }"}, {"query": FEED}]
    answers = (
        await first_party_only.http.post(
            "/graphql", json=batch, headers=_bearer(first_party_only, "alice")
        )
    ).json()
    assert answers[0] == {"data": {"me": {"id": "acct-alice"}}}
    assert error_codes(answers[1]) == ["PERSISTED_QUERY_REQUIRED"]
    assert answers[1].get("data") is None
    assert len(answers[2]["data"]["publicFeed"]["edges"]) == 1


async def test_get_is_held_to_the_same_rule(first_party_only: GatewayClient) -> None:
    http = first_party_only.http
    alice = {**_bearer(first_party_only, "alice"), "Accept": "application/json"}
    refused = await http.get("/graphql", params={"query": ARBITRARY}, headers=alice)
    assert error_codes(refused.json()) == ["PERSISTED_QUERY_REQUIRED"]
    assert refused.json().get("data") is None
    allowed = await http.get("/graphql", params={"query": ME}, headers=alice)
    assert allowed.json() == {"data": {"me": {"id": "acct-alice"}}}
    extensions = json.dumps(_by_hash(ME))
    by_hash = await http.get("/graphql", params={"extensions": extensions}, headers=alice)
    assert by_hash.json() == {"data": {"me": {"id": "acct-alice"}}}


@pytest.mark.parametrize("handle", [None, "alice"])
async def test_a_registered_hash_does_not_carry_another_document(
    first_party_only: GatewayClient, handle: str | None
) -> None:
    answer = await first_party_only.http.post(
        "/graphql",
        json={"query": "{ me { id email phone } }", "extensions": _by_hash(ME)},
        headers=_bearer(first_party_only, handle),
    )
    assert error_codes(answer.json()) == ["BAD_USER_INPUT"]
    assert answer.json().get("data") is None


async def test_a_token_claiming_another_kind_does_not_lift_the_rule(
    first_party_only: GatewayClient, settings: Settings
) -> None:
    http, issuer = first_party_only.http, first_party_only.issuer
    # A user token with a partner's claims added is still a user's.
    dressed_up = issuer.issue(
        {"kind": "user", "sub": "acct-alice", "partner_type": "business", "scope": "x"}, 600
    )
    # A partner kind without a partner's claims, and a partner token signed by another key.
    bare = issuer.issue({"kind": "partner", "sub": "acct-alice"}, 600)
    partner = {"kind": "partner", "sub": "flowershop", "partner_type": "business", "scope": "x"}
    forged = jwt.encode(
        token_claims(settings, **partner),
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": issuer.key.kid},
    )
    answer = await http.post(
        "/graphql", json={"query": ARBITRARY}, headers={"Authorization": f"Bearer {dressed_up}"}
    )
    assert error_codes(answer.json()) == ["PERSISTED_QUERY_REQUIRED"]
    for token in (bare, forged):
        refused = await http.post(
            "/graphql", json={"query": ARBITRARY}, headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 401
        assert error_codes(refused.json()) == ["UNAUTHENTICATED"]
        assert refused.json().get("data") is None


async def test_all_holds_partners_to_registered_documents_too(
    settings: Settings, demo_db: AsyncDatabase[Any], tmp_path: Path
) -> None:
    async with _gateway(settings, tmp_path, PersistedOnly.ALL) as client:
        refused = await client.post(ARBITRARY, as_="flowershop")
        assert error_codes(refused.json()) == ["PERSISTED_QUERY_REQUIRED"]
        assert (await client.query(FEED, as_="flowershop"))["data"]["publicFeed"]["edges"]


async def test_off_runs_every_callers_documents(
    settings: Settings, demo_db: AsyncDatabase[Any], tmp_path: Path
) -> None:
    async with _gateway(settings, tmp_path, PersistedOnly.OFF) as client:
        for handle in FIRST_PARTY:
            answer = await client.post(ARBITRARY, as_=handle)
            assert len(answer.json()["data"]["publicFeed"]["edges"]) == 2


@pytest.mark.parametrize(
    ("value", "only"),
    [
        ("first-party", PersistedOnly.FIRST_PARTY),
        ("all", PersistedOnly.ALL),
        ("off", PersistedOnly.OFF),
        # The setting was a boolean before: its values keep their meaning.
        ("true", PersistedOnly.ALL),
        ("false", PersistedOnly.OFF),
    ],
)
def test_the_setting_reads_its_values_and_the_former_booleans(
    monkeypatch: pytest.MonkeyPatch, value: str, only: PersistedOnly
) -> None:
    monkeypatch.setenv("IMOOX_PERSISTED_QUERIES_ONLY", value)
    assert Settings().persisted_queries_only is only


def test_an_unknown_setting_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMOOX_PERSISTED_QUERIES_ONLY", "partners")
    with pytest.raises(ValueError, match="first-party"):
        Settings()
