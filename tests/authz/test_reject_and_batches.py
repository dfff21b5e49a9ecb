"""Reject mode and batches: decided per operation, all or nothing, and nothing unrecorded.

Each test replays an attack of the 2026-11-30 audit (findings 2, 3, 14, 15) through HTTP.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from schema import payloads
from tests.client import GatewayClient, error_codes
from tests.disclosure_records import records, without

REJECT = {"X-Authz-Mode": "reject"}


async def _records(db: AsyncDatabase[Any], subject: str, principal: str) -> list[dict[str, Any]]:
    found = await records(db, subject=subject, principal_id=principal)
    return [without(row, "_id", "at") for row in found]


async def _batch(
    gateway: GatewayClient, as_: str, *queries: str, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    response = await gateway.http.post(
        "/graphql",
        json=[{"query": query} for query in queries],
        headers={"Authorization": f"Bearer {gateway.token(as_)}", **(headers or {})},
    )
    assert response.status_code == 200, response.text
    answers: list[dict[str, Any]] = response.json()
    return answers


async def _fingerprint(db: AsyncDatabase[Any]) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection but the gateway's own bookkeeping (written whatever
    happens): what "nothing was written" is checked against."""
    names = sorted(set(await db.list_collection_names()) - c.BOOKKEEPING)
    return {name: await db[name].find().sort("_id", 1).to_list() for name in names}


