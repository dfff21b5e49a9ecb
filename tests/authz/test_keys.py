"""Which keys of a published set verify tokens (`authz.keys.verifying_keys`): no database."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, SECP384R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from authz.keys import verifying_keys, without_secrets


def _ec(curve: Any, kid: str, **more: Any) -> dict[str, Any]:
    public = generate_private_key(curve()).public_key()
    return {**json.loads(ECAlgorithm.to_jwk(public)), "kid": kid, "alg": "ES256", **more}


def _ed25519(kid: str, **more: Any) -> dict[str, Any]:
    public = Ed25519PrivateKey.generate().public_key()
    return {**json.loads(OKPAlgorithm.to_jwk(public)), "kid": kid, "alg": "EdDSA", **more}


def test_only_signing_keys_on_their_algorithms_curve_verify() -> None:
    keys = verifying_keys(
        {
            "keys": [
                _ec(SECP256R1, "p256"),
                _ed25519("ed"),
                _ed25519("ed-verify", key_ops=["verify"]),
                # A P-384 key labelled ES256: PyJWT fails on it while verifying (a 500 before).
                _ec(SECP384R1, "p384"),
                # Limited by its owner to encryption, with no `use`.
                _ed25519("ed-encrypt", key_ops=["encrypt"]),
                _ed25519("ed-enc", use="enc"),
            ]
        }
    )
    assert sorted(keys) == ["ed", "ed-verify", "p256"]


def test_a_url_in_a_log_line_or_an_error_carries_no_secret() -> None:
    assert (
        without_secrets("https://user:S3cret@idp.example:8443/certs?token=abc#x")
        == "https://idp.example:8443/certs"
    )
    assert without_secrets("ftp://u:S3cretPassw0rd@x") == "ftp://x"
