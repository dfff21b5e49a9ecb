"""Principals: the one identity each request is authenticated into (SPEC §2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, assert_never


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"
    USER = "user"
    DOMAIN_ADMIN = "domain_admin"
    PROCESSOR = "processor"
    PARTNER = "partner"
    AUTHORITY = "authority"
    COMPLIANCE = "compliance"


class PartnerType(StrEnum):
    ADVERTISER = "advertiser"
    PUBLISHER = "publisher"
    DEVELOPER = "developer"
    COPYRIGHT_OWNER = "copyright_owner"
    BUSINESS = "business"


class InvalidClaims(ValueError):
    """The token verified, but its claims do not describe a principal."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. `id` is the token's `sub`; `None` only for anonymous visitors."""

    kind: PrincipalKind
    id: str | None = None
    device_id: str | None = None
    domains: frozenset[str] = frozenset()
    purpose: str | None = None
    partner_type: PartnerType | None = None
    scopes: frozenset[str] = frozenset()
    legal_request: str | None = None
    token_id: str | None = None
    token_expires_at: int | None = None
    token_issued_at: float | None = None
    session_id: str | None = None

    @classmethod
    def anonymous(cls, device_id: str | None = None) -> Principal:
        if device_id is None:
            return _NOBODY  # immutable, so one serves every anonymous request without a device
        return cls(PrincipalKind.ANONYMOUS, device_id=device_id)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], device_id: str | None = None) -> Principal:
        """Build a principal from verified claims; the `kind` claim says which of SPEC §2 it is.

        The SPEC lists the claims of each kind but not how to tell `user` from `compliance`
        (both carry only `sub`), so every token names its kind explicitly.
        """
        try:
            kind = PrincipalKind(str(claims.get("kind")))
        except ValueError:
            raise InvalidClaims("the token has no valid `kind` claim") from None
        match kind:
            case PrincipalKind.ANONYMOUS:
                raise InvalidClaims("anonymous callers carry no token")
            case PrincipalKind.DOMAIN_ADMIN:
                domains = claims.get("domains")
                if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
                    raise InvalidClaims("`domains` must be a list of domain ids")
                extra: dict[str, Any] = {"domains": frozenset(domains)}
            case PrincipalKind.PROCESSOR:
                extra = {"purpose": _text(claims, "purpose")}
            case PrincipalKind.PARTNER:
                try:
                    partner_type = PartnerType(_text(claims, "partner_type"))
                except ValueError:
                    raise InvalidClaims("`partner_type` is unknown") from None
                scope = claims.get("scope", "")
                if not isinstance(scope, str):
                    raise InvalidClaims("`scope` must be a space-separated string")
                extra = {"partner_type": partner_type, "scopes": frozenset(scope.split())}
            case PrincipalKind.AUTHORITY:
                extra = {"legal_request": _text(claims, "request")}
            case PrincipalKind.USER | PrincipalKind.COMPLIANCE:
                extra = {}  # `sub` is all they carry
            case _:
                assert_never(kind)
        return cls(
            kind,
            id=_text(claims, "sub"),
            device_id=device_id,
            token_id=claims.get("jti"),
            token_expires_at=claims.get("exp"),
            token_issued_at=claims.get("iat"),
            session_id=claims.get("sid"),
            **extra,
        )

    @property
    def signed_in(self) -> bool:
        return self.kind is not PrincipalKind.ANONYMOUS


_NOBODY = Principal(PrincipalKind.ANONYMOUS)


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidClaims(f"the `{name}` claim is missing or not a string")
    return value
