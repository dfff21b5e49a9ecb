"""Every (caller, mutation) pair: the write table against SPEC §7 restated, and through HTTP.

The table's decisions are compared with `expectations.WRITE_ACCESS`; then every refused pair
is sent to the gateway, which must answer FORBIDDEN (UNAUTHENTICATED for anonymous callers of
account-holder writes) and change nothing at all in the database.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from bson import json_util
from pymongo.asynchronous.database import AsyncDatabase

from authz.principals import PrincipalKind
from authz.relations import Relation
from authz.writes import WRITES, decide_write
from resolvers.demo_world import DEMO_PRINCIPALS
from tests.authz.expectations import ALL_CALLERS, WRITE_ACCESS, WRITE_LIMITS
from tests.conftest import GatewayClient, error_codes

#: One small, valid call of each mutation: refused only for who is calling, never for input.
CALLS: dict[str, str] = {
    "signUp": 'signUp(input: {username: "newcomer", password: "a long password",'
    ' email: "newcomer@mail.example", displayName: "New"}) { accountId }',
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
}


def _kind(caller: str | None) -> PrincipalKind:
    return PrincipalKind(DEMO_PRINCIPALS[caller]["kind"]) if caller else PrincipalKind.ANONYMOUS


def _held(caller: str | None) -> frozenset[Relation]:
    """A caller's relations toward the subject of a write about their own account."""
    if _kind(caller) is PrincipalKind.USER:
        return frozenset({Relation.PUBLIC, Relation.SELF})
    return frozenset({Relation.PUBLIC})


def test_every_mutation_has_a_rule_and_an_expectation() -> None:
    assert set(WRITES) == set(WRITE_ACCESS) == set(CALLS)


@pytest.mark.parametrize("mutation", sorted(WRITE_ACCESS))
def test_the_write_table_says_what_spec_section_7_says(mutation: str) -> None:
    allowed = {
        caller
        for caller in ALL_CALLERS
        if decide_write(mutation, _kind(caller), _held(caller), {}).allowed
    }
    assert allowed == WRITE_ACCESS[mutation]
    limit = WRITE_LIMITS.get(mutation)
    assert WRITES[mutation].limited_by == limit
    if limit:
        limited = decide_write(mutation, PrincipalKind.USER, _held("alice"), {limit: True})
        assert not limited.allowed and limit in limited.reason


async def _fingerprint(db: AsyncDatabase[Any]) -> str:
    digest = hashlib.sha256()
    for name in sorted(await db.list_collection_names()):
        async for doc in db[name].find({}).sort("_id", 1):
            digest.update(json_util.dumps(doc).encode())
    return digest.hexdigest()


REFUSED = [
    (mutation, caller)
    for mutation, allowed in sorted(WRITE_ACCESS.items())
    for caller in sorted(ALL_CALLERS - allowed, key=str)
]


@pytest.mark.parametrize(("mutation", "caller"), REFUSED)
async def test_a_refused_write_answers_its_code_and_changes_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], mutation: str, caller: str | None
) -> None:
    before = await _fingerprint(demo_db)
    body = await gateway.query(
        f"mutation {{ {CALLS[mutation]} }}", as_=caller, headers={"X-Device-Id": "d-1"}
    )
    expected = "UNAUTHENTICATED" if caller is None else "FORBIDDEN"
    assert error_codes(body) == [expected]
    assert body["data"] is None
    assert await _fingerprint(demo_db) == before
