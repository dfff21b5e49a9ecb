"""Decisions from the policy table alone: a standing in, a field's verdict out (SPEC §4, §5)."""

from __future__ import annotations

from authz.decisions import decide, decisions_for
from authz.principals import PartnerType
from authz.relations import Relation, Standing

STRANGER = Standing(held=frozenset({Relation.PUBLIC, Relation.VIEWER}))
SELF = Standing(held=STRANGER.held | {Relation.SELF})


def test_the_first_grant_held_decides_and_public_reads_are_not_disclosures() -> None:
    name = decide("Account", "displayName", SELF)
    assert (name.allowed, name.relation, name.recorded) == (True, Relation.PUBLIC, False)
    email = decide("Account", "email", SELF)
    assert (email.allowed, email.relation, email.recorded) == (True, Relation.SELF, False)


def test_a_stranger_is_refused_with_the_rule_named() -> None:
    email = decide("Account", "email", STRANGER)
    assert (email.allowed, email.relation, email.recorded) == (False, None, False)
    assert email.coordinate == "Account.email"
    assert email.reason.startswith("the caller holds none of: SELF")


def test_a_field_without_a_rule_is_denied_by_default() -> None:
    for type_name, field in (("Account", "passwordHash"), ("Unknown", "id")):
        decision = decide(type_name, field, SELF)
        assert (decision.allowed, decision.reason) == (False, "no rule: denied by default")


def test_a_processor_reads_only_for_the_purpose_its_grant_names() -> None:
    held = STRANGER.held | {Relation.PROCESSOR}
    support = decide("Account", "email", Standing(held=held, purpose="support"))
    assert (support.allowed, support.relation, support.recorded) == (
        True,
        Relation.PROCESSOR,
        True,
    )
    assert not decide("Account", "email", Standing(held=held, purpose="marketing")).allowed


def test_a_partner_reads_the_consented_scope_with_its_purpose_and_never_sensitive_for_ads() -> None:
    held = STRANGER.held | {Relation.PARTNER}
    shop = Standing(
        held=held,
        partner_type=PartnerType.BUSINESS,
        consented=frozenset({"address", "sensitive"}),
        consented_explicitly=frozenset({"sensitive"}),
        consent_purposes=frozenset({("address", "delivery")}),
    )
    city = decide("Address", "city", shop)  # `address` is the scope of its nested fields
    assert (city.allowed, city.relation, city.purpose, city.recorded) == (
        True,
        Relation.PARTNER,
        "delivery",
        True,
    )
    assert decide("SensitiveProfile", "health", shop).allowed
    assert not decide("Account", "phone", shop).allowed  # not consented
    ads = Standing(
        held=held,
        partner_type=PartnerType.ADVERTISER,
        consented=shop.consented,
        consented_explicitly=shop.consented_explicitly,
    )
    assert not decide("SensitiveProfile", "health", ads).allowed
    implicit = Standing(held=held, partner_type=PartnerType.BUSINESS, consented=shop.consented)
    assert not decide("SensitiveProfile", "health", implicit).allowed


def test_an_authority_reads_the_fields_its_request_names() -> None:
    police = Standing(
        held=STRANGER.held | {Relation.AUTHORITY},
        legal_fields=frozenset({"email"}),
        legal_request="lr-1",
    )
    assert decide("Account", "email", police).relation is Relation.AUTHORITY
    assert not decide("Account", "phone", police).allowed


def test_decisions_for_a_type_cover_its_rules_and_are_shared_by_equal_standings() -> None:
    decisions = decisions_for("Address", STRANGER)
    assert set(decisions) == {"street", "city", "postalCode", "country"}
    assert not any(d.allowed for d in decisions.values())
    equal = Standing(held=frozenset({Relation.VIEWER, Relation.PUBLIC}))
    assert decisions_for("Address", equal) is decisions
