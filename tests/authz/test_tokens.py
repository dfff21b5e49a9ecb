"""Bearer tokens: every way a token can be wrong is refused with 401 before anything runs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from pymongo.asynchronous.database import AsyncDatabase

from authz.keys import KeySet, development_keys
from authz.principals import PrincipalKind
from authz.tokens import TokenRejected, TokenVerifier
from gateway.settings import Settings
from resolvers.tokens import revoke
from tests.client import GatewayClient, running
from tests.jwt_parts import segment, token_claims
from tests.standing import asking, refused_within_the_bound


def _signed(settings: Settings, claims: dict[str, Any], **header: Any) -> str:
    key, _ = development_keys(settings.keys_dir)
    return jwt.encode(
        claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, **header}
    )


def _public_pem(settings: Settings) -> bytes:
    key, _ = development_keys(settings.keys_dir)
    return key.private_key.public_key().public_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _hs256_forgery(settings: Settings) -> str:
    """The classic confusion attack: HMAC "signed" with the verifier's public key as secret."""
    header = segment(
        {"alg": "HS256", "typ": "JWT", "kid": development_keys(settings.keys_dir)[0].kid}
    )
    signing_input = f"{header}.{segment(token_claims(settings))}"
    mac = hmac.new(_public_pem(settings), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


Forge = Callable[[Settings], str]

HOSTILE_TOKENS: dict[str, Forge] = {
    "garbage": lambda s: "not-a-jwt",
    "three dots of nothing": lambda s: "a.b.c",
    "alg none": lambda s: (
        segment({"alg": "none", "typ": "JWT"}) + "." + segment(token_claims(s)) + "."
    ),
    "HS256 keyed with the public key (algorithm confusion)": lambda s: _hs256_forgery(s),
    "signed by another key under our kid": lambda s: jwt.encode(
        token_claims(s),
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": development_keys(s.keys_dir)[0].kid},
    ),
    "tampered payload": lambda s: (
        lambda t: (
            t.split(".")[0] + "." + segment(token_claims(s, sub="acct-bob")) + "." + t.split(".")[2]
        )
    )(_signed(s, token_claims(s))),
    "unknown kid": lambda s: _signed(s, token_claims(s), kid="someone-elses-key"),
    "expired": lambda s: _signed(s, token_claims(s, exp=int(time.time()) - 120)),
    "not yet valid": lambda s: _signed(s, token_claims(s, nbf=int(time.time()) + 600)),
    "wrong issuer": lambda s: _signed(s, token_claims(s, iss="https://evil.example")),
    "wrong audience": lambda s: _signed(s, token_claims(s, aud="another-api")),
    "no jti": lambda s: _signed(s, token_claims(s, jti=None)),
    "no exp": lambda s: _signed(s, token_claims(s, exp=None)),
    "no kind": lambda s: _signed(s, token_claims(s, kind=None)),
    "unknown kind": lambda s: _signed(s, token_claims(s, kind="superuser")),
    "kind anonymous": lambda s: _signed(s, token_claims(s, kind="anonymous")),
    "domain admin without domains": lambda s: _signed(s, token_claims(s, kind="domain_admin")),
    "partner of unknown type": lambda s: _signed(
        s, token_claims(s, kind="partner", partner_type="spy")
    ),
    "authority without request": lambda s: _signed(s, token_claims(s, kind="authority")),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TOKENS))
