"""`Principal.from_claims`: a verified token's claims become exactly one principal, or none."""

from __future__ import annotations

from typing import Any

import pytest

from authz.principals import InvalidClaims, PartnerType, Principal, PrincipalKind

BASE = {"sub": "acct-alice", "jti": "t-1", "exp": 2_000, "iat": 1_000, "sid": "s-1"}


def test_a_user_carries_its_subject_and_token_facts_and_nothing_else() -> None:
    principal = Principal.from_claims({**BASE, "kind": "user"}, device_id="dev-1")
    assert principal == Principal(
        PrincipalKind.USER,
        id="acct-alice",
        device_id="dev-1",
        token_id="t-1",
        token_expires_at=2_000,
        token_issued_at=1_000,
        session_id="s-1",
    )
    assert principal.signed_in


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"kind": "domain_admin", "domains": ["uni-graz"]}, {"domains": frozenset({"uni-graz"})}),
        ({"kind": "processor", "purpose": "support"}, {"purpose": "support"}),
        (
            {"kind": "partner", "partner_type": "business", "scope": "read:email read:phone"},
            {
                "partner_type": PartnerType.BUSINESS,
                "scopes": frozenset({"read:email", "read:phone"}),
            },
        ),
        ({"kind": "authority", "request": "lr-1"}, {"legal_request": "lr-1"}),
        ({"kind": "compliance"}, {}),
    ],
)
def test_each_kind_reads_the_claims_it_needs(
    claims: dict[str, Any], expected: dict[str, Any]
) -> None:
    principal = Principal.from_claims({"sub": "x", **claims})
    assert principal.kind == PrincipalKind(claims["kind"])
    for name, value in expected.items():
        assert getattr(principal, name) == value


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "x"},
        {"sub": "x", "kind": "superuser"},
        {"sub": "x", "kind": "anonymous"},
        {"kind": "user"},
        {"sub": "", "kind": "user"},
        {"sub": "x", "kind": "domain_admin"},
        {"sub": "x", "kind": "domain_admin", "domains": "uni-graz"},
        {"sub": "x", "kind": "domain_admin", "domains": [1]},
        {"sub": "x", "kind": "processor"},
        {"sub": "x", "kind": "partner", "partner_type": "spy", "scope": ""},
        {"sub": "x", "kind": "partner", "partner_type": "business", "scope": ["read:email"]},
        {"sub": "x", "kind": "authority"},
    ],
)
def test_claims_that_describe_no_principal_are_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidClaims):
        Principal.from_claims(claims)


def test_an_anonymous_visitor_is_not_signed_in() -> None:
    assert not Principal.anonymous().signed_in
    assert Principal.anonymous("dev-1").device_id == "dev-1"