async def test_reject_mode_writes_nothing_when_a_later_mutation_is_refused(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    before = await _fingerprint(demo_db)
    response = await gateway.post(
        """mutation {
          a: updateProfile(input: {displayName: "Alice REJECT-TEST"}) { account { id } }
          b: suspendAccount(input: {accountId: "acct-bob"}) { account { id } }
        }""",
        as_="alice",
        headers=REJECT,
    )
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["denied"] == ["Mutation.suspendAccount"]
    assert await _fingerprint(demo_db) == before


async def test_reject_mode_rolls_back_a_write_whose_payload_is_denied(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    before = await _fingerprint(demo_db)
    response = await gateway.post(
        """mutation {
          limitRights(input: {accountId: "acct-bob", privacy: true}) {
            account { id billing { iban } }
          }
        }""",
        as_="dora",
        headers=REJECT,
    )
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["denied"] == ["Account.billing"]
    assert await _fingerprint(demo_db) == before

    # The same write with a payload dora may read happens, and is recorded.
    allowed = await gateway.query(
        'mutation { limitRights(input: {accountId: "acct-bob", privacy: true}) '
        "{ account { id } } }",
        as_="dora",
        headers=REJECT,
    )
    assert allowed["data"]["limitRights"]["account"]["id"] == "acct-bob"
    bob = await demo_db.accounts.find_one({"_id": "acct-bob"})
    assert bob is not None and bob["rights_limits"]["privacy"] is True
    [record] = await _records(demo_db, "acct-bob", "acct-dora")
    assert record["fields"] == ["Mutation.limitRights"]


async def test_reject_mode_counts_a_missing_sign_in_as_a_denial(gateway: GatewayClient) -> None:
    response = await gateway.post(
        "{ me { id } publicFeed(first: 1) { edges { node { id } } } }", headers=REJECT
    )
    body = response.json()
    assert body["data"] is None
    assert len(body["errors"]) == 1
    assert body["errors"][0]["extensions"]["denied"] == ["Query.me"]


async def test_a_refused_operation_does_not_drop_the_records_of_its_sibling(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    before = await _records(demo_db, "acct-alice", "flowershop")
    first, second = await _batch(
        gateway,
        "flowershop",
        '{ account(id: "acct-alice") { phone } feed: publicFeed(first: 60) '
        "{ edges { node { id title author { displayName } comments { id } } } } }",
        '{ account(id: "acct-alice") { email } feed: publicFeed(first: 3) '
        "{ edges { node { id } } } }",
        headers=REJECT,
    )
    assert first["data"]["account"]["phone"] == "+43 316 380 0001"
    assert "errors" not in first
    assert second["data"] is None
    assert error_codes(second) == ["FORBIDDEN"]
    after = await _records(demo_db, "acct-alice", "flowershop")
    assert len(after) == len(before) + 1
    assert after[-1]["fields"] == ["Account.phone"]


async def test_operations_of_a_batch_share_no_selection_and_no_record(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    first, second = await _batch(
        gateway,
        "police-graz",
        '{ account(id: "acct-bob") { username } }',
        '{ account(id: "acct-bob") { email phone } }',
    )
    assert first["data"]["account"]["username"] is None
    assert error_codes(first) == ["FORBIDDEN"]
    assert second["data"]["account"] == {
        "email": "bob@uni-graz.example",
        "phone": "+43 316 380 0002",
    }
    assert "errors" not in second
    [record] = await _records(demo_db, "acct-bob", "police-graz")
    assert record["fields"] == ["Account.email", "Account.phone"]


async def test_one_operation_per_record_set_each_with_exactly_its_fields(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    answers = await _batch(
        gateway,
        "dora",
        '{ account(id: "acct-alice") { email } }',
        '{ account(id: "acct-alice") { username } }',
        '{ account(id: "acct-alice") { email status } }',
    )
    assert [a["data"]["account"] for a in answers] == [
        {"email": "alice@uni-graz.example"},
        {"username": "alice"},
        {"email": "alice@uni-graz.example", "status": "ACTIVE"},
    ]
    records = await _records(demo_db, "acct-alice", "acct-dora")
    assert sorted(tuple(r["fields"]) for r in records) == [
        ("Account.email",),
        ("Account.email", "Account.status"),
        ("Account.username",),
    ]


async def test_a_refused_operation_never_cancels_or_crashes_its_siblings(
    gateway: GatewayClient,
) -> None:
    for headers in ({}, REJECT):
        answers = await _batch(
            gateway,
            "bob",
            "{ me { id displayName email content { id title } } }",
            '{ adAudience(interest: "chess") { interest accounts } }',
            "{ me { notifications { id } } }",
            headers=headers,
        )
        assert answers[0]["data"]["me"]["id"] == "acct-bob"
        assert error_codes(answers[1]) == ["FORBIDDEN"]
        assert answers[2]["data"]["me"]["notifications"] is not None


async def test_reject_mode_keeps_the_lockout_counting_wrong_passwords(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """A wrong password is an answer, not a policy refusal: reject mode neither turns it into
    one nor rolls back the failure it counts, so it cannot be used to guess without limit."""
    sign_in = (
        'mutation($p: String!) { signIn(input: {username: "erin", password: $p,'
        ' deviceId: "erin-dev-1"}) { accessToken } }'
    )
    for attempt in range(5):
        body = (await gateway.post(sign_in, {"p": f"guess-{attempt}"}, headers=REJECT)).json()
        assert error_codes(body) == ["UNAUTHENTICATED"], body
    [counter] = await demo_db.sign_in_failures.find().to_list()
    assert counter["failures"] == 5
    locked = await gateway.post(sign_in, {"p": "imoox-demo-password"}, headers=REJECT)
    assert locked.status_code == 429


async def test_each_operation_of_a_batch_is_let_in_anew(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """An operation that blocks the caller's own account ends the batch's power at once."""
    block, members, limit = await _batch(
        gateway,
        "dora",
        'mutation { blockAccount(input: {accountId: "acct-dora"}) { account { id } } }',
        '{ domain(id: "uni-graz") { members(first: 5) { edges { node { email } } } } }',
        'mutation { limitRights(input: {accountId: "acct-alice", edit: true}) { account { id } } }',
    )
    assert block["data"]["blockAccount"]["account"]["id"] == "acct-dora"
    assert (
        members
        == limit
        == {
            "data": None,
            "errors": [
                {
                    "message": "The bearer token is invalid, expired or revoked.",
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ],
        }
    )
    alice = await demo_db.accounts.find_one({"_id": "acct-alice"})
    assert alice is not None and not (alice.get("rights_limits") or {}).get("edit")


async def test_a_fault_in_reject_mode_keeps_nothing_and_answers_no_data(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault may null a payload before its fields are decided, hiding a denial."""

    def broken(*_: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(payloads, "account_loader", broken)
    before = await _fingerprint(demo_db)
    response = await gateway.post(
        'mutation { limitRights(input: {accountId: "acct-bob", privacy: true}) '
        "{ account { id billing { iban } } } }",
        as_="dora",
        headers=REJECT,
    )
    body = response.json()
    assert body["data"] is None
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert await _fingerprint(demo_db) == before


async def test_each_write_of_a_document_lets_the_caller_in_anew(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """A domain admin who blocks her own account has no power left for the next write."""
    body = await gateway.query(
        """mutation {
          a: blockAccount(input: {accountId: "acct-dora"}) { account { id } }
          b: suspendAccount(input: {accountId: "acct-learner03"}) { account { id email } }
        }""",
        as_="dora",
    )
    assert body["data"] is None  # payloads are non-null: the refusal of `b` nulls the answer
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["b"], "UNAUTHENTICATED")
    ]
    learner = await demo_db.accounts.find_one({"_id": "acct-learner03"})
    assert learner is not None and learner["status"] == "ACTIVE"
    # The block happened (it was allowed when it ran); nothing of `b` did, nor is on record.
    dora = await demo_db.accounts.find_one({"_id": "acct-dora"})
    assert dora is not None and dora["status"] == "BLOCKED"
    assert await _records(demo_db, "acct-learner03", "acct-dora") == []


async def test_reject_mode_writes_of_several_people_at_once_all_land(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Content writes share counters (issue 12), so two enclosing transactions conflict: the
    one that loses runs again whole (it kept nothing), never answers a fault."""
    writers = ["alice", "bob", "carol"] * 3
    answers = await asyncio.gather(
        *(
            gateway.query(
                f'mutation {{ createContent(input: {{kind: POST, body: "at once {n}"}}) '
                "{ content { id } } }",
                as_=writer,
                headers=REJECT,
            )
            for n, writer in enumerate(writers)
        )
    )
    assert [answer.get("errors") for answer in answers] == [None] * len(writers)
    stored = await demo_db.content.count_documents({"body": {"$regex": "^at once "}})
    assert stored == len(writers)
    body = await gateway.query("{ me { stats { contentCount } } }", as_="alice")
    non_comments = await demo_db.content.count_documents(
        {"owner": "acct-alice", "kind": {"$ne": "COMMENT"}}
    )
    assert body["data"]["me"]["stats"]["contentCount"] == non_comments
