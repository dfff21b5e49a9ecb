"""Every (caller, mutation) pair: the write table against SPEC §7 restated, and through HTTP.

The table's decisions are compared with `expectations.WRITE_ACCESS`; then every refused pair
is sent to the gateway, which must answer FORBIDDEN (UNAUTHENTICATED for anonymous callers of
account-holder writes) and change nothing at all in the database.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bson import json_util
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from authz.principals import PrincipalKind
from authz.relations import Relation
from authz.writes import WRITES, decide_write
from gateway.settings import Settings
from resolvers import collections as c
from resolvers.collections import ensure_schema
from resolvers.demo_world import DEMO_PRINCIPALS, seed_demo_world
from tests.authz.expectations import ALL_CALLERS, WRITE_ACCESS, WRITE_LIMITS
from tests.client import GatewayClient, error_codes, running

#: One small, valid call of each mutation: refused only for who is calling, never for input.
CALLS: dict[str, str] = {
    "signUp": 'signUp(input: {username: "newcomer", password: "a long password",'
    ' email: "newcomer@mail.example", displayName: "New"}) { mailSent }',
    "confirmSignUp": 'confirmSignUp(input: {code: "unknown"}) { accountId }',
    "resetPassword": 'resetPassword(input: {code: "unknown", password: "a long password"}) { ok }',
    "signIn": 'signIn(input: {username: "alice", password: "imoox-demo-password",'
    ' deviceId: "d-1"}) { accountId }',
    "refreshToken": 'refreshToken(input: {refreshToken: "unknown"}) { accountId }',
    "signOut": "signOut(input: {}) { signedOut }",
    "updateDeviceSettings": 'updateDeviceSettings(input: {language: "en"}) { language }',
    "markNotificationRead": 'markNotificationRead(input: {notificationId: "n-1"}) { ok }',
    "updateProfile": 'updateProfile(input: {displayName: "Changed"}) { account { id } }',
    "updateSettings": "updateSettings(input: {personalizedAds: true}) { account { id } }",
    "createContent": 'createContent(input: {kind: POST, body: "hi"}) { content { id } }',
    "updateContent": 'updateContent(input: {id: "post-alice-garden", body: "x"})'
    " { content { id } }",
    "deleteContent": 'deleteContent(input: {id: "post-alice-garden"}) { deletedId }',
    "exportMyData": "exportMyData(input: {}) { schemaVersion }",
    "deleteMyAccount": "deleteMyAccount(input: {confirm: true}) { erased }",
    "setPassword": 'setPassword(input: {accountId: "acct-alice"}) { account { id } }',
    "suspendAccount": 'suspendAccount(input: {accountId: "acct-alice"}) { account { id } }',
    "blockAccount": 'blockAccount(input: {accountId: "acct-alice"}) { account { id } }',
    "restoreAccount": 'restoreAccount(input: {accountId: "acct-alice"}) { account { id } }',
    "limitRights": 'limitRights(input: {accountId: "acct-alice", edit: true}) { account { id } }',
    "openSupportCase": 'openSupportCase(input: {text: "help"}) { caseId }',
    "postSupportMessage": 'postSupportMessage(input: {caseId: "case-alice-login", text: "hi"})'
    " { caseId }",
    "claimSupportCase": "claimSupportCase(input: {}) { caseId }",
    "replyToSupportCase": 'replyToSupportCase(input: {caseId: "case-alice-login", text: "hi"})'
    " { caseId }",
    "closeSupportCase": 'closeSupportCase(input: {caseId: "case-alice-login"}) { caseId }',
    "grantConsent": 'grantConsent(input: {recipient: "flowershop", fields: ["email"]})'
    " { consent { id } }",
    "revokeConsent": 'revokeConsent(input: {consentId: "consent-alice-flowershop"})'
    " { consent { id } }",
    "contactBusiness": 'contactBusiness(input: {businessId: "flowershop"}) { consent { id } }',
    "registerLegalRequest": "registerLegalRequest(input: {type: COURT_ORDER,"
    ' legalBasis: "order 1", authority: "police-graz", subjects: ["acct-carol"],'
    ' fields: ["email"], expiresAt: "2099-01-01T00:00:00Z"}) { legalRequest { id } }',
    "closeLegalRequest": 'closeLegalRequest(input: {id: "lr-police-graz-bob"})'
    " { legalRequest { id } }",
    "publishPolicyVersion": 'publishPolicyVersion(input: {summary: "s", reason: "r"})'
    " { policyVersion { version } }",
}

#: The account each call is about, where it is not the caller's own.
SUBJECTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "setPassword",
            "suspendAccount",
            "blockAccount",
            "restoreAccount",
            "limitRights",
            "postSupportMessage",
            "replyToSupportCase",
            "closeSupportCase",
            "revokeConsent",
        ),
        "alice",
    )
}


def _kind(caller: str | None) -> PrincipalKind:
    return PrincipalKind(DEMO_PRINCIPALS[caller]["kind"]) if caller else PrincipalKind.ANONYMOUS


def _held(caller: str | None, subject: str | None) -> frozenset[Relation]:
    """A caller's relations toward a call's subject, written out by hand from the demo world."""
    held = {Relation.PUBLIC}
    if _kind(caller) is PrincipalKind.USER and subject in (None, caller):
        held.add(Relation.SELF)
    if (caller, subject) == ("dora", "alice"):
        held.add(Relation.DOMAIN_ADMIN)
    if (caller, subject) == ("helpdesk-co", "alice"):
        held.add(Relation.PROCESSOR)
    return frozenset(held)


def test_every_mutation_has_a_rule_and_an_expectation() -> None:
    assert set(WRITES) == set(WRITE_ACCESS) == set(CALLS)


@pytest.mark.parametrize("mutation", sorted(WRITE_ACCESS))
def test_the_write_table_says_what_spec_section_7_says(mutation: str) -> None:
    subject = SUBJECTS.get(mutation)
    allowed = {
        caller
        for caller in ALL_CALLERS
        if decide_write(mutation, _kind(caller), _held(caller, subject), {}).allowed
    }
    assert allowed == WRITE_ACCESS[mutation]
    limit = WRITE_LIMITS.get(mutation)
    assert WRITES[mutation].limited_by == limit
    if limit:
        limited = decide_write(mutation, PrincipalKind.USER, _held("alice", None), {limit: True})
        assert not limited.allowed and limit in limited.reason


async def _fingerprint(db: AsyncDatabase[Any]) -> str:
    """Every document but the gateway's own bookkeeping (written whatever happens)."""
    digest = hashlib.sha256()
    for name in sorted(set(await db.list_collection_names()) - c.BOOKKEEPING):
        async for doc in db[name].find({}).sort("_id", 1):
            digest.update(json_util.dumps(doc).encode())
    return digest.hexdigest()


