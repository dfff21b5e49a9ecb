"""The one grant shape and the one decision (`authz.grants`, `authz.decisions`), without a database.

Reads, entry points and writes are rules of ordered grants; the first grant the caller holds
decides, and a caller who holds none is refused. The expected texts are the ones
`explainAccess`, refusals and `policy show` quote, written out by hand.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from authz.decisions import Caller, decide, decide_rule, first_held
from authz.grants import Binding, Grant, Rule, Wording, rule
from authz.policy import POLICY
from authz.principals import PartnerType, Principal, PrincipalKind
from authz.relations import Relation, Standing
from authz.roots import ROOTS, decide_root
from authz.writes import WRITES, decide_write
from tests.processes import run_cli

#: For each relation, a standing that holds it and what it rests on, for a rule of scope `email`.
HOLDING: dict[Relation, Standing] = {
    Relation.PUBLIC: Standing(frozenset({Relation.PUBLIC})),
    Relation.SELF: Standing(frozenset({Relation.SELF})),
    Relation.VIEWER: Standing(frozenset({Relation.VIEWER})),
    Relation.DOMAIN_ADMIN: Standing(frozenset({Relation.DOMAIN_ADMIN})),
    Relation.PROCESSOR: Standing(frozenset({Relation.PROCESSOR}), purpose="support"),
    Relation.PARTNER: Standing(frozenset({Relation.PARTNER}), consented=frozenset({"email"})),
    Relation.AUTHORITY: Standing(
        frozenset({Relation.AUTHORITY}), legal_fields=frozenset({"email"})
    ),
}

#: The relations that rest on a fact, held without the fact this rule needs.
UNFOUNDED: dict[Relation, Standing] = {
    Relation.PROCESSOR: Standing(frozenset({Relation.PROCESSOR}), purpose="billing"),
    Relation.PARTNER: Standing(frozenset({Relation.PARTNER}), consented=frozenset({"phone"})),
    Relation.AUTHORITY: Standing(
        frozenset({Relation.AUTHORITY}), legal_fields=frozenset({"phone"})
    ),
}


def _grant(relation: Relation) -> Grant:
    return Grant(relation, purpose="support" if relation is Relation.PROCESSOR else None)


def test_every_relation_has_a_standing_that_holds_it() -> None:
    assert set(HOLDING) == set(Relation)


@pytest.mark.parametrize("relation", list(Relation))
def test_a_relation_grant_is_held_by_its_relation_and_nothing_else(relation: Relation) -> None:
    only = Rule((_grant(relation),), scope="email")
    granted = decide_rule("T.f", only, Caller(HOLDING[relation]))
    assert (granted.allowed, granted.relation, granted.reason) == (
        True,
        relation,
        f"granted to {relation.value}",
    )
    everything_else = Standing(
        frozenset(Relation) - {relation},
        purpose="support",
        consented=frozenset({"email"}),
        legal_fields=frozenset({"email"}),
    )
    refused = decide_rule("T.f", only, Caller(everything_else))
    assert (refused.allowed, refused.relation) == (False, None)
    # A read never sees the caller's kind: no kind stands in for a relation.
    for kind in PrincipalKind:
        assert first_held(only, Caller(Standing(frozenset()), kind)) is None


@pytest.mark.parametrize("relation", list(UNFOUNDED))
def test_a_relation_held_without_its_fact_does_not_hold_the_grant(relation: Relation) -> None:
    only = Rule((_grant(relation),), scope="email")
    assert first_held(only, Caller(UNFOUNDED[relation])) is None


@pytest.mark.parametrize("kind", list(PrincipalKind))
def test_a_kind_grant_is_held_by_that_kind_only(kind: PrincipalKind) -> None:
    only = Rule((Grant(kind=kind),))
    holders = {k for k in PrincipalKind if first_held(only, Caller(Standing(frozenset()), k))}
    assert holders == {kind}
    everything = Standing(frozenset(Relation), purpose="support", consented=frozenset({"x"}))
    assert first_held(only, Caller(everything)) is None  # a read knows no kind


def test_the_first_grant_the_caller_holds_decides() -> None:
    both = Caller(Standing(frozenset({Relation.SELF, Relation.DOMAIN_ADMIN})))
    self_first = rule(Grant(Relation.SELF), Grant(Relation.DOMAIN_ADMIN))
    admin_first = rule(Grant(Relation.DOMAIN_ADMIN), Grant(Relation.SELF))
    assert decide_rule("T.f", self_first, both).relation is Relation.SELF
    assert decide_rule("T.f", admin_first, both).relation is Relation.DOMAIN_ADMIN
    # PUBLIC first: the owner reading a public field is not a disclosure to record.
    owner = Standing(frozenset({Relation.PUBLIC, Relation.SELF}))
    public = decide("Account", "displayName", owner)
    assert (public.relation, public.recorded) == (Relation.PUBLIC, False)


def test_deny_by_default() -> None:
    anyone = Caller(Standing(frozenset(Relation)), PrincipalKind.COMPLIANCE)
    for decision in (
        decide_rule("T.missing", None, anyone),
        decide("Account", "passwordHash", anyone.standing),
        decide_root("unknownRoot", Principal(PrincipalKind.COMPLIANCE, id="c"), None),
        decide_write("unknownMutation", PrincipalKind.USER, frozenset(Relation), {}),
    ):
        assert (decision.allowed, decision.rule, decision.reason) == (
            False,
            "none",
            "no rule: denied by default",
        )
    nobody = decide_rule("T.f", rule(), anyone)
    assert (nobody.allowed, nobody.rule) == (False, "nobody")


def test_a_grant_names_a_relation_or_a_kind() -> None:
    with pytest.raises(ValueError, match="name one"):
        Grant()
    with pytest.raises(ValueError, match="name one"):
        Grant(Relation.SELF, kind=PrincipalKind.USER)


def test_token_conditions_refuse_a_caller_of_the_right_kind() -> None:
    ads = Rule(
        (
            Grant(
                kind=PrincipalKind.PARTNER,
                token_scope="ads:read",
                partner_types=frozenset({PartnerType.ADVERTISER}),
            ),
        )
    )
    advertiser = Standing(frozenset(), partner_type=PartnerType.ADVERTISER)
    publisher = Standing(frozenset(), partner_type=PartnerType.PUBLISHER)
    scoped = frozenset({"ads:read"})
    assert first_held(ads, Caller(advertiser, PrincipalKind.PARTNER, scoped))
    assert not first_held(ads, Caller(advertiser, PrincipalKind.PARTNER))
    assert not first_held(ads, Caller(publisher, PrincipalKind.PARTNER, scoped))
    bound = Rule((Grant(kind=PrincipalKind.DOMAIN_ADMIN, binding=Binding.OWN_DOMAIN),))
    unbound = Caller(Standing(frozenset()), PrincipalKind.DOMAIN_ADMIN)
    assert not first_held(bound, unbound)
    assert first_held(bound, replace(unbound, bound=frozenset({Binding.OWN_DOMAIN})))


def test_never_to_refuses_a_partner_type_whatever_it_was_given() -> None:
    sensitive = decide(
        "Account",
        "sensitive",
        Standing(
            frozenset({Relation.PUBLIC, Relation.PARTNER}),
            partner_type=PartnerType.ADVERTISER,
            consented=frozenset({"sensitive"}),
            consented_explicitly=frozenset({"sensitive"}),
        ),
    )
    assert (sensitive.allowed, sensitive.rule) == (
        False,
        "SELF, PARTNER [explicit consent only, never to advertiser], AUTHORITY",
    )
    assert sensitive.reason == f"the caller holds none of: {sensitive.rule}"


def test_a_limited_right_refuses_the_grant_that_decides() -> None:
    owner = frozenset({Relation.SELF})
    limited = decide_write("updateProfile", PrincipalKind.USER, owner, {"edit": True})
    assert (limited.allowed, limited.relation, limited.rule, limited.reason) == (
        False,
        Relation.SELF,
        "SELF; refused under rightsLimits.edit",
        "a domain admin has limited the right `edit`",
    )
    other = decide_write("updateProfile", PrincipalKind.USER, owner, {"delete": True})
    assert (other.allowed, other.reason) == (True, "granted to SELF")


@pytest.mark.parametrize(
    ("field", "principal", "argument", "allowed", "rule_text", "reason"),
    [
        ("me", Principal(PrincipalKind.USER, id="u"), None, True, "user", "granted to user"),
        ("me", Principal(PrincipalKind.ANONYMOUS), None, False, "user", "only for: user"),
        (
            "adAudience",
            Principal(
                PrincipalKind.PARTNER,
                id="p",
                partner_type=PartnerType.PUBLISHER,
                scopes=frozenset({"ads:read"}),
            ),
            None,
            False,
            "partner (advertiser) with scope `ads:read`",
            "only for: partner (advertiser) with scope `ads:read`",
        ),
        (
            "domain",
            Principal(PrincipalKind.DOMAIN_ADMIN, id="d", domains=frozenset({"uni"})),
            "uni",
            True,
            "domain_admin; `id` must be one of the caller's domains",
            "granted to domain_admin",
        ),
        (
            "legalRequest",
            Principal(PrincipalKind.AUTHORITY, id="a", legal_request="lr-1"),
            "lr-2",
            False,
            "authority, compliance; `id` must be an authority's own legal request",
            "only for: authority, compliance; `id` must be an authority's own legal request",
        ),
        (
            "legalRequest",
            Principal(PrincipalKind.COMPLIANCE, id="c"),
            "lr-2",
            True,
            "authority, compliance; `id` must be an authority's own legal request",
            "granted to compliance",
        ),
    ],
)
def test_roots_are_decided_and_worded_like_every_rule(
    field: str,
    principal: Principal,
    argument: str | None,
    allowed: bool,
    rule_text: str,
    reason: str,
) -> None:
    decision = decide_root(field, principal, argument)
    assert (decision.coordinate, decision.allowed, decision.relation) == (
        f"Query.{field}",
        allowed,
        None,
    )
    assert (decision.rule, decision.reason) == (rule_text, reason)


@pytest.mark.parametrize(
    ("mutation", "kind", "held", "allowed", "relation", "rule_text", "reason"),
    [
        (
            "signUp",
            PrincipalKind.USER,
            {Relation.SELF},
            False,
            None,
            "any anonymous",
            "only for: any anonymous",
        ),
        (
            "signUp",
            PrincipalKind.ANONYMOUS,
            set(),
            True,
            None,
            "any anonymous",
            "granted to any anonymous",
        ),
        (
            "limitRights",
            PrincipalKind.USER,
            {Relation.PUBLIC},
            False,
            None,
            "DOMAIN_ADMIN",
            "needs one of: DOMAIN_ADMIN",
        ),
        # Nobody holds both today; were one to, the table's first grant would decide.
        (
            "closeSupportCase",
            PrincipalKind.USER,
            {Relation.SELF, Relation.PROCESSOR},
            True,
            Relation.PROCESSOR,
            "PROCESSOR, SELF",
            "granted to PROCESSOR",
        ),
    ],
)
def test_writes_are_decided_and_worded_like_every_rule(
    mutation: str,
    kind: PrincipalKind,
    held: set[Relation],
    allowed: bool,
    relation: Relation | None,
    rule_text: str,
    reason: str,
) -> None:
    decision = decide_write(mutation, kind, frozenset(held), {})
    assert (decision.allowed, decision.relation, decision.rule, decision.reason) == (
        allowed,
        relation,
        rule_text,
        reason,
    )


def test_reads_name_relations_only() -> None:
    """A read knows the standing, not the caller's kind: a kind grant there would hold never."""
    kind_grants = [
        f"{type_name}.{field}"
        for type_name, rules in POLICY.items()
        for field, rule_ in rules.items()
        for grant in rule_.grants
        if grant.relation is None
    ]
    assert kind_grants == []


def test_every_table_is_rules_of_grants() -> None:
    tables = [*POLICY.values(), ROOTS, WRITES]
    assert all(isinstance(r, Rule) for table in tables for r in table.values())
    assert {r.wording for r in ROOTS.values()} == {Wording()}
    assert {r.wording for r in WRITES.values()} == {Wording("any {}", "needs one of")}


def test_policy_show_prints_the_words_decisions_quote() -> None:
    shown = run_cli("policy", "show")
    assert shown.returncode == 0, shown.stderr
    assert "| `updateProfile` | SELF; refused under rightsLimits.edit |" in shown.stdout
    assert "| `adAudience` | partner (advertiser) with scope `ads:read` |" in shown.stdout
    assert (
        "| `sensitive` | — | yes | — | — | — | yes (explicit consent only, never to advertiser)"
        " | yes |"
    ) in shown.stdout
    header = (
        "| field | PUBLIC | SELF | VIEWER | DOMAIN_ADMIN | PROCESSOR(purpose) | PARTNER(consent)"
        " | AUTHORITY |"
    )
    assert shown.stdout.count(header) == len(POLICY)
