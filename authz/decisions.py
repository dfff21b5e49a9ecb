"""Decisions: may this standing read this field? Pure, synchronous, cached per standing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, assert_never

from authz.policy import POLICY, Grant, Rule, describe
from authz.principals import Principal
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


def decide(type_name: str, field_name: str, standing: Standing) -> Decision:
    coordinate = f"{type_name}.{field_name}"
    rule = POLICY.get(type_name, {}).get(field_name)
    if rule is None:
        return Decision(coordinate, False, None, "none", "no rule: denied by default")
    for grant in rule.grants:
        if _holds(grant, rule, standing):
            return Decision(
                coordinate,
                True,
                grant.relation,
                describe(rule),
                f"granted to {grant.relation.value}",
                dict(standing.consent_purposes).get(rule.scope or "")
                if grant.relation is Relation.PARTNER
                else None,
                grant.rows,
            )
    return Decision(
        coordinate, False, None, describe(rule), f"the caller holds none of: {describe(rule)}"
    )


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
    return MappingProxyType(
        {name: decide(type_name, name, standing) for name in POLICY.get(type_name, {})}
    )


def _holds(grant: Grant, rule: Rule, standing: Standing) -> bool:
    """Whether `standing` satisfies `grant`: it holds the relation, and the grant's conditions.

    Every relation is named, so a new one is refused by mypy until it is decided here.
    """
    if grant.relation not in standing.held:
        return False
    match grant.relation:
        case Relation.PUBLIC | Relation.SELF | Relation.VIEWER | Relation.DOMAIN_ADMIN:
            return True  # holding the relation is the whole condition
        case Relation.PROCESSOR:
            return grant.purpose == standing.purpose
        case Relation.PARTNER:
            if standing.partner_type in grant.never_to:
                return False
            consented = (
                standing.consented_explicitly if grant.explicit_consent else standing.consented
            )
            return rule.scope in consented
        case Relation.AUTHORITY:
            return rule.scope in standing.legal_fields
        case _:
            assert_never(grant.relation)
