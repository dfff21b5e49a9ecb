"""Signing and verifying keys: a JWKS from a file or URL, or a development key pair on disk.

Only asymmetric keys exist here: the gateway verifies with public keys, so an external identity
provider can issue tokens, and several keys (by `kid`) make rotation possible.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

#: Asymmetric algorithms only (RFC 8725 §3.1): `none` and HMAC can never be chosen by a token.
ALLOWED_ALGORITHMS = ("EdDSA", "ES256")

_DEV_KEY_FILE = "dev-signing-key.pem"
_DEV_JWKS_FILE = "dev-jwks.json"

log = logging.getLogger("gateway.keys")


class KeyNotFound(LookupError):
    """No verifying key matches the token's `kid` and algorithm."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    algorithm: str
    private_key: Any


class KeySet:
    """Verifying keys by `kid`; each key is bound to the one algorithm its JWK names."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys: dict[str, jwt.PyJWK] = {}
        self.add(jwks)

    def add(self, jwks: dict[str, Any]) -> None:
        """Trust more keys (the gateway's own signing key, next to an identity provider's)."""
        self._keys.update(verifying_keys(jwks))

    @classmethod
    def from_file(cls, path: Path) -> KeySet:
        return cls(_jwks(json.loads(path.read_text())))

    def find(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        return _match(self._keys, kid, algorithm)

    async def refresh(self) -> bool:
        """Look for new keys; `True` when the keys may have changed (a fixed set never does)."""
        return False

    def __len__(self) -> int:
        return len(self._keys)


class RemoteKeySet(KeySet):
    """A JWKS an identity provider publishes at a URL, fetched asynchronously.

    The fetched keys are trusted for `lifespan` seconds after the fetch, so a key the provider
    removed stops verifying within that; then (or when a token names a `kid` the set lacks) the
    verifier calls `refresh`, which fetches at most once per `refetch_interval` seconds: a flood
    of made-up `kid`s costs the provider one request per interval, and fails fast in between.
    Requests share one fetch in flight; it never blocks the event loop, ends within `timeout`
    seconds and is not cancelled with the request that started it. An unreachable provider is
    not a reason to trust old keys for longer.
    """

    def __init__(
        self,
        url: str,
        *,
        lifespan: float = 300.0,
        refetch_interval: float = 30.0,
        timeout: float = 5.0,
    ) -> None:
        super().__init__({"keys": []})  # the gateway's own signing key, if any (`add`)
        self.url = url
        self.lifespan = lifespan
        self.refetch_interval = refetch_interval
        self.timeout = timeout
        self._fetched: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -math.inf
        self._attempted_at = -math.inf
        #: The one fetch in flight, which every caller of `refresh` meanwhile waits for.
        self._fetching: asyncio.Task[None] | None = None

    def find(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        if kid in self._keys:
            return super().find(kid, algorithm)
        if monotonic() - self._fetched_at >= self.lifespan:
            raise KeyNotFound("the identity provider's keys are out of date")
        return _match(self._fetched, kid, algorithm)

    async def refresh(self) -> bool:
        if self._fetching is None:
            if monotonic() - self._attempted_at < self.refetch_interval:
                return False
            self._attempted_at = monotonic()
            self._fetching = asyncio.create_task(self._fetch_and_keep())
        # Shielded: a caller that goes away (a client hanging up) does not cancel the fetch
        # every other caller waits for, nor spend the interval's one fetch for nothing.
        await asyncio.shield(self._fetching)
        return True

    async def _fetch_and_keep(self) -> None:
        try:
            jwks = await self._fetch()
        except (httpx.HTTPError, TimeoutError, ValueError) as error:
            log.warning("fetching the JWKS from %s failed: %r", without_secrets(self.url), error)
        else:
            self._fetched, self._fetched_at = verifying_keys(jwks), monotonic()
        finally:
            self._fetching = None

    async def _fetch(self) -> dict[str, Any]:
        async with (
            asyncio.timeout(self.timeout),
            httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client,
        ):
            response = await client.get(self.url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return _jwks(response.json())


def _jwks(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("it has no `keys` list")
    return document


def without_secrets(url: str) -> str:
    """A URL fit for a log line or an error: no user, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def verifying_keys(jwks: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    """The signing keys of a JWKS usable here, by `kid`.

    Others are skipped, not refused: a provider's set also holds encryption keys (`use: enc`)
    and keys of algorithms the gateway never accepts (Keycloak publishes RS256 and RSA-OAEP
    keys next to an EdDSA or ES256 one).
    """
    keys: dict[str, jwt.PyJWK] = {}
    for entry in jwks.get("keys", []):
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        if "verify" not in entry.get("key_ops", ["verify"]):
            continue  # a key its owner limited to other operations (e.g. `encrypt`)
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue
        curve = _CURVES.get(key.algorithm_name)
        if curve is not None and entry.get("crv") == curve and key.key_id:
            keys[key.key_id] = key
    return keys


#: The one curve each accepted algorithm signs with: a key labelled with an algorithm whose
#: curve it does not have (a P-384 key marked ES256) verifies nothing.
_CURVES = {"EdDSA": "Ed25519", "ES256": "P-256"}


def _match(keys: dict[str, jwt.PyJWK], kid: str | None, algorithm: str) -> jwt.PyJWK:
    key = keys.get(kid or "")
    if key is None or key.algorithm_name != algorithm:
        raise KeyNotFound(f"no key {kid!r} for algorithm {algorithm}")
    return key


def development_keys(keys_dir: Path) -> tuple[SigningKey, dict[str, Any]]:
    """The development Ed25519 key pair under `keys_dir`, created (mode 0600) on first use."""
    key_path = keys_dir / _DEV_KEY_FILE
    if not key_path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(pem)
    signing_key, jwks = load_signing_key(key_path, kid_prefix="dev-")
    (keys_dir / _DEV_JWKS_FILE).write_text(json.dumps(jwks, indent=2))
    return signing_key, jwks


def load_signing_key(path: Path, kid_prefix: str = "") -> tuple[SigningKey, dict[str, Any]]:
    """An Ed25519 or P-256 private key (PEM) and the JWKS that verifies what it signs."""
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if isinstance(private_key, Ed25519PrivateKey):
        algorithm, public_jwk = "EdDSA", json.loads(OKPAlgorithm.to_jwk(private_key.public_key()))
    elif isinstance(private_key, EllipticCurvePrivateKey) and private_key.curve.name == "secp256r1":
        algorithm, public_jwk = "ES256", json.loads(ECAlgorithm.to_jwk(private_key.public_key()))
    else:
        raise ValueError(f"{path} holds neither an Ed25519 nor a P-256 private key")
    kid = kid_prefix + _thumbprint(public_jwk)
    jwks = {"keys": [{**public_jwk, "kid": kid, "alg": algorithm, "use": "sig"}]}
    return SigningKey(kid=kid, algorithm=algorithm, private_key=private_key), jwks


def key_material(key: SigningKey) -> bytes:
    """The private key's bytes, for deriving other secrets from it (each with its own label)."""
    material: bytes = key.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return material


def _thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of a public key: stable across restarts, so issued tokens stay valid."""
    members = ("crv", "kty", "x", "y") if public_jwk["kty"] == "EC" else ("crv", "kty", "x")
    canonical = json.dumps(
        {name: public_jwk[name] for name in members}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:16]
