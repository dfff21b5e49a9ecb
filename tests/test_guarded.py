"""`@guarded` declares the types read through the policy, and the build refuses a gap."""

from __future__ import annotations

import pytest
import strawberry

import schema.enforcement.shapes as shapes
from schema import build_schema
from schema.enforcement.guard import GuardField, guarded
from tests.extension import everywhere

#: Written by hand: the types whose values are documents, read field by field through the policy.
GUARDED_BY_HAND = {
    "Account",
    "Address",
    "BillingInfo",
    "SensitiveProfile",
    "RightsLimits",
    "Stats",
    "Settings",
    "Device",
    "SignIn",
    "Notification",
    "Consent",
    "Disclosure",
    "SupportMessage",
    "SupportCase",
    "Content",
}


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, type]:
    """The declared types, as a copy this test may change."""
    copy = dict(shapes.GUARDED)
    monkeypatch.setattr(shapes, "GUARDED", copy)  # read by shapes' own functions only
    everywhere(monkeypatch, "SHAPES", shapes.SHAPES, dict(shapes.SHAPES))
    return copy


def test_the_schema_builds_with_exactly_the_guarded_types_declared() -> None:
    build_schema()
    assert set(shapes.GUARDED) == GUARDED_BY_HAND
    assert set(shapes.SHAPES) == GUARDED_BY_HAND


def test_every_resolver_backed_field_of_a_guarded_type_is_guarded_once() -> None:
    for cls in shapes.GUARDED.values():
        for field in cls.__strawberry_definition__.fields:
            guards = [e for e in field.extensions if isinstance(e, GuardField)]
            assert len(guards) == (field.base_resolver is not None), field.python_name


def test_a_declared_type_the_schema_does_not_reach_fails_the_build(
    registry: dict[str, type],
) -> None:
    @guarded
    @strawberry.type
    class PaymentMethod:
        iban: str | None

    with pytest.raises(TypeError, match="PaymentMethod is declared @guarded but the schema"):
        build_schema()


def test_a_guarded_field_holding_an_undeclared_type_fails_the_build(
    registry: dict[str, type],
) -> None:
    del registry["Address"]
    with pytest.raises(TypeError) as refused:
        build_schema()
    assert str(refused.value) == "Account.address holds Address, which is not @guarded"


def test_a_resolved_field_holding_an_undeclared_type_fails_the_build(
    registry: dict[str, type],
) -> None:
    del registry["Device"]
    with pytest.raises(TypeError) as refused:
        build_schema()
    assert str(refused.value) == "Account.devices holds Device, which is not @guarded"


def test_guarded_must_be_put_above_strawberry_type() -> None:
    with pytest.raises(TypeError):

        @strawberry.type
        @guarded
        class Misplaced:
            secret: str | None