async def test_hostile_token_is_refused_before_execution(
    gateway: GatewayClient, settings: Settings, demo_db: AsyncDatabase[Any], case: str
) -> None:
    token = HOSTILE_TOKENS[case](settings)
    disclosures_before = await demo_db.disclosures.count_documents({})
    response = await gateway.http.post(
        "/graphql",
        json={"query": "{ me { id email } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "acct-alice" not in response.text
    assert await demo_db.disclosures.count_documents({}) == disclosures_before
    # The server still answers a normal request afterwards.
    assert (await gateway.query("{ me { id } }", as_="alice"))["data"]["me"]["id"] == "acct-alice"


async def test_a_good_token_within_clock_leeway_is_accepted(
    gateway: GatewayClient, settings: Settings
) -> None:
    token = _signed(settings, token_claims(settings, exp=int(time.time()) - 5))
    response = await gateway.http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.json() == {"data": {"me": {"id": "acct-alice"}}}


async def test_revoked_jti_is_refused(
    gateway: GatewayClient, settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """A revocation written around the gateway (an operator's write) binds every request
    that starts more than `FRESHNESS` after it (README "A token's standing")."""
    claims = token_claims(settings)
    ask = asking(gateway, _signed(settings, claims), "{ me { id } }")
    assert await ask() == 200
    await revoke(demo_db, claims["jti"], datetime.now(UTC) + timedelta(minutes=10))
    await refused_within_the_bound(ask, time.monotonic())


def _jwk(public_key: Any, algorithm: Any, alg: str, kid: str) -> dict[str, Any]:
    return {**json.loads(algorithm.to_jwk(public_key)), "kid": kid, "alg": alg, "use": "sig"}


def test_key_rotation_with_a_jwks_of_eddsa_and_es256_keys() -> None:
    old, new = Ed25519PrivateKey.generate(), generate_private_key(SECP256R1())
    both = {
        "keys": [
            _jwk(old.public_key(), OKPAlgorithm, "EdDSA", "2026-old"),
            _jwk(new.public_key(), ECAlgorithm, "ES256", "2026-new"),
        ]
    }
    claims = token_claims(iss="idp", aud="api", exp=int(time.time()) + 60, nbf=None, jti="j1")
    old_token = jwt.encode(claims, old, algorithm="EdDSA", headers={"kid": "2026-old"})
    new_token = jwt.encode(claims, new, algorithm="ES256", headers={"kid": "2026-new"})
    during = TokenVerifier(KeySet(both), "idp", "api")
    assert during.verify(old_token).id == during.verify(new_token).id == "acct-alice"
    after = TokenVerifier(KeySet({"keys": both["keys"][1:]}), "idp", "api")
    assert after.verify(new_token).kind is PrincipalKind.USER
    with pytest.raises(TokenRejected):
        after.verify(old_token)
    # A key is bound to its algorithm: an ES256 key cannot verify a token claiming EdDSA.
    mislabelled = jwt.encode(claims, old, algorithm="EdDSA", headers={"kid": "2026-new"})
    with pytest.raises(TokenRejected):
        during.verify(mislabelled)


async def test_gateway_verifies_with_a_jwks_file(
    mongo_uri: str, demo_db: AsyncDatabase[Any], tmp_path: Path
) -> None:
    key = generate_private_key(SECP256R1())
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(
        json.dumps({"keys": [_jwk(key.public_key(), ECAlgorithm, "ES256", "idp-1")]})
    )
    settings = Settings(
        mongodb_uri=mongo_uri, database=demo_db.name, data_dir=tmp_path, jwks_file=jwks_file
    )
    token = jwt.encode(token_claims(settings), key, algorithm="ES256", headers={"kid": "idp-1"})
    dev_token = _signed(settings, token_claims(settings))
    async with running(settings) as gateway:
        for bearer, status in [(token, 200), (dev_token, 401)]:
            response = await gateway.http.post(
                "/graphql",
                json={"query": "{ me { id } }"},
                headers={"Authorization": f"Bearer {bearer}"},
            )
            assert response.status_code == status


def _verifier_and_token(expires: int) -> tuple[TokenVerifier, str]:
    """A verifier trusting one fresh key (no leeway), and alice's token signed with it."""
    key = Ed25519PrivateKey.generate()
    keys = KeySet({"keys": [_jwk(key.public_key(), OKPAlgorithm, "EdDSA", "k1")]})
    claims = token_claims(iss="idp", aud="api", exp=expires, nbf=None)
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "k1"})
    return TokenVerifier(keys, "idp", "api", leeway_seconds=0), token


def test_a_token_seen_before_is_still_refused_once_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Remembering a verified token skips its signature check, never its times."""
    expires = int(time.time()) + 60
    verifier, token = _verifier_and_token(expires)
    assert verifier.verify(token).id == "acct-alice"
    monkeypatch.setattr(time, "time", lambda: expires + 1.0)
    with pytest.raises(TokenRejected):
        verifier.verify(token)


def test_a_token_seen_before_is_refused_once_its_key_is_replaced() -> None:
    """A key rotated under the same `kid` (or removed) stops trusting what it verified."""
    verifier, token = _verifier_and_token(int(time.time()) + 60)
    assert verifier.verify(token).id == "acct-alice"
    successor = Ed25519PrivateKey.generate()
    verifier.keys.add({"keys": [_jwk(successor.public_key(), OKPAlgorithm, "EdDSA", "k1")]})
    with pytest.raises(TokenRejected):
        verifier.verify(token)


def test_a_token_seen_before_carries_each_request_s_own_device() -> None:
    verifier, token = _verifier_and_token(int(time.time()) + 60)
    assert verifier.verify(token, device_id="phone").device_id == "phone"
    assert verifier.verify(token).device_id is None
    assert verifier.verify(token, device_id="laptop").device_id == "laptop"
