"""Bearer tokens: issuing (development and sign-in) and verifying per RFC 8725."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import jwt

from authz.keys import ALLOWED_ALGORITHMS, KeyNotFound, KeySet, SigningKey
from authz.principals import InvalidClaims, Principal

_REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti", "sub", "kind"]

#: Verified tokens remembered, so that a client's next requests skip the signature check.
VERIFIED_TOKENS_KEPT = 4_096


class TokenRejected(Exception):
    """The bearer token is not acceptable; the message says why (for logs, not for callers).

    `reason` is a short, fixed category (for counters): `invalid`, `revoked`, `account`.
    """

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


class UnknownKey(TokenRejected):
    """No trusted key has the token's `kid` (yet): a fresh copy of the key set might."""


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
class _Verified:
    """A token whose signature and fixed claims were checked: what each later use rechecks."""

    principal: Principal
    key: Any  # the verifying key's public key object: the token is trusted while it is
    kid: str | None
    algorithm: str
    not_before: int
    expires: int
    issued_at: int


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    keys: KeySet
    issuer: str
    audience: str
    leeway_seconds: int = 30
    _verified: OrderedDict[str, _Verified] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False
    )

    async def verify_current(self, token: str, device_id: str | None = None) -> Principal:
        """`verify`, looking for new keys once (`KeySet.refresh`) when the token's is unknown,
        e.g. the identity provider signs with a key it published after the gateway's last look.
        """
        try:
            return self.verify(token, device_id)
        except UnknownKey:
            if not await self.keys.refresh():
                raise
        return self.verify(token, device_id)

    def verify(self, token: str, device_id: str | None = None) -> Principal:
        """The principal a token stands for, or `TokenRejected` for any flaw at all.

        A token seen before skips the signature check (a tenth of a cheap request's CPU) while
        the key that verified it is still trusted; its times are checked on every use.
        """
        verified = self._verified.get(token)
        if verified is None or not self._still_trusted(verified):
            verified = self._verify_signed(token)
            self._remember(token, verified)
        else:
            self._verified.move_to_end(token)
        now, leeway = time.time(), self.leeway_seconds
        if verified.expires <= now - leeway:
            raise TokenRejected("Signature has expired")
        if verified.not_before > now + leeway or verified.issued_at > now + leeway:
            raise TokenRejected("The token is not yet valid")
        principal = verified.principal
        return principal if device_id is None else replace(principal, device_id=device_id)

    def _still_trusted(self, verified: _Verified) -> bool:
        """Whether the key that verified the token is still in the key set (keys rotate)."""
        try:
            key = self.keys.find(verified.kid, verified.algorithm)
        except KeyNotFound:
            return False
        return bool(key.key == verified.key)

    def _remember(self, token: str, verified: _Verified) -> None:
        self._verified[token] = verified
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)

    def _verify_signed(self, token: str) -> _Verified:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise TokenRejected(f"malformed token: {error}") from error
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise TokenRejected(f"algorithm {algorithm!r} is not allowed")
        kid = header.get("kid")
        try:
            key = self.keys.find(kid, algorithm)
        except KeyNotFound as error:
            raise UnknownKey(str(error)) from error
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": _REQUIRED_CLAIMS, "verify_nbf": True},
            )
            return _Verified(
                principal=Principal.from_claims(claims),
                key=key.key,
                kid=kid,
                algorithm=algorithm,
                # As PyJWT compares them: whole seconds.
                not_before=int(claims.get("nbf", 0)),
                expires=int(claims["exp"]),
                issued_at=int(claims["iat"]),
            )
        except (jwt.PyJWTError, InvalidClaims) as error:  # a key error too: never a 500
            raise TokenRejected(str(error)) from error
