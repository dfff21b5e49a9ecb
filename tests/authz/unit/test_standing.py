"""`Standings` decides relations from facts read in batches, through the `FactSource` Protocol.

`Facts` below implements that Protocol in memory: it is what `authz` asks, answered from a
dictionary, and it counts the questions, so each test shows which facts a kind needs and
that a subject's facts are read once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from authz.principals import PartnerType, Principal, PrincipalKind
from authz.relations import Relation
from authz.standing import ConsentFact, FactSource, LegalRequestFact, Standings, domain_filters

NOW = datetime(2026, 6, 1, tzinfo=UTC)
BASE = frozenset({Relation.PUBLIC, Relation.VIEWER})


@dataclass
class Facts:
    cases: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    consents: list[ConsentFact] = field(default_factory=list)
    requests: dict[str, LegalRequestFact] = field(default_factory=dict)
    asked: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    async def open_cases(self, subjects: Sequence[str], purpose: str, processor: str) -> set[str]:
        self.asked.append(("open_cases", tuple(subjects)))
        return self.cases.get((purpose, processor), set()) & set(subjects)

    async def active_consents(
        self, subjects: Sequence[str], recipient: str, now: datetime
    ) -> list[ConsentFact]:
        self.asked.append(("active_consents", tuple(subjects)))
        return [c for c in self.consents if c.subject in subjects]

    async def legal_request(self, request_id: str) -> LegalRequestFact | None:
        self.asked.append(("legal_request", (request_id,)))
        return self.requests.get(request_id)


def standings(principal: Principal, facts: Facts) -> Standings:
    source: FactSource = facts  # the Protocol, checked by mypy
    return Standings(principal, source, NOW)


async def test_a_user_is_self_toward_their_own_account_only_and_reads_no_facts() -> None:
    facts = Facts()
    alice = standings(Principal(PrincipalKind.USER, id="acct-alice"), facts)
    await alice.load(["acct-alice", "acct-bob"])
    assert alice.of("acct-alice").held == BASE | {Relation.SELF}
    assert alice.of("acct-bob").held == BASE
    assert alice.of("acct-alice", viewer=False).held == {Relation.PUBLIC, Relation.SELF}
    assert facts.asked == []


async def test_a_domain_admin_holds_the_relation_as_the_query_established() -> None:
    dora = standings(
        Principal(PrincipalKind.DOMAIN_ADMIN, id="d", domains=frozenset({"u"})), Facts()
    )
    assert Relation.DOMAIN_ADMIN in dora.of("acct-bob", in_domain=True).held
    assert Relation.DOMAIN_ADMIN not in dora.of("acct-bob").held


def test_a_domain_admin_reads_members_and_everyone_else_apart() -> None:
    dora = Principal(PrincipalKind.DOMAIN_ADMIN, id="d", domains=frozenset({"b", "a"}))
    assert domain_filters(dora) == [
        (True, {"domain": {"$in": ["a", "b"]}}),
        (False, {"domain": {"$nin": ["a", "b"]}}),
    ]
    assert domain_filters(Principal(PrincipalKind.USER, id="u")) == [(False, None)]


async def test_a_processor_is_processor_toward_subjects_with_an_open_case_it_handles() -> None:
    facts = Facts(cases={("support", "helpdesk"): {"acct-alice"}})
    helpdesk = Principal(PrincipalKind.PROCESSOR, id="helpdesk", purpose="support")
    known = standings(helpdesk, facts)
    await known.load(["acct-alice", "acct-bob"])
    await known.load(["acct-alice", "acct-bob"])  # already known: nothing read again
    assert known.of("acct-alice").held == BASE | {Relation.PROCESSOR}
    assert known.of("acct-alice").purpose == "support"
    assert known.of("acct-bob").held == BASE
    assert facts.asked == [("open_cases", ("acct-alice", "acct-bob"))]


async def test_cases_the_processor_already_read_count_without_asking_again() -> None:
    facts = Facts()
    helpdesk = standings(Principal(PrincipalKind.PROCESSOR, id="h", purpose="support"), facts)
    helpdesk.open_cases_read(["acct-alice"])
    await helpdesk.load(["acct-alice"])
    assert Relation.PROCESSOR in helpdesk.of("acct-alice").held
    assert facts.asked == []
    with pytest.raises(ValueError):
        standings(Principal(PrincipalKind.USER, id="u"), facts).open_cases_read(["acct-alice"])


async def test_a_partner_holds_partner_toward_consenting_subjects_for_the_fields_named() -> None:
    facts = Facts(
        consents=[
            ConsentFact("acct-alice", frozenset({"email"}), "newsletter", explicit=False),
            ConsentFact("acct-alice", frozenset({"sensitive"}), None, explicit=True),
        ]
    )
    shop = Principal(PrincipalKind.PARTNER, id="flowershop", partner_type=PartnerType.BUSINESS)
    partner = standings(shop, facts)
    await partner.load(["acct-alice", "acct-bob"])
    alice = partner.of("acct-alice")
    assert alice.held == BASE | {Relation.PARTNER}
    assert alice.consented == {"email", "sensitive"}
    assert alice.consented_explicitly == {"sensitive"}
    assert dict(alice.consent_purposes) == {"email": "newsletter", "sensitive": "consent"}
    assert alice.partner_type is PartnerType.BUSINESS
    assert partner.of("acct-bob").held == BASE
    assert facts.asked == [("active_consents", ("acct-alice", "acct-bob"))]


def _request(expires_at: datetime, approved: bool = True) -> LegalRequestFact:
    return LegalRequestFact(
        "lr-1", "police", approved, expires_at, frozenset({"acct-bob"}), frozenset({"email"})
    )


@pytest.mark.parametrize(
    ("request_", "holds"),
    [
        (_request(NOW + timedelta(days=1)), True),
        (_request(NOW), False),  # expired at this instant
        (_request(NOW + timedelta(days=1), approved=False), False),
        (None, False),
    ],
)
async def test_an_authority_holds_authority_while_its_request_is_in_force(
    request_: LegalRequestFact | None, holds: bool
) -> None:
    facts = Facts(requests={"lr-1": request_} if request_ else {})
    police = Principal(PrincipalKind.AUTHORITY, id="police", legal_request="lr-1")
    authority = standings(police, facts)
    await authority.load(["acct-bob", "acct-alice"])
    await authority.load(["acct-carol"])
    bob = authority.of("acct-bob")
    assert (Relation.AUTHORITY in bob.held) is holds
    assert (bob.legal_fields, bob.legal_request) == (
        (frozenset({"email"}), "lr-1") if holds else (frozenset(), None)
    )
    assert Relation.AUTHORITY not in authority.of("acct-alice").held
    assert await authority.listed("email") == (frozenset({"acct-bob"}) if holds else frozenset())
    assert await authority.listed("phone") == frozenset()
    assert facts.asked == [("legal_request", ("lr-1",))]


async def test_another_authoritys_request_gives_nothing() -> None:
    facts = Facts(requests={"lr-1": _request(NOW + timedelta(days=1))})
    other = standings(Principal(PrincipalKind.AUTHORITY, id="tax", legal_request="lr-1"), facts)
    await other.load(["acct-bob"])
    assert other.of("acct-bob").held == BASE


@pytest.mark.parametrize("kind", [PrincipalKind.ANONYMOUS, PrincipalKind.COMPLIANCE])
async def test_anonymous_and_compliance_callers_hold_only_the_public_relations(
    kind: PrincipalKind,
) -> None:
    facts = Facts()
    caller = standings(Principal(kind, id=None if kind is PrincipalKind.ANONYMOUS else "c"), facts)
    await caller.load(["acct-alice"])
    assert caller.of("acct-alice").held == BASE
    assert facts.asked == []
