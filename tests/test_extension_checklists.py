"""The checklists of `docs/architecture.md`, done: a field, an owned list and a principal kind.

Each is added the way the checklist says, in a fresh schema build: the tables and registries
the checklist names are replaced for the test (never edited in place), and the new type and
fields are declared as `schema/types.py` would declare them. Then what the checklist says
follows is checked through HTTP: `policy check`, who reads what, the export and the erasure.
A checklist step left out shows how it fails: closed, and named by a check.

No `from __future__ import annotations` here: the resolver below is declared inside a fixture,
and Strawberry reads its annotations as objects.
"""

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from shutil import ignore_patterns
from types import MappingProxyType
from typing import Any

import pytest
import strawberry
from pymongo.asynchronous.database import AsyncDatabase
from strawberry.annotation import StrawberryAnnotation
from strawberry.types.field import StrawberryField

import schema.enforcement.shapes as shapes
from authz.decisions import decisions_for
from authz.grants import Rule, rule
from authz.policy import AUTHORITY, POLICY, SELF, same
from gateway.settings import Settings
from resolvers import collections as c
from resolvers import erasure
from resolvers import export as export_reader
from resolvers.related import SubList
from schema import build_schema
from schema import types as api
from schema.enforcement import loading
from schema.enforcement.context import Info
from schema.enforcement.coverage import coverage_problems
from schema.enforcement.guard import Guarded, GuardField, access, guarded
from schema.enforcement.projection import projection
from tests.client import GatewayClient, error_codes, running
from tests.extension import everywhere

ALICE, BOB = "acct-alice", "acct-bob"
PAYMENT_METHODS = "payment_methods"
BIRTHDAY = "{ me { birthday } }"
LISTED = "{ me { paymentMethods(first: 5) { id iban addedAt } } }"
OF_ALICE = '{ account(id: "acct-alice") { displayName paymentMethods { iban } } }'


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Decisions and projections are cached per standing; the replaced tables start afresh."""
    caches = (decisions_for, access, projection)
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


def add_policy(monkeypatch: pytest.MonkeyPatch, extra: dict[str, dict[str, Rule]]) -> None:
    """Step: the rules in `authz/policy.py`."""
    table = {name: dict(rules) for name, rules in POLICY.items()}
    for type_name, rules in extra.items():
        table.setdefault(type_name, {}).update(rules)
    everywhere(monkeypatch, "POLICY", POLICY, MappingProxyType(table))


def add_account_fields(monkeypatch: pytest.MonkeyPatch, *fields: StrawberryField) -> None:
    """Step: the attributes in `schema/types.py`'s `Account` (as its class body would)."""
    definition = api.Account.__strawberry_definition__
    monkeypatch.setattr(definition, "fields", [*definition.fields, *fields])


