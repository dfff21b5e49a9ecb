"""The one shape of every permission: a rule is an ordered tuple of grants (design review §3).

The three tables speak it: reads (`authz.policy`: a relation per field), entry points
(`authz.roots`: a kind of caller per root field) and writes (`authz.writes`: a relation toward
the account a mutation changes, or a kind of caller for writes that have none).
`authz.decisions.first_held` decides every table alike: the first grant the caller holds.

A grant names who it is for — a relation the caller holds toward the subject, or the caller's
kind — and the conditions that must hold with it. Its words (`_describe`) are the rule texts
`policy show`, `explainAccess` and refusals quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from authz.principals import PartnerType, PrincipalKind
from authz.relations import Relation
from authz.rows import RowCondition


class Binding(StrEnum):
    """How a root's `id` argument must relate to the caller's token."""

    OWN_DOMAIN = "one of the caller's domains"
    OWN_LEGAL_REQUEST = "an authority's own legal request"


@dataclass(frozen=True, slots=True)
class Grant:
    """Who is allowed — a `relation` toward the subject, or the caller's `kind` — and when.

    Exactly one of `relation` and `kind` is set. `purpose` (PROCESSOR) is the purpose the
    processor's token must name, any when unset; `explicit_consent` and `never_to` (PARTNER)
    narrow which consents count and which partner types never qualify; `token_scope` and
    `partner_types` ask the token for a scope and a partner type; `binding` ties a root's `id`
    argument to the token; `limited_by` names the right whose limit (`rightsLimits`) refuses a
    caller who holds the grant.
    """

    relation: Relation | None = None
    purpose: str | None = None
    explicit_consent: bool = False
    never_to: frozenset[PartnerType] = frozenset()
    note: str = ""
    kind: PrincipalKind | None = None
    token_scope: str | None = None
    partner_types: frozenset[PartnerType] = frozenset()
    binding: Binding | None = None
    limited_by: str | None = None
    #: Which rows (documents) the grant reads; `None`: every row of the subject's it reaches.
    rows: RowCondition | None = None

    def __post_init__(self) -> None:
        if (self.relation is None) == (self.kind is None):
            raise ValueError("a grant is for a relation or for a kind of caller: name one")

    def qualifiers(self) -> list[str]:
        """The grant's conditions on consent, in words, then its note."""
        words = ["explicit consent only"] if self.explicit_consent else []
        if self.never_to:
            words.append(f"never to {', '.join(sorted(self.never_to))}")
        return [*words, self.note] if self.note else words


@dataclass(frozen=True, slots=True)
class Wording:
    """How one table's decisions read: the texts `explainAccess` and refusals quote."""

    #: A kind grant's name: "user" (entry points), or "any user" (writes).
    of_kind: str = "{}"
    #: A refusal under a rule with relation grants: "the caller holds none of: SELF, ...".
    none_held: str = "the caller holds none of"
    #: A refusal under a rule of caller kinds only: "only for: user".
    not_for: str = "only for"

    def name(self, grant: Grant) -> str:
        """Whom `grant` is for, as a decision's reason names it: `SELF`, `any user`."""
        if grant.relation is not None:
            return grant.relation.value
        assert grant.kind is not None  # `Grant` names one of the two
        return self.of_kind.format(grant.kind.value)


#: Reads and entry points: relations by name, kinds of caller by name.
PLAIN = Wording()


@dataclass(frozen=True, slots=True)
class Rule:
    """The grants for one coordinate, in order of preference: the first the caller holds decides.

    `scope` (reads) is the account field consents and legal requests name for it; `wording`
    is how its table words decisions, and `text` the rule in those words (`_describe`), which
    every decision under it quotes.
    """

    grants: tuple[Grant, ...]
    scope: str | None = None
    wording: Wording = PLAIN
    text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _describe(self))  # once per rule, not per decision

    @property
    def has_subject(self) -> bool:
        """Whether a decision needs the caller's standing toward a subject (a relation grant)."""
        return any(grant.relation is not None for grant in self.grants)

    @property
    def limited_by(self) -> str | None:
        """The right whose limit refuses this rule's grants, if one does."""
        return next((grant.limited_by for grant in self.grants if grant.limited_by), None)


def rule(*grants: Grant, scope: str | None = None) -> Rule:
    return Rule(grants=grants, scope=scope)


def _describe(rule_: Rule) -> str:
    """A rule in words, as the SPEC writes it: `SELF, DOMAIN_ADMIN, PROCESSOR(support)`.

    Neighbouring grants on the same token and subject conditions share their words once:
    `authority, compliance; `id` must be an authority's own legal request`.
    """
    groups: list[tuple[str, list[str]]] = []
    for grant in rule_.grants:
        text = rule_.wording.name(grant)
        if grant.purpose:
            text += f"({grant.purpose})"
        if qualifiers := grant.qualifiers():
            text += f" [{', '.join(qualifiers)}]"
        shared = _conditions(grant)
        if groups and groups[-1][0] == shared:
            groups[-1][1].append(text)
        else:
            groups.append((shared, [text]))
    return ", ".join(", ".join(names) + shared for shared, names in groups) or "nobody"


def _conditions(grant: Grant) -> str:
    text = f" ({', '.join(sorted(grant.partner_types))})" if grant.partner_types else ""
    if grant.token_scope:
        text += f" with scope `{grant.token_scope}`"
    if grant.binding:
        text += f"; `id` must be {grant.binding.value}"
    if grant.limited_by:
        text += f"; refused under rightsLimits.{grant.limited_by}"
    return text
