"""Rollups and counters (`resolvers.rollups`): right after every kind of write, unchanged by a
write that fails, equal to a rebuild from the collections, and read in O(1) documents."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import MongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from authz.aggregates import K
from gateway.settings import Settings
from resolvers import collections as c
from resolvers import rollups
from resolvers.rollup_rebuild import STEP, _store, expected, rebuild
from resolvers.rollups import FIELDS
from tests.client import GatewayClient, error_codes, running
from tests.processes import run_cli
from tests.sign_ups import sign_in, sign_up

CREATE = "mutation($input: CreateContentInput!) { createContent(input: $input) { content { id } } }"
DELETE = "mutation($id: ID!) { deleteContent(input: {id: $id}) { deletedId } }"
COUNT = "{ me { stats { contentCount } } }"
STATS = '{ domain(id: "uni-graz") { domainStats { members active suspended blocked } } }'
AUDIENCE = "query($i: String!) { adAudience(interest: $i) { accounts } }"
TRENDS = """query($p: TrendPeriod!, $s: String, $u: String) {
  usageTrends(period: $p, since: $s, until: $u) {
    period signUps activeAccounts contentCreated { kind count } } }"""


def _quiet(step: str, done: int) -> None:
    pass


async def exact(db: AsyncDatabase[Any]) -> None:
    """The counters and marks are what a rebuild from the collections would make."""
    counters, marks = await expected(db, _quiet)
    stored = {d["_id"]: d async for d in db[c.COUNTERS].find({"_id": {"$ne": rollups.REBUILD}})}
    stored_marks = {d["_id"]: d async for d in db[c.ROLLUP_MARKS].find()}

    def numbers(docs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Without the documents that count nothing (a counter back at zero)."""
        kept = {}
        for key, doc in docs.items():
            values = {k: v for k, v in doc.items() if k not in ("_id", "account", "cell") and v}
            if values:
                kept[key] = values
        return kept

    assert numbers(stored) == numbers(counters)
    assert numbers(stored_marks) == numbers(marks)


async def content_count(gateway: GatewayClient, **who: Any) -> int:
    body = await gateway.query(COUNT, **who)
    assert "errors" not in body, body
    count: int = body["data"]["me"]["stats"]["contentCount"]
    return count


async def domain_stats(gateway: GatewayClient) -> dict[str, int]:
    body = await gateway.query(STATS, as_="dora")
    assert "errors" not in body, body
    stats: dict[str, int] = body["data"]["domain"]["domainStats"]
    return stats


async def audience(db: AsyncDatabase[Any], interest: str) -> int:
    found = await rollups.read(db, [f"audience|{interest}"])
    return int(found.get(f"audience|{interest}", {}).get("n", 0))


