"""Who may call each root query field: the entry points, decided from data like every field.

Most roots are open (what they return is then decided field by field); the others belong to
one kind of caller, sometimes only with a token scope (`stats:read`), a partner type
(advertisers) or a binding between an argument and the token (a domain admin's `domains`, an
authority's legal request). Deny by default: a root without a rule is refused to everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import assert_never

from authz.decisions import Decision
from authz.principals import PartnerType, Principal, PrincipalKind


class Binding(StrEnum):
    """How a root's `id` argument must relate to the caller's token."""

    OWN_DOMAIN = "one of the caller's domains"
    OWN_LEGAL_REQUEST = "an authority's own legal request"


@dataclass(frozen=True, slots=True)
class RootRule:
    callers: frozenset[PrincipalKind]
    scope: str | None = None
    partner_types: frozenset[PartnerType] = frozenset()
    binding: Binding | None = None

    def describe(self) -> str:
        text = ", ".join(sorted(kind.value for kind in self.callers))
        if self.partner_types:
            text += f" ({', '.join(sorted(self.partner_types))})"
        if self.scope:
            text += f" with scope `{self.scope}`"
        if self.binding:
            text += f"; `id` must be {self.binding.value}"
        return text


def open_to(
    *kinds: PrincipalKind,
    scope: str | None = None,
    partner_types: frozenset[PartnerType] = frozenset(),
    binding: Binding | None = None,
) -> RootRule:
    return RootRule(frozenset(kinds), scope, partner_types, binding)


ANYONE = open_to(*PrincipalKind)

ROOTS: Mapping[str, RootRule] = MappingProxyType(
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
        "usageTrends": open_to(PrincipalKind.PARTNER, scope="stats:read"),
        "adAudience": open_to(
            PrincipalKind.PARTNER,
            scope="ads:read",
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
    coordinate = f"Query.{field}"
    rule = ROOTS.get(field)
    if rule is None:
        return Decision(coordinate, False, None, "none", "no rule: denied by default")
    described = rule.describe()
    refused = Decision(coordinate, False, None, described, f"only for: {described}")
    if principal.kind not in rule.callers:
        return refused
    if rule.scope and rule.scope not in principal.scopes:
        return refused
    if rule.partner_types and principal.partner_type not in rule.partner_types:
        return refused
    if not _bound(rule.binding, principal, argument_id):
        return refused
    return Decision(coordinate, True, None, described, f"granted to {principal.kind.value}")


def _bound(binding: Binding | None, principal: Principal, argument_id: str | None) -> bool:
    """Whether the `id` argument relates to the caller's token as the root's binding asks."""
    match binding:
        case None:
            return True
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