@pytest.fixture
def registries(monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> None:
    """The guarded types and their shapes, as copies this test may add to."""
    everywhere(monkeypatch, "GUARDED", shapes.GUARDED, dict(shapes.GUARDED))
    everywhere(monkeypatch, "SHAPES", shapes.SHAPES, dict(shapes.SHAPES))


def birthday_field() -> StrawberryField:
    return StrawberryField(python_name="birthday", type_annotation=StrawberryAnnotation(str | None))


@pytest.fixture
def birthday(monkeypatch: pytest.MonkeyPatch, registries: None) -> None:
    """The field checklist for `Account.birthday`: a rule, then the attribute."""
    add_policy(monkeypatch, {"Account": {"birthday": rule(SELF, AUTHORITY, scope="birthday")}})
    add_account_fields(monkeypatch, birthday_field())


@pytest.fixture
def payment_methods(monkeypatch: pytest.MonkeyPatch, registries: None) -> None:
    """The owned-list checklist for `Account.paymentMethods`, step by step."""
    # 1. resolvers/collections.py: the collection, and its row in OWNED (erasure and export).
    monkeypatch.setattr(c, "ALL", (*c.ALL, PAYMENT_METHODS))
    listing = c.Listing("paymentMethods", "PaymentMethod", sort=(("added_at", 1),))
    row = c.Owned("payment_methods", PAYMENT_METHODS, "account", c.Erasure.DELETE, (listing,))
    at = next(i for i, r in enumerate(c.OWNED) if r.step == "rollups")
    owned = (*c.OWNED[:at], row, *c.OWNED[at:])
    everywhere(monkeypatch, "OWNED", c.OWNED, owned)
    everywhere(monkeypatch, "SECTIONS", export_reader.SECTIONS, export_reader.sections(owned))
    everywhere(monkeypatch, "STEPS", erasure.STEPS, erasure.steps(owned))
    # 2. schema/enforcement/loading.py: how the list is paged.
    sub_list = SubList(PAYMENT_METHODS, "account", "added_at")
    sub_lists = MappingProxyType(
        {**loading.SUB_LISTS, "PaymentMethod": ("paymentMethods", sub_list)}
    )
    monkeypatch.setattr(loading, "SUB_LISTS", sub_lists)

    # 3. schema/types.py: the guarded type, and the paged field on Account.
    @guarded
    @strawberry.type
    class PaymentMethod:
        id: strawberry.ID | None
        iban: str | None
        added_at: datetime | None

    async def _payment_methods(
        root: Guarded, info: Info, first: int | None = None, after: str | None = None
    ) -> list[PaymentMethod] | None:
        return await api._owned(info, root, "PaymentMethod", first, after)

    field = api._paged(_payment_methods)
    field.python_name = "payment_methods"
    field.extensions.append(GuardField())  # what @guarded gives a field of the class body
    add_account_fields(monkeypatch, field)
    # 4. authz/policy.py: the list and each field of its rows.
    add_policy(
        monkeypatch,
        {
            "Account": {"paymentMethods": rule(SELF, scope="paymentMethods")},
            "PaymentMethod": same(rule(SELF), "id", "iban", "addedAt", scope="paymentMethods"),
        },
    )


async def test_a_field_without_its_rule_fails_the_policy_check_and_is_denied(
    monkeypatch: pytest.MonkeyPatch, registries: None, settings: Settings, demo_db: Any
) -> None:
    add_account_fields(monkeypatch, birthday_field())
    assert coverage_problems(build_schema()) == ["Account.birthday has no rule in authz/policy.py"]
    async with running(settings) as gateway:
        assert error_codes(await gateway.query(BIRTHDAY, as_="alice")) == ["FORBIDDEN"]


async def test_a_field_by_the_checklist_is_read_decided_and_exported(
    birthday: None, settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    assert coverage_problems(build_schema()) == []
    await demo_db[c.ACCOUNTS].update_one({"_id": ALICE}, {"$set": {"birthday": "1990-04-01"}})
    async with running(settings) as gateway:
        await read_decided_and_exported(gateway)


async def read_decided_and_exported(gateway: GatewayClient) -> None:
    mine = await gateway.query(BIRTHDAY, as_="alice")
    assert mine == {"data": {"me": {"birthday": "1990-04-01"}}}
    of_alice = await gateway.query('{ account(id: "acct-alice") { birthday } }', as_="bob")
    assert error_codes(of_alice) == ["FORBIDDEN"]
    assert of_alice["data"] == {"account": {"birthday": None}}
    exported = await export_document(gateway, "alice")
    assert exported["account"]["birthday"] == "1990-04-01"


async def test_an_owned_list_by_the_checklist_is_listed_exported_and_erased(
    payment_methods: None, settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    assert coverage_problems(build_schema()) == []
    added = datetime(2026, 5, 1, tzinfo=UTC)
    await demo_db[PAYMENT_METHODS].insert_many(
        [
            {"_id": "pm-alice", "account": ALICE, "iban": "AT61 1904", "added_at": added},
            {"_id": "pm-bob", "account": BOB, "iban": "AT02 2011", "added_at": added},
        ]
    )
    async with running(settings) as gateway:
        await listed_exported_and_erased(gateway, demo_db)


async def listed_exported_and_erased(gateway: GatewayClient, demo_db: AsyncDatabase[Any]) -> None:
    listed = await gateway.query(LISTED, as_="alice")
    assert listed["data"]["me"]["paymentMethods"] == [
        {"id": "pm-alice", "iban": "AT61 1904", "addedAt": "2026-05-01T00:00:00+00:00"}
    ]
    of_alice = await gateway.query(OF_ALICE, as_="bob")
    assert error_codes(of_alice) == ["FORBIDDEN"]
    assert of_alice["data"]["account"] == {"displayName": "Alice Amsel", "paymentMethods": None}
    exported = await export_document(gateway, "alice")
    assert [m["iban"] for m in exported["paymentMethods"]] == ["AT61 1904"]
    erased = await gateway.query(
        "mutation { deleteMyAccount(input: {confirm: true}) { erased } }", as_="alice"
    )
    assert erased == {"data": {"deleteMyAccount": {"erased": True}}}
    assert await demo_db[PAYMENT_METHODS].distinct("account") == [BOB]


async def export_document(gateway: GatewayClient, handle: str) -> dict[str, Any]:
    body = await gateway.query("mutation { exportMyData(input: {}) { document } }", as_=handle)
    document: dict[str, Any] = body["data"]["exportMyData"]["document"]
    return document


ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("authz", "schema", "resolvers", "gateway")


def checklist_step(title: str, step: str) -> str:
    """One numbered step of a checklist in docs/architecture.md, as text."""
    section = (ROOT / "docs" / "architecture.md").read_text().split(f"### {title}")[1]
    section = section.split("\n### ")[0]
    return section.split(f"\n{step}. ")[1].split(f"\n{int(step) + 1}. ")[0]


def test_mypy_stops_at_every_place_the_principal_kind_checklist_names(tmp_path: Path) -> None:
    """Steps 1 and 2 done in a copy of the source: mypy then names exactly the files step 3
    lists (each a `match` ending in `assert_never`), and no other kind of error."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=ignore_patterns("__pycache__", "static")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for path, last, added in (
        ("authz/principals.py", '    COMPLIANCE = "compliance"\n', '    AUDITOR = "auditor"\n'),
        ("authz/relations.py", '    AUTHORITY = "AUTHORITY"\n', '    AUDITOR = "AUDITOR"\n'),
    ):
        source = (tmp_path / path).read_text()
        assert source.count(last) == 1, path
        (tmp_path / path).write_text(source.replace(last, last + added))
    packages = [argument for package in PACKAGES for argument in ("-p", package)]
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", *packages, "--cache-dir", str(tmp_path / ".cache")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in checked.stdout.splitlines() if ": error: " in line]
    assert errors and all("assert_never" in line for line in errors), checked.stdout
    flagged = {line.split(":")[0] for line in errors}
    named = set(
        re.findall(
            r"`((?:authz|schema|resolvers|gateway)/[\w/]+\.py)`",
            checklist_step("Adding a principal kind (with its relation)", "3"),
        )
    )
    assert flagged == named - {"resolvers/facts.py"}