async def test_counters_follow_every_kind_of_write(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await exact(demo_db)
    before = await domain_stats(gateway)
    # Sign-up in a domain: one more member, active.
    nora = await sign_up(gateway, demo_db, "nora", email="nora@uni-graz.example", domain="uni-graz")
    stats = await domain_stats(gateway)
    assert stats["members"] == (before["members"] or 0) + 1
    await exact(demo_db)
    # Sign-in: nora is an active account of this week, once however often she signs in.
    token = (await sign_in(gateway, "nora", "laptop"))["data"]["signIn"]["accessToken"]
    await sign_in(gateway, "nora", "laptop")
    week = rollups.ACTIVE_ACCOUNTS.cells_of({"at": datetime.now(UTC)})[0]
    marks = await demo_db[c.ROLLUP_MARKS].find({"account": nora, "cell": week}).to_list()
    assert [mark["n"] for mark in marks] == [2]
    await exact(demo_db)
    # Items count for their owner, comments do not; deleting takes an item back.
    assert await content_count(gateway, token=token) == 0
    post = {"kind": "POST", "body": "hi", "visibility": "PUBLIC"}
    created = await gateway.query(CREATE, {"input": post}, token=token)
    item = created["data"]["createContent"]["content"]["id"]
    comment = {"kind": "COMMENT", "body": "mine", "parentId": item}
    await gateway.query(CREATE, {"input": comment}, token=token)
    await gateway.query(CREATE, {"input": {**comment, "body": "bob's"}}, as_="bob")
    assert await content_count(gateway, token=token) == 1
    await exact(demo_db)
    deleted = await gateway.query(DELETE, {"id": item}, token=token)
    assert deleted["data"]["deleteContent"]["deletedId"] == item
    assert await content_count(gateway, token=token) == 0
    await exact(demo_db)
    # Settings and interests: the audience grows only with both, and only while active.
    chess = await audience(demo_db, "chess")
    interests = 'mutation { updateProfile(input: {adInterests: ["chess"]}) { account { id } } }'
    assert "errors" not in await gateway.query(interests, token=token)
    assert await audience(demo_db, "chess") == chess
    ads = "mutation { updateSettings(input: {personalizedAds: true}) { account { id } } }"
    assert "errors" not in await gateway.query(ads, token=token)
    assert await audience(demo_db, "chess") == chess + 1
    await exact(demo_db)
    # An admin's suspension moves nora between statuses and out of the audience; restoring
    # moves her back.
    member = f'(input: {{accountId: "{nora}"}}) {{ account {{ id }} }} }}'
    assert "errors" not in await gateway.query("mutation { suspendAccount" + member, as_="dora")
    stats = await domain_stats(gateway)
    # One suspended member is fewer than k: shown as null, counted all the same.
    assert (stats["active"], stats["suspended"]) == (before["active"], None)
    [domain] = await demo_db[c.COUNTERS].find({"_id": "domain|uni-graz"}).to_list()
    assert domain["SUSPENDED"] == 1
    assert await audience(demo_db, "chess") == chess
    await exact(demo_db)
    assert "errors" not in await gateway.query("mutation { restoreAccount" + member, as_="dora")
    assert await audience(demo_db, "chess") == chess + 1
    await exact(demo_db)
    # Erasure takes everything of nora back, her marks included (her suspension ended
    # her token).
    token = (await sign_in(gateway, "nora", "laptop"))["data"]["signIn"]["accessToken"]
    erased = await gateway.query(
        "mutation { deleteMyAccount(input: {confirm: true}) { erased } }", token=token
    )
    assert erased["data"]["deleteMyAccount"]["erased"] is True
    assert await domain_stats(gateway) == before
    assert await audience(demo_db, "chess") == chess
    assert await demo_db[c.ROLLUP_MARKS].count_documents({"account": nora}) == 0
    assert await demo_db[c.COUNTERS].count_documents({"account": nora}) == 0
    await exact(demo_db)


async def test_a_write_that_fails_counts_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await demo_db[c.COUNTERS].find().sort("_id").to_list()
    # Reject mode rolls back a suspension whose payload is denied: the counts with it.
    refused = await gateway.post(
        'mutation { suspendAccount(input: {accountId: "acct-bob"})'
        " { account { id billing { iban } } } }",
        as_="dora",
        headers={"X-Authz-Mode": "reject"},
    )
    assert error_codes(refused.json()) == ["FORBIDDEN"]
    assert await demo_db[c.COUNTERS].find().sort("_id").to_list() == before

    # A fault while counting a new item: neither the item nor any count stays.
    async def broken(*_: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(rollups, "apply", broken)
    items = await demo_db[c.CONTENT].count_documents({})
    post = {"kind": "POST", "body": "hi", "visibility": "PUBLIC"}
    failed = await gateway.query(CREATE, {"input": post}, as_="alice")
    assert error_codes(failed) == ["INTERNAL_SERVER_ERROR"]
    assert await demo_db[c.CONTENT].count_documents({}) == items
    assert await demo_db[c.COUNTERS].find().sort("_id").to_list() == before


async def test_a_rebuild_equals_the_counts_kept_and_changes_nothing_twice(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await gateway.query(CREATE, {"input": {"kind": "PHOTO", "body": "b"}}, as_="alice")
    await exact(demo_db)
    kept = await demo_db[c.COUNTERS].find().sort("_id").to_list()
    # Only documents back at zero (none here) could differ; a second run changes nothing.
    assert await rebuild(demo_db, _quiet) == 0
    assert await demo_db[c.COUNTERS].find().sort("_id").to_list() == kept
    # A rebuild finds what was written around the gateway, and drops what counts nothing.
    await demo_db[c.COUNTERS].insert_one({"_id": "audience|nonsense", "n": 7})
    await demo_db[c.COUNTERS].update_one({"_id": "content|acct-alice"}, {"$inc": {"n": 5}})
    assert await rebuild(demo_db, _quiet) == 2
    assert await demo_db[c.COUNTERS].find().sort("_id").to_list() == kept
    assert not await rollups.rebuilding(demo_db)


async def _past_posts(db: AsyncDatabase[Any], authors: int, week: datetime) -> None:
    """One post each by `authors` demo learners in `week`, written around the gateway."""
    learners = await db[c.ACCOUNTS].find({"username": {"$regex": "^learner"}}).to_list(authors)
    await db[c.CONTENT].insert_many(
        [
            {
                "_id": f"past-{n}",
                "owner": learner["_id"],
                "kind": "VIDEO",
                "visibility": "PUBLIC",
                "title": None,
                "body": "…",
                "shared_with": [],
                "recipients": [],
                "parent": None,
                "created_at": week + timedelta(hours=n),
            }
            for n, learner in enumerate(learners)
        ]
    )


@pytest.mark.parametrize(("authors", "shown"), [(K - 1, None), (K, K)])
async def test_k_anonymity_suppresses_small_rollup_cells(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], authors: int, shown: int | None
) -> None:
    # 2025-W40 (Monday 29 September 2025): written around the gateway, so counted by the
    # rebuild the aggregates run when they notice it.
    await _past_posts(demo_db, authors, datetime(2025, 9, 29, tzinfo=UTC))
    body = await gateway.query(
        TRENDS, {"p": "WEEK", "s": "2025-W40", "u": "2025-W40"}, as_="trendlens"
    )
    [week] = body["data"]["usageTrends"]
    videos = [kind["count"] for kind in week["contentCreated"] if kind["kind"] == "VIDEO"]
    assert videos == [shown]
    await exact(demo_db)


async def test_an_erasure_after_publication_changes_no_published_audience(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    first = await gateway.query(AUDIENCE, {"i": "gardening"}, as_="adnet")
    shown = first["data"]["adAudience"]["accounts"]
    assert shown is not None
    gardeners = (
        await demo_db[c.ACCOUNTS]
        .find({"ad_interests": "gardening", "settings.personalized_ads": True}, {"username": 1})
        .to_list()
    )
    await gateway.query(
        "mutation { deleteMyAccount(input: {confirm: true}) { erased } }",
        as_=gardeners[0]["username"],
    )
    assert await audience(demo_db, "gardening") == shown - 1
    again = await gateway.query(AUDIENCE, {"i": "gardening"}, as_="adnet")
    assert again["data"]["adAudience"]["accounts"] == shown


class Returned(monitoring.CommandListener):
    """Documents each collection sent back to the driver (first batches and further ones);
    a collection's size (`count` without a filter, the rollups' drift check) under `count`."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.documents: Counter[str] = Counter()
        #: Every collection a query read from, `$lookup`s included (sizes, `count`, aside).
        self.read: set[str] = set()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = event.command
        match event.command_name:
            case "getMore":
                name = command["collection"]
            case "count":
                assert not command.get("query"), command
                name = "count"
            case _:
                name = command.get(event.command_name)
        self.names[event.request_id] = name if isinstance(name, str) else event.command_name
        # The caller's own standing is one account read by its id, whatever the request.
        by_id = isinstance((command.get("filter") or {}).get("_id"), str)
        if event.command_name in ("find", "aggregate", "distinct") and not by_id:
            self.read.add(self.names[event.request_id])
        for stage in command.get("pipeline", []):
            if "$lookup" in stage:
                self.read.add(stage["$lookup"]["from"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        cursor = event.reply.get("cursor") or {}
        batch = cursor.get("firstBatch", cursor.get("nextBatch", []))
        self.documents[self.names.pop(event.request_id, "?")] += len(batch)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.names.pop(event.request_id, None)


async def _many(db: AsyncDatabase[Any], accounts: int, items: int) -> None:
    """`accounts` members of uni-graz allowing ads for chess, and `items` posts among them,
    from 2025 on, written around the gateway and then rebuilt."""
    start = datetime(2025, 1, 6, tzinfo=UTC)
    await db[c.ACCOUNTS].insert_many(
        [
            {
                "_id": f"acct-many{n:05d}",
                "username": f"many{n:05d}",
                "email": f"many{n:05d}@uni-graz.example",
                "display_name": f"Many {n}",
                "domain": "uni-graz",
                "status": "ACTIVE",
                "settings": {"personalized_ads": True},
                "ad_interests": ["chess"],
                "created_at": start + timedelta(hours=3 * n),
            }
            for n in range(accounts)
        ]
    )
    await db[c.CONTENT].insert_many(
        [
            {
                "_id": f"many-{n:05d}",
                "owner": f"acct-many{n % accounts:05d}",
                "kind": "POST",
                "visibility": "PUBLIC",
                "shared_with": [],
                "recipients": [],
                "parent": None,
                "created_at": start + timedelta(hours=n),
            }
            for n in range(items)
        ]
    )
    await rebuild(db, _quiet)


MEMBERS = """{ domain(id: "uni-graz") {
  members(first: 20) { edges { node { id stats { contentCount } } } } } }"""


def aggregates(year: int, interest: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The aggregate requests, asking for numbers not published yet (`year`, `interest`)."""
    months = {"p": "MONTH", "s": f"{year}-01", "u": f"{year}-12"}
    return [
        ("trendlens", TRENDS, months),
        ("adnet", AUDIENCE, {"i": interest}),
        ("dora", STATS, None),
        ("dora", MEMBERS, None),
    ]


async def _documents(
    gateway: GatewayClient, returned: Returned, year: int, interest: str
) -> list[Counter[str]]:
    found = []
    for as_, query, variables in aggregates(year, interest):
        returned.documents.clear()
        returned.read.clear()
        body = await gateway.query(query, variables, as_=as_)
        assert "errors" not in body, body
        found.append(returned.documents.copy())
        if query != MEMBERS:
            # An aggregate reads no account, item or sign-in at all, server-side either.
            assert not {c.ACCOUNTS, c.CONTENT, c.SIGN_INS} & returned.read, returned.read
    return found


async def test_aggregates_read_a_constant_number_of_documents(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """With 600 more accounts and 1,200 more items, publishing an aggregate or reading a
    count reads no item or sign-in, and about as many documents as on the demo world."""
    returned = Returned()
    async with running(settings, event_listeners=[returned]) as gateway:
        small = await _documents(gateway, returned, 2024, "books")
        await _many(demo_db, 600, 1_200)
        large = await _documents(gateway, returned, 2025, "chess")
    for before, after in zip(small, large, strict=True):
        assert not {c.CONTENT, c.SIGN_INS} & set(after), after
        # A members page reads its page of accounts (and its loaders, again), no more.
        assert after[c.ACCOUNTS] <= 2 * 21, after
        # Published cells: as many as the periods asked, whatever the data; a rollup cell or
        # counter is read only for a number not published yet (or a member listed), besides
        # the totals of the counted collections (the drift check).
        assert after[c.PUBLISHED_COUNTS] == before[c.PUBLISHED_COUNTS], (before, after)
        assert after[c.COUNTERS] <= max(after[c.PUBLISHED_COUNTS], 20) + len(FIELDS), after


def test_the_rebuild_command_recounts_with_progress_and_is_idempotent(mongo_uri: str) -> None:
    database = f"test_rebuild_{uuid.uuid4().hex[:8]}"
    env = {"MONGODB_URI": mongo_uri, "IMOOX_DATABASE": database}
    with MongoClient(mongo_uri) as client:
        try:
            assert run_cli("seed", "--demo", env=env).returncode == 0
            counters = client[database][c.COUNTERS]
            kept = list(counters.find().sort("_id"))
            counters.update_one({"_id": "content|acct-alice"}, {"$inc": {"n": 3}})
            first = run_cli("rollups", "rebuild", env=env)
            assert first.returncode == 0, first.stderr
            assert "read accounts: 53" in first.stderr
            assert "rollups rebuilt: 1 documents changed" in first.stderr
            assert list(counters.find().sort("_id")) == kept
            second = run_cli("rollups", "rebuild", env=env)
            assert "rollups rebuilt: 0 documents changed" in second.stderr
        finally:
            client.drop_database(database)


async def test_a_rebuild_leaves_a_document_a_concurrent_write_inserted_first(
    demo_db: AsyncDatabase[Any], mongo_uri: str
) -> None:
    """Missing documents are inserted (not upserted, 2.5x faster on SecantusDB); one that a
    write of the gateway inserted in the meantime is refused by its id, not an error, and
    kept for the next pass to compare."""
    probe = f"probe_{uuid.uuid4().hex[:8]}"
    wanted = {f"m{n}": {"_id": f"m{n}", "n": 1} for n in range(STEP + 1)}
    late = f"m{STEP}"  # in the second bulk write

    def concurrent_write(step: str, done: int) -> None:
        if done == STEP:  # between the two bulk writes
            with MongoClient(mongo_uri) as client:
                client[demo_db.name][probe].insert_one({"_id": late, "n": 2})

    assert await _store(demo_db, probe, wanted, concurrent_write) == STEP + 1
    assert await demo_db[probe].count_documents({}) == STEP + 1
    assert (await demo_db[probe].find_one({"_id": late}) or {})["n"] == 2


async def test_a_crowd_commenting_on_one_item_all_lands(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Every comment on an item counts in the same documents (the item's comment counter, the
    period cells), so writers at once conflict and take turns; none answers a fault (the
    attack review: 1 to 4 of 40, 8 at a time, did when the turns were a count of attempts)."""
    at_once = asyncio.Semaphore(8)

    async def comment(n: int) -> dict[str, Any]:
        create = {"kind": "COMMENT", "body": f"crowd {n}", "parentId": "post-alice-cycling"}
        async with at_once:
            return await gateway.query(
                CREATE, {"input": create}, as_=("bob", "carol", "erin")[n % 3]
            )

    answers = await asyncio.gather(*(comment(n) for n in range(40)))
    assert [answer.get("errors") for answer in answers] == [None] * 40
    assert await demo_db[c.CONTENT].count_documents({"body": {"$regex": "^crowd "}}) == 40
    await exact(demo_db)
