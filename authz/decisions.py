"""Decisions: the first grant the caller holds decides, in every table. Pure and synchronous.

Reads are cached per standing: equal standings get equal decisions, so a list of a thousand
strangers' accounts shares one. Entry points (`authz.roots`) and writes (`authz.writes`)
are decided by the same function, with the facts their grants ask about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, assert_never

from authz.grants import Binding, Grant, Rule
from authz.policy import POLICY
from authz.principals import Principal, PrincipalKind
from authz.relations import UNRECORDED, Relation, Standing
from authz.rows import NOTHING, RowCondition, as_filter, principal_facts, render


@dataclass(frozen=True, slots=True)
class Decision:
    coordinate: str
    allowed: bool
    relation: Relation | None
    rule: str
    reason: str
    #: The purpose a PARTNER read serves: that of the consents naming the field.
    purpose: str | None = None
    #: Which rows the deciding grant reads (`authz.rows`); `None`: every row it reaches.
    rows: RowCondition | None = None

    @property
    def recorded(self) -> bool:
        """Whether returning this value to the caller is a disclosure to record (SPEC §8)."""
        return self.allowed and self.relation not in UNRECORDED


@dataclass(frozen=True, slots=True)
class Caller:
    """What grants' conditions read about the caller, for one decision.

    Reads know only the standing toward the subject (their cache key), so no kind
    grant is held in a read; entry points know the token but no subject.
    """

    standing: Standing
    kind: PrincipalKind | None = None
    scopes: frozenset[str] = frozenset()
    #: The bindings the call's `id` argument satisfies.
    bound: frozenset[Binding] = frozenset()
    #: The subject's rights a domain admin has limited.
    limited: frozenset[str] = frozenset()


def first_held(rule: Rule, caller: Caller) -> Grant | None:
    """The grant that decides: the first of `rule` the caller holds (deny by default)."""
    return next(
        (grant for grant in rule.grants if _meets(grant, caller) and _holds(grant, rule, caller)),
        None,
    )


def decide_rule(coordinate: str, rule: Rule | None, caller: Caller) -> Decision:
    """The decision `first_held` makes, in the words of the rule's table."""
    if rule is None:
        return Decision(coordinate, False, None, "none", "no rule: denied by default")
    wording, described = rule.wording, rule.text
    grant = first_held(rule, caller)
    if grant is None:
        refused = wording.none_held if rule.has_subject else wording.not_for
        return Decision(coordinate, False, None, described, f"{refused}: {described}")
    if grant.limited_by and grant.limited_by in caller.limited:
        reason = f"a domain admin has limited the right `{grant.limited_by}`"
        return Decision(coordinate, False, grant.relation, described, reason)
    purpose = None
    if grant.relation is Relation.PARTNER:
        purpose = dict(caller.standing.consent_purposes).get(rule.scope or "")
    reason = f"granted to {wording.name(grant)}"
    return Decision(coordinate, True, grant.relation, described, reason, purpose, grant.rows)


def decide(type_name: str, field_name: str, standing: Standing) -> Decision:
    rule = POLICY.get(type_name, {}).get(field_name)
    return decide_rule(f"{type_name}.{field_name}", rule, Caller(standing))


def rows_read(decision: Decision | None, principal: Principal) -> dict[str, Any] | None:
    """The rows a list field decided so reads for `principal`, as a filter: none when denied
    (or undecided), every one (`None`) when the deciding grant has no row condition."""
    if decision is None or not decision.allowed:
        return dict(NOTHING)
    if decision.rows is None:
        return None
    return as_filter(render(decision.rows, principal_facts(principal)))


@lru_cache(maxsize=8192)
def decisions_for(type_name: str, standing: Standing) -> Mapping[str, Decision]:
    """Every field of `type_name` decided at once: per field after this, one dict lookup."""
    caller = Caller(standing)
    return MappingProxyType(
        {
            name: decide_rule(f"{type_name}.{name}", rule, caller)
            for name, rule in POLICY.get(type_name, {}).items()
        }
    )


def _meets(grant: Grant, caller: Caller) -> bool:
    """Whether the caller's token meets the grant's conditions on it."""
    if grant.token_scope and grant.token_scope not in caller.scopes:
        return False
    partner_type = caller.standing.partner_type
    if grant.partner_types and partner_type not in grant.partner_types:
        return False
    if partner_type in grant.never_to:
        return False
    return not grant.binding or grant.binding in caller.bound


def _holds(grant: Grant, rule: Rule, caller: Caller) -> bool:
    """Whether `caller` is whom `grant` is for: of its kind, or holding its relation and what
    the relation rests on for this rule (the purpose, the consent, the legal request).

    Every relation is named, so a new one is refused by mypy until it is decided here.
    """
    standing = caller.standing
    if grant.relation is not None and grant.relation not in standing.held:
        return False
    match grant.relation:
        case None:
            return caller.kind is not None and grant.kind is caller.kind
        case Relation.PUBLIC | Relation.SELF | Relation.VIEWER | Relation.DOMAIN_ADMIN:
            return True  # holding the relation is the whole condition
        case Relation.PROCESSOR:
            return grant.purpose is None or grant.purpose == standing.purpose
        case Relation.PARTNER:
            consented = (
                standing.consented_explicitly if grant.explicit_consent else standing.consented
            )
            return rule.scope in consented
        case Relation.AUTHORITY:
            return rule.scope in standing.legal_fields
        case _:
            assert_never(grant.relation)
