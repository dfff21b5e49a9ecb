"""Row conditions in the policy table (`authz.rows`): rendered against the caller's facts, failing
closed, printed by `policy show` and checked by `policy check`. No database."""

from __future__ import annotations

from dataclasses import replace

import pytest

import schema.enforcement.coverage
from authz.decisions import decide, rows_read
from authz.grants import Rule
from authz.matrix import render_rows
from authz.policy import OPEN_CASES, POLICY
from authz.principals import Principal, PrincipalKind
from authz.relations import Relation, Standing
from authz.rows import (
    KNOWN_FACTS,
    NOTHING,
    PRINCIPAL,
    Rows,
    Shown,
    any_of,
    as_filter,
    describe_rows,
    principal_facts,
    render,
)
from authz.visibility import audience
from schema import build_schema
from schema.enforcement.coverage import coverage_problems

HELPDESK = Principal(PrincipalKind.PROCESSOR, id="helpdesk-co", purpose="support")
ALICE = Principal(PrincipalKind.USER, id="acct-alice")
NOT_EMAIL_NOR_COMMENT = {"kind": {"$nin": ["EMAIL", "COMMENT"]}}
PUBLIC_ITEMS = Shown({"visibility": "PUBLIC"}, NOT_EMAIL_NOR_COMMENT)


def test_a_template_renders_with_the_principals_facts() -> None:
    assert render(OPEN_CASES, principal_facts(HELPDESK)) == (
        Shown({"status": "OPEN", "purpose": "support", "processor": "helpdesk-co"}),
    )


def test_facts_render_inside_operators() -> None:
    listed = Rows({"owner": {"$in": PRINCIPAL.listed}})
    facts = principal_facts(
        Principal(PrincipalKind.AUTHORITY, id="bka"), ["acct-bob", "acct-alice"]
    )
    assert render(listed, facts) == (Shown({"owner": {"$in": ["acct-alice", "acct-bob"]}}),)


def test_a_template_naming_a_fact_the_principal_lacks_matches_nothing() -> None:
    nameless = Principal(PrincipalKind.PROCESSOR, purpose="support")
    assert render(OPEN_CASES, principal_facts(nameless)) == ()
    assert as_filter(render(OPEN_CASES, principal_facts(nameless))) == {"_id": {"$in": []}}
    # `account` is a user's own id: a processor has none, however it is named.
    own = Rows({"owner": PRINCIPAL.account})
    assert render(own, principal_facts(HELPDESK)) == ()
    assert render(own, principal_facts(Principal(PrincipalKind.USER))) == ()


def test_every_known_fact_is_given_for_every_principal() -> None:
    assert set(principal_facts(ALICE)) == set(KNOWN_FACTS)
    assert principal_facts(Principal.anonymous()) == {
        PRINCIPAL.id: None,
        PRINCIPAL.purpose: None,
        PRINCIPAL.account: None,
        PRINCIPAL.listed: (),
    }


def test_a_fact_no_principal_has_matches_nothing() -> None:
    assert render(Rows({"owner": PRINCIPAL.shoe_size}), principal_facts(ALICE)) == ()


def test_only_branches_naming_a_lacking_fact_drop_out() -> None:
    either = any_of(Rows({"owner": PRINCIPAL.account}), Rows({"visibility": "PUBLIC"}))
    assert render(either, principal_facts(HELPDESK)) == (Shown({"visibility": "PUBLIC"}),)
    assert as_filter(render(either, principal_facts(ALICE))) == {
        "$or": [{"owner": "acct-alice"}, {"visibility": "PUBLIC"}]
    }


def test_a_processors_case_list_reads_the_rows_of_its_grant() -> None:
    standing = Standing(held=frozenset({Relation.PUBLIC, Relation.PROCESSOR}), purpose="support")
    decision = decide("Account", "supportCases", standing)
    assert decision.rows is OPEN_CASES
    assert rows_read(decision, HELPDESK) == {
        "status": "OPEN",
        "purpose": "support",
        "processor": "helpdesk-co",
    }


def test_the_owners_case_list_reads_every_case_and_a_denied_one_none() -> None:
    own = decide("Account", "supportCases", Standing(held=frozenset({Relation.SELF})))
    assert rows_read(own, ALICE) is None
    denied = decide("Account", "supportCases", Standing(held=frozenset({Relation.PUBLIC})))
    assert rows_read(denied, ALICE) == NOTHING
    assert rows_read(None, ALICE) == NOTHING