#: Writes naming a thing a person owns (`schema.enforcement.authorize.Owned`): answered like a
#: missing id.
OWNED = frozenset({"postSupportMessage", "replyToSupportCase", "closeSupportCase", "revokeConsent"})

REFUSED = [
    (mutation, caller)
    for mutation, allowed in sorted(WRITE_ACCESS.items())
    for caller in sorted(ALL_CALLERS - allowed, key=str)
]


@pytest.fixture(scope="module")
async def world(
    mongo: AsyncMongoClient[dict[str, Any]],
    mongo_uri: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[GatewayClient, AsyncDatabase[Any]]]:
    """One demo world for every refused write: each must leave it exactly as it was."""
    db = mongo[f"test_{uuid.uuid4().hex[:12]}"]
    await ensure_schema(db)
    await seed_demo_world(db)
    settings = Settings(
        mongodb_uri=mongo_uri, database=db.name, data_dir=tmp_path_factory.mktemp("w")
    )
    async with running(settings) as client:
        yield client, db
    await mongo.drop_database(db.name)


@pytest.mark.parametrize(("mutation", "caller"), REFUSED)
async def test_a_refused_write_answers_its_code_and_changes_nothing(
    world: tuple[GatewayClient, AsyncDatabase[Any]], mutation: str, caller: str | None
) -> None:
    gateway, db = world
    before = await _fingerprint(db)
    body = await gateway.query(
        f"mutation {{ {CALLS[mutation]} }}", as_=caller, headers={"X-Device-Id": "d-1"}
    )
    expected = "UNAUTHENTICATED" if caller is None else "FORBIDDEN"
    if caller is not None and mutation in OWNED:
        expected = "BAD_USER_INPUT"  # there is no such consent or case, as far as they know
    assert error_codes(body) == [expected]
    assert body["data"] is None
    assert await _fingerprint(db) == before
