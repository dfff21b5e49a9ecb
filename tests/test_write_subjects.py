"""A write's subject is named by its input (`WriteSubject`), never by a field's name; the build
refuses a mutation whose rule decides toward a subject its input does not name."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from strawberry.utils.str_converters import to_camel_case

import schema.enforcement.authorize as authorize
from authz.principals import PrincipalKind
from authz.relations import Relation
from authz.writes import by_caller, by_subject
from resolvers.collections import ACCOUNTS
from schema import build_schema
from schema.enforcement.authorize import unnamed_subjects
from schema.enforcement.subjects import NamesAccount, NamesOwned, WriteSubject
from schema.mutation import Mutation
from tests.client import GatewayClient, error_codes

#: Written by hand from SPEC §7: the writes about someone that the caller names in the input.
NAMED_BY_INPUT = {
    "setPassword": NamesAccount,
    "suspendAccount": NamesAccount,
    "blockAccount": NamesAccount,
    "restoreAccount": NamesAccount,
    "limitRights": NamesAccount,
    "postSupportMessage": NamesOwned,
    "replyToSupportCase": NamesOwned,
    "closeSupportCase": NamesOwned,
    "revokeConsent": NamesOwned,
}


def test_exactly_the_writes_about_a_named_account_name_it_in_their_input() -> None:
    named = {
        to_camel_case(field.python_name): argument.type
        for field in Mutation.__strawberry_definition__.fields
        for argument in field.arguments
        if argument.python_name == "input" and issubclass(argument.type, WriteSubject)
    }
    assert {
        name: NamesOwned if issubclass(cls, NamesOwned) else NamesAccount
        for name, cls in named.items()
    } == NAMED_BY_INPUT
    assert unnamed_subjects(Mutation) == []


def test_a_write_granted_to_an_admin_whose_input_names_nobody_fails_the_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Else the admin's own account would be the subject, toward which she may hold the relation."""
    rules = {**authorize.WRITES, "markNotificationRead": by_subject(Relation.DOMAIN_ADMIN)}
    monkeypatch.setattr(authorize, "WRITES", rules)
    with pytest.raises(TypeError) as refused:
        build_schema()
    assert str(refused.value) == (
        "Mutation.markNotificationRead is decided toward a subject its input does not name"
    )


def test_a_named_subject_under_a_rule_by_caller_kind_fails_the_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = {**authorize.WRITES, "revokeConsent": by_caller(PrincipalKind.USER)}
    monkeypatch.setattr(authorize, "WRITES", rules)
    with pytest.raises(TypeError) as refused:
        build_schema()
    assert str(refused.value) == (
        "Mutation.revokeConsent names a subject its rule (by caller) never reads"
    )


async def test_an_admin_naming_an_empty_account_id_is_refused_and_nothing_changes(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """The input names the subject: an empty id is that (missing) account, never the caller's."""
    body = await gateway.query(
        'mutation { suspendAccount(input: {accountId: ""}) { account { id } } }', as_="dora"
    )
    assert error_codes(body) == ["FORBIDDEN"]
    statuses = {
        doc["_id"]: doc["status"] async for doc in demo_db[ACCOUNTS].find({}, {"status": 1})
    }
    assert set(statuses.values()) == {"ACTIVE"}