def test_a_processor_without_id_reads_no_case() -> None:
    standing = Standing(held=frozenset({Relation.PUBLIC, Relation.PROCESSOR}), purpose="support")
    decision = decide("Account", "supportCases", standing)
    nameless = Principal(PrincipalKind.PROCESSOR, purpose="support")
    assert rows_read(decision, nameless) == NOTHING


def test_an_account_holder_sees_items_four_ways() -> None:
    seen = audience(ALICE)
    assert seen.branches == (
        Shown({"owner": "acct-alice"}),
        PUBLIC_ITEMS,
        Shown({"shared_with": "acct-alice"}, {"visibility": "SHARED", **NOT_EMAIL_NOR_COMMENT}),
        Shown({"recipients": "acct-alice"}, {"kind": "EMAIL"}),
    )
    assert seen.owners == {"acct-alice"}


@pytest.mark.parametrize(
    "principal",
    [
        Principal.anonymous(),
        HELPDESK,
        Principal(PrincipalKind.DOMAIN_ADMIN, id="admin-1", domains=frozenset({"acme"})),
        Principal(PrincipalKind.COMPLIANCE, id="acct-alice"),
        Principal(PrincipalKind.USER),
    ],
)
def test_anyone_but_an_account_holder_sees_public_items_only(principal: Principal) -> None:
    seen = audience(principal)
    assert seen.branches == (PUBLIC_ITEMS,)
    assert seen.owners == frozenset()
    assert seen.always is None


def test_a_legal_request_shows_every_item_of_the_owners_it_lists() -> None:
    authority = Principal(PrincipalKind.AUTHORITY, id="bka", legal_request="lr-1")
    seen = audience(authority, ["acct-bob", "acct-alice"])
    assert seen.branches == (PUBLIC_ITEMS,)
    assert seen.always == {"owner": {"$in": ["acct-alice", "acct-bob"]}}


def test_conditions_read_as_words() -> None:
    assert describe_rows(OPEN_CASES) == (
        "status = OPEN and purpose = PRINCIPAL.purpose and processor = PRINCIPAL.id"
    )
    either = any_of(Rows({"owner": PRINCIPAL.account}), Rows({}, {"kind": {"$ne": "EMAIL"}}))
    assert describe_rows(either) == "(owner = PRINCIPAL.account) OR (kind ≠ EMAIL)"


def test_policy_show_prints_each_grants_rows() -> None:
    lines = render_rows().splitlines()
    assert lines[:4] == ["### Row conditions", "", "| grant | rows | on |", "|---|---|---|"]
    processor = next(line for line in lines if line.startswith("| PROCESSOR(support)"))
    assert "| status = OPEN and purpose = PRINCIPAL.purpose and processor = PRINCIPAL.id |" in (
        processor
    )
    assert "`Account`: supportCases;" in processor
    viewer = next(line for line in lines if line.startswith("| VIEWER |"))
    assert "(shared_with = PRINCIPAL.account and visibility = SHARED and kind not in" in viewer
    authority = next(line for line in lines if line.startswith("| AUTHORITY |"))
    assert "| owner in PRINCIPAL.listed | `Account`: content; `Content`: id," in authority
    assert len(lines) == 7


def _with_rows(monkeypatch: pytest.MonkeyPatch, field: str, relation: Relation, rows: Rows) -> None:
    """The table as `policy check` sees it, with `relation`'s grant on `Account.<field>`
    reading `rows`."""
    table = {name: dict(rules) for name, rules in POLICY.items()}
    rule = table["Account"][field]
    grants = tuple(
        replace(grant, rows=rows) if grant.relation is relation else grant for grant in rule.grants
    )
    table["Account"][field] = Rule(grants, rule.scope)
    monkeypatch.setattr(schema.enforcement.coverage, "POLICY", table)


def test_policy_check_names_a_row_fact_that_does_not_exist(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _with_rows(
        monkeypatch, "supportCases", Relation.PROCESSOR, Rows({"processor": PRINCIPAL.ident})
    )
    assert coverage_problems(build_schema()) == [
        "the rows of PROCESSOR name PRINCIPAL.ident, which is no fact of authz/rows.py"
    ]


def test_policy_check_names_a_row_field_the_validator_does_not_know(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    typo = Rows({"owner": PRINCIPAL.account}, {"visibilty": "PUBLIC"})
    _with_rows(monkeypatch, "content", Relation.VIEWER, typo)
    assert coverage_problems(build_schema()) == [
        "the rows of VIEWER test visibilty, which the content validator does not know"
    ]
