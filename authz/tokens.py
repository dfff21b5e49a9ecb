"""Bearer tokens: issuing (development and sign-in) and verifying per RFC 8725."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from authz.keys import ALLOWED_ALGORITHMS, KeyNotFound, KeySet, SigningKey
from authz.principals import InvalidClaims, Principal

_REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti", "sub", "kind"]


class TokenRejected(Exception):
    """The bearer token is not acceptable; the message says why (for logs, not for callers).

    `reason` is a short, fixed category (for counters): `invalid`, `revoked`, `account`.
    """

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TokenIssuer:
    key: SigningKey
    issuer: str
    audience: str

    def issue(
        self, claims: Mapping[str, Any], ttl_seconds: int, issued_at: float | None = None
    ) -> str:
        """A signed token; `iat` keeps sub-second precision (RFC 7519 allows a non-integer
        NumericDate), so an account's cut-off can tell tokens of the same second apart.

        `issued_at` (default: now) is when the grant was decided, e.g. when a password was
        checked: a cut-off after that moment refuses the token, however late it is signed.
        """
        now = time.time() if issued_at is None else issued_at
        payload = {
            **claims,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": int(now),
            "exp": int(now) + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            payload,
            self.key.private_key,
            algorithm=self.key.algorithm,
            headers={"kid": self.key.kid, "typ": "JWT"},
        )


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    keys: KeySet
    issuer: str
    audience: str
    leeway_seconds: int = 30

    def verify(self, token: str, device_id: str | None = None) -> Principal:
        """The principal a token stands for, or `TokenRejected` for any flaw at all."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise TokenRejected(f"malformed token: {error}") from error
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise TokenRejected(f"algorithm {algorithm!r} is not allowed")
        try:
            key = self.keys.find(header.get("kid"), algorithm)
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": _REQUIRED_CLAIMS, "verify_nbf": True},
            )
            return Principal.from_claims(claims, device_id=device_id)
        except (jwt.InvalidTokenError, KeyNotFound, InvalidClaims) as error:
            raise TokenRejected(str(error)) from error
