"""The whole life of an account: sign up, use, export everything, erase, and erase after a crash."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers import collections as c
from resolvers import erasure
from resolvers.demo_world import account_id
from tests.client import GatewayClient, error_codes, running
from tests.disclosure_records import records
from tests.erasure import DELETE, assert_erased, lived_in_account, nothing_left_of
from tests.processes import until
from tests.sign_ups import sign_in

EXPORT = "mutation { exportMyData(input: {}) { schemaVersion downloadPath document } }"


async def test_export_holds_every_item_and_nothing_of_anyone_else(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    nora = await lived_in_account(gateway, demo_db)
    body = await gateway.query(EXPORT, token=nora["token"])
    assert "errors" not in body, body
    payload = body["data"]["exportMyData"]
    document = payload["document"]
    assert payload["schemaVersion"] == document["schemaVersion"] == 1
    assert document["account"]["id"] == nora["id"]
    assert document["account"]["username"] == "nora"
    assert document["account"]["phone"] == "+43 660 7654321"
    assert "passwordHash" not in document["account"]
    assert "password" not in json.dumps(document).lower()
    exported = [i["id"] for i in document["content"]] + [i["id"] for i in document["comments"]]
    assert sorted(exported) == sorted(nora["items"])
    assert {d["deviceId"] for d in document["devices"]} == {"laptop", "phone"}
    assert len(document["signIns"]) == 2
    assert [n["kind"] for n in document["notifications"]] == ["SUSPICIOUS_SIGN_IN"]
    assert [(d["id"], d["relation"], d["fields"]) for d in document["disclosures"]] == [
        ("d-nora:0", "DOMAIN_ADMIN", ["Account.email"]),
        ("d-nora:1", "VIEWER", ["Account.displayName"]),
    ]
    assert document["consents"] == [] and document["supportCases"] == []
    # Nothing of anyone else: not Bob's comment on Nora's post, nor another person's fields.
    text = json.dumps(document)
    assert "nice" not in text
    for other in ("alice", "bob@", "Carol Castell"):
        assert other not in text
    # Nor of the records about Bob that Nora's were stored with.
    for other in ("acct-bob", "bobs", "Account.phone"):
        assert other not in json.dumps(document["disclosures"])

    streamed = await gateway.http.get(
        payload["downloadPath"], headers={"Authorization": f"Bearer {nora['token']}"}
    )
    assert streamed.status_code == 200
    assert streamed.headers["content-type"].startswith("application/json")
    assert {k: v for k, v in streamed.json().items() if k != "exportedAt"} == {
        k: v for k, v in document.items() if k != "exportedAt"
    }


@pytest.mark.parametrize("caller", [None, "dora", "helpdesk-co", "police-graz"])
async def test_only_an_account_holder_exports(gateway: GatewayClient, caller: str | None) -> None:
    body = await gateway.query(EXPORT, as_=caller)
    assert error_codes(body) == ["UNAUTHENTICATED" if caller is None else "FORBIDDEN"]
    headers = {"Authorization": f"Bearer {gateway.token(caller)}"} if caller else {}
    response = await gateway.http.get("/export", headers=headers)
    assert response.status_code == (401 if caller is None else 403)


async def test_erasure_leaves_nothing_but_pseudonymised_records(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    nora = await lived_in_account(gateway, demo_db)
    body = await gateway.query(DELETE, token=nora["token"])
    assert body["data"]["deleteMyAccount"]["erased"] is True
    await assert_erased(gateway, demo_db, nora)


async def test_erasure_needs_confirmation_and_is_refused_under_the_delete_limit(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    unconfirmed = await gateway.query(
        "mutation { deleteMyAccount(input: {confirm: false}) { erased } }", as_="bob"
    )
    assert error_codes(unconfirmed) == ["BAD_USER_INPUT"]
    await demo_db[c.ACCOUNTS].update_one(
        {"_id": account_id("bob")}, {"$set": {"rights_limits.delete": True}}
    )
    limited = await gateway.query(DELETE, as_="bob")
    assert error_codes(limited) == ["FORBIDDEN"]
    assert await demo_db[c.ACCOUNTS].find_one({"_id": account_id("bob")}) is not None
    assert await demo_db[c.ERASURES].count_documents({}) == 0


async def test_an_erasure_killed_half_way_is_finished_on_restart(
    gateway: GatewayClient,
    demo_db: AsyncDatabase[Any],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nora = await lived_in_account(gateway, demo_db)

    async def crash(db: AsyncDatabase[Any], account: str, alias: str) -> None:
        raise SystemError("simulated crash: the process dies here")

    steps = dict(erasure.STEPS)
    crashing = tuple((name, crash if name == "shares" else step) for name, step in steps.items())
    monkeypatch.setattr(erasure, "STEPS", crashing)
    body = await gateway.query(DELETE, token=nora["token"])
    assert body["data"] is None and error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert "simulated" not in json.dumps(body)

    # Half-way: content is gone, but the account and its pseudonymisation are not done yet.
    assert await demo_db[c.CONTENT].count_documents({"owner": nora["id"]}) == 0
    assert await demo_db[c.ACCOUNTS].find_one({"_id": nora["id"]}) is not None
    job = await demo_db[c.ERASURES].find_one({"_id": nora["id"]})
    assert job is not None and "content" in job["done"] and "shares" not in job["done"]
    # Locked out from the first step on: the half-erased account cannot be used.
    assert error_codes(await sign_in(gateway, "nora", "laptop")) == ["UNAUTHENTICATED"]

    monkeypatch.undo()
    async with running(settings) as restarted:
        # The restart resumes it at once, unless the first gateway's own look for interrupted
        # jobs (every few seconds) holds its lease right then and finishes it instead.
        await until(
            lambda: _no_erasure_left(demo_db), "finished the interrupted erasure", within=30
        )
        await assert_erased(restarted, demo_db, nora)


async def _no_erasure_left(db: AsyncDatabase[Any]) -> bool:
    return await db[c.ERASURES].count_documents({}) == 0


async def test_two_workers_starting_at_once_finish_an_interrupted_erasure_together(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve --workers N` runs the start-up jobs in every worker, at the same time."""
    nora = await lived_in_account(gateway, demo_db)

    async def crash(db: AsyncDatabase[Any], account: str, alias: str) -> None:
        raise SystemError("simulated crash: the process dies here")

    steps = dict(erasure.STEPS)
    monkeypatch.setattr(
        erasure, "STEPS", tuple((n, crash if n == "content" else s) for n, s in steps.items())
    )
    body = await gateway.query(DELETE, token=nora["token"])
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    monkeypatch.undo()

    resumed = await asyncio.gather(*(erasure.resume_erasures(demo_db) for _ in range(2)))
    assert max(resumed) == 1
    await assert_erased(gateway, demo_db, nora)


