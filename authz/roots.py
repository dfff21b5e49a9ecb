"""Who may call each root query field: the entry points, decided from data like every field.

Most roots are open (what they return is then decided field by field); the others belong to
one kind of caller, sometimes only with a token scope (`stats:read`), a partner type
(advertisers) or a binding between an argument and the token (a domain admin's `domains`, an
authority's legal request). Each is a rule of grants to kinds of caller (`authz.grants`),
decided like every rule by `authz.decisions`. Deny by default: a root without a rule is refused
to everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import assert_never

from authz.decisions import Caller, Decision, decide_rule
from authz.grants import Binding, Grant, Rule
from authz.principals import PartnerType, Principal, PrincipalKind
from authz.relations import Standing


def open_to(
    *kinds: PrincipalKind,
    token_scope: str | None = None,
    partner_types: frozenset[PartnerType] = frozenset(),
    binding: Binding | None = None,
) -> Rule:
    """One grant per kind, on the same conditions; kinds in alphabetical order, as printed
    (a caller is of one kind, so their order decides nothing)."""
    return Rule(
        tuple(
            Grant(kind=kind, token_scope=token_scope, partner_types=partner_types, binding=binding)
            for kind in sorted(kinds)
        )
    )


ANYONE = open_to(*PrincipalKind)

ROOTS: Mapping[str, Rule] = MappingProxyType(
    {
        "me": open_to(PrincipalKind.USER),
        "account": ANYONE,
        "content": ANYONE,
        "publicFeed": ANYONE,
        "recommendations": open_to(PrincipalKind.USER),
        "deviceSettings": open_to(PrincipalKind.ANONYMOUS),
        "domain": open_to(PrincipalKind.DOMAIN_ADMIN, binding=Binding.OWN_DOMAIN),
        "supportCases": open_to(PrincipalKind.PROCESSOR),
        "partnerContacts": open_to(PrincipalKind.PARTNER),
        "usageTrends": open_to(PrincipalKind.PARTNER, token_scope="stats:read"),
        "adAudience": open_to(
            PrincipalKind.PARTNER,
            token_scope="ads:read",
            partner_types=frozenset({PartnerType.ADVERTISER}),
        ),
        "legalRequest": open_to(
            PrincipalKind.COMPLIANCE,
            PrincipalKind.AUTHORITY,
            binding=Binding.OWN_LEGAL_REQUEST,
        ),
        "transparencyReport": ANYONE,
        "policyVersion": ANYONE,
        "policy": ANYONE,
    }
)


def decide_root(field: str, principal: Principal, argument_id: str | None) -> Decision:
    """May `principal` call root `field` (with `id: argument_id`, where it takes one)?"""
    bound = frozenset(b for b in Binding if _bound(b, principal, argument_id))
    return _decide(field, principal.kind, principal.scopes, principal.partner_type, bound)


@lru_cache(maxsize=4096)
def _decide(
    field: str,
    kind: PrincipalKind,
    scopes: frozenset[str],
    partner_type: PartnerType | None,
    bound: frozenset[Binding],
) -> Decision:
    """Cached per token facts: each request asks once per root field it calls."""
    standing = Standing(frozenset(), partner_type=partner_type)
    return decide_rule(f"Query.{field}", ROOTS.get(field), Caller(standing, kind, scopes, bound))


def _bound(binding: Binding, principal: Principal, argument_id: str | None) -> bool:
    """Whether the `id` argument relates to the caller's token as `binding` asks."""
    match binding:
        case Binding.OWN_DOMAIN:
            return argument_id in principal.domains
        case Binding.OWN_LEGAL_REQUEST:
            # Compliance staff read any request; an authority only the one its token names.
            return (
                principal.kind is not PrincipalKind.AUTHORITY
                or argument_id == principal.legal_request
            )
        case _:
            assert_never(binding)


EXPLAIN = "PolicyQuery.explainAccess"


def decide_explain(principal: Principal, subject: str) -> Decision:
    """May `principal` have `explainAccess` explained about `subject` (SPEC §8: "for SELF, and
    for staff debugging")? About its own account, or anyone's for compliance staff: about
    another account, the answer would tell, unrecorded, a relation the caller holds toward it
    (that it is in the admin's domain, that it consented to the partner)."""
    match principal.kind:
        case PrincipalKind.COMPLIANCE:
            allowed, rule = True, "compliance staff, about anyone"
        case PrincipalKind.USER | PrincipalKind.DOMAIN_ADMIN:
            allowed, rule = principal.id == subject, "an account holder, about its own account"
        case (
            PrincipalKind.ANONYMOUS
            | PrincipalKind.PROCESSOR
            | PrincipalKind.PARTNER
            | PrincipalKind.AUTHORITY
        ):
            allowed, rule = False, "account holders about themselves, and compliance staff"
        case _:
            assert_never(principal.kind)
    reason = f"granted to {principal.kind.value}" if allowed else f"only for: {rule}"
    return Decision(EXPLAIN, allowed, None, rule, reason)