async def test_two_erasures_at_once_each_pseudonymise_their_place_in_a_shared_record(
    db: AsyncDatabase[Any],
) -> None:
    """One operation's record (and one legal request) names both people: each erasure replaces
    its own id where it stands, and neither writes the other's real id back."""
    people = ["acct-x1", "acct-x2", "acct-x3"]
    entry = [{"relation": "DOMAIN_ADMIN", "fields": ["Account.email"], "purpose": None}]
    await db[c.DISCLOSURES].insert_one(
        {
            "_id": "d-shared",
            "principal_kind": "domain_admin",
            "principal_id": "acct-dora",
            "at": None,
            "subjects": [*people, "acct-bob"],
            "entries": [entry] * 4,
        }
    )
    await db[c.LEGAL_REQUESTS].insert_one({"_id": "lr-shared", "subjects": [*people, "acct-bob"]})
    disclosures, legal_requests = (
        dict(erasure.STEPS)[name] for name in ("disclosures", "legal_requests")
    )
    await asyncio.gather(
        *(disclosures(db, person, f"erased-{person}") for person in people),
        *(legal_requests(db, person, f"erased-{person}") for person in people),
    )
    expected = [*(f"erased-{person}" for person in people), "acct-bob"]
    record = await db[c.DISCLOSURES].find_one({"_id": "d-shared"})
    request = await db[c.LEGAL_REQUESTS].find_one({"_id": "lr-shared"})
    assert record is not None and record["subjects"] == expected
    assert request is not None and request["subjects"] == expected


async def test_a_read_while_an_erasure_runs_leaves_no_record_with_the_real_id(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Until its document goes, a locked account can still be read by its domain admin; the
    records of such reads are pseudonymised too, not left behind with the real id."""
    learner = account_id("learner03")
    await erasure._start(demo_db, learner, datetime.now(UTC))
    job = await demo_db[c.ERASURES].find_one({"_id": learner})
    assert job is not None
    for name, step in erasure.STEPS:  # every step before the account document goes
        if name == "account":
            break
        await step(demo_db, learner, job["pseudonym"])
        await demo_db[c.ERASURES].update_one({"_id": learner}, {"$addToSet": {"done": name}})
    read = await gateway.query(f'{{ account(id: "{learner}") {{ email }} }}', as_="dora")
    assert read == {"data": {"account": {"email": "learner03@uni-graz.example"}}}
    await erasure.erase_account(demo_db, learner, datetime.now(UTC))  # the rest of the job
    [kept] = await records(demo_db, subject=job["pseudonym"], principal_id=account_id("dora"))
    assert kept["fields"] == ["Account.email"]
    assert await nothing_left_of(demo_db, learner) == []
