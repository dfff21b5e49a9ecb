"""`imoox-gateway seed --scale N`: a realistic institution on top of the demo world, loaded
once however often it is asked for; and `bench/examined.py`, which tells what a read examined."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient, MongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.examined import Examined, ReadCapture, examined_of, explain_reads
from gateway.settings import Settings
from resolvers import collections as c
from resolvers.rollups import REBUILD
from resolvers.scale_world import chunk_documents, load_scale_world, scale_account_id
from tests.client import running
from tests.processes import run_cli, snapshot

DEMO_ACCOUNTS = 53
UNTIL = datetime(2026, 11, 30, 12, tzinfo=UTC)
UTC_NOON = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _quiet(line: str) -> None:
    pass


def test_seed_scale_loads_what_it_says_once(mongo_uri: str) -> None:
    database = f"test_scale_{uuid.uuid4().hex[:8]}"
    env = {"MONGODB_URI": mongo_uri, "IMOOX_DATABASE": database}
    with MongoClient(mongo_uri, tz_aware=True) as client:
        try:
            first = run_cli("seed", "--scale", "200", env=env)
            assert first.returncode == 0, first.stderr
            assert "scale: 200 accounts ready" in first.stderr
            assert "counter and mark documents written" in first.stderr
            db = client[database]
            ids = [scale_account_id(n) for n in range(1, 201)]
            assert db.accounts.count_documents({}) == DEMO_ACCOUNTS + 200
            assert db.accounts.count_documents({"_id": {"$in": ids}}) == 200
            _assert_realistic(client, database)
            before = snapshot(client, database)

            second = run_cli("seed", "--scale", "200", env=env)
            assert second.returncode == 0, second.stderr
            assert "0 documents inserted" in second.stderr
            assert "200 accounts were there already" in second.stderr
            assert "rollups: up to date" in second.stderr  # nothing to recount
            assert snapshot(client, database) == before

            # A rebuild that stopped half-way is finished by the next load.
            db.counters.insert_one({"_id": REBUILD})
            third = run_cli("seed", "--scale", "200", env=env)
            assert third.returncode == 0, third.stderr
            assert "counter and mark documents written" in third.stderr
            assert db.counters.find_one({"_id": REBUILD}) is None
            assert snapshot(client, database) == before
        finally:
            client.drop_database(database)


def test_seed_scale_refuses_production(mongo_uri: str) -> None:
    database = f"test_scale_{uuid.uuid4().hex[:8]}"
    env = {"MONGODB_URI": mongo_uri, "IMOOX_DATABASE": database, "IMOOX_ENV": "production"}
    result = run_cli("seed", "--scale", "10", env=env)
    assert result.returncode == 1
    assert "not in production" in result.stderr
    with MongoClient(mongo_uri) as client:
        assert database not in client.list_database_names()


def _assert_realistic(client: MongoClient[dict[str, Any]], database: str) -> None:
    """The generated documents look like the gateway's own, and pass the validators."""
    db = client[database]
    try:
        accounts = list(db.accounts.find({"_id": {"$regex": "^acct-[0-9a-f]{20}$"}}))
        assert len(accounts) == 200
        domains = Counter(account["domain"] for account in accounts)
        assert set(domains) == {"uni-graz", "tu-wien", None}
        assert domains["uni-graz"] > domains["tu-wien"] > domains[None] > 0
        statuses = Counter(account["status"] for account in accounts)
        assert statuses["ACTIVE"] > 180
        assert {key for a in accounts for key in a["settings"]} == {
            "language", "personalized_ads", "friends_recommendations", "profile_visibility",
        }  # fmt: skip
        assert {a["settings"]["personalized_ads"] for a in accounts} == {True, False}
        assert any(a["ad_interests"] for a in accounts)
        assert all(a["password_hash"] is None for a in accounts)  # they cannot sign in

        owners = {a["_id"] for a in accounts}
        items = list(db.content.find({"owner": {"$in": list(owners)}}))
        kinds = Counter(item["kind"] for item in items)
        assert set(kinds) == set(c.CONTENT_KINDS)
        visibilities = {i["visibility"] for i in items if i["kind"] not in ("COMMENT", "EMAIL")}
        assert visibilities == {"PUBLIC", "SHARED", "PRIVATE"}
        known = owners | {a["_id"] for a in db.accounts.find({}, {"_id": 1})}
        for item in items:
            match item["kind"]:
                case "COMMENT":
                    parent = db.content.find_one({"_id": item["parent"]})
                    assert parent is not None and parent["visibility"] == "PUBLIC"
                case "EMAIL":
                    assert item["recipients"] and set(item["recipients"]) <= known
                case _ if item["visibility"] == "SHARED":
                    assert item["shared_with"] and set(item["shared_with"]) <= known
        stamped = [i["created_at"] for i in items]
        assert (max(stamped) - min(stamped)).days > 365  # two years of history

        for name in (c.SIGN_INS, c.DEVICES, c.NOTIFICATIONS, c.CONSENTS, c.DISCLOSURES):
            people = set(db[name].distinct(_OWNER_KEY.get(name, "account")))
            assert people and people <= known, name
        partners = {p["_id"] for p in db.partners.find()}
        assert set(db.consents.distinct("recipient")) <= partners

        # Every document passes the collections' validators (inserted anew, validated).
        scratch = client[f"{database}_check"]
        for name in c.VALIDATORS:
            scratch.create_collection(name, validator={"$jsonSchema": c.VALIDATORS[name]})
        assert len(scratch.accounts.insert_many(accounts).inserted_ids) == 200
        assert len(scratch.content.insert_many(items).inserted_ids) == len(items)
    finally:
        client.drop_database(f"{database}_check")


_OWNER_KEY = {c.CONSENTS: "subject", c.DISCLOSURES: "subjects"}


async def _counts(db: AsyncDatabase[Any]) -> dict[str, int]:
    return {name: await db[name].count_documents({}) for name in c.ALL}


async def test_an_interrupted_load_is_finished_and_levels_nest(demo_db: AsyncDatabase[Any]) -> None:
    demo = await _counts(demo_db)
    # Interrupted: the first chunk's items went in, its accounts never did.
    first_chunk = chunk_documents(1, 100, UNTIL)
    await demo_db.content.insert_many(first_chunk.by_collection[c.CONTENT])
    await load_scale_world(demo_db, 100, UNTIL, _quiet)
    await load_scale_world(demo_db, 150, UNTIL, _quiet)

    expected = dict(demo)
    for name, docs in chunk_documents(1, 150, UNTIL).by_collection.items():
        expected[name] += len(docs)
    assert await _counts(demo_db) == expected
    again = await load_scale_world(demo_db, 150, UNTIL, _quiet)
    assert (again.skipped, again.documents) == (150, 0)


async def test_the_gateway_answers_the_demo_queries_after_a_load(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    await load_scale_world(demo_db, 200, UNTIL, _quiet)
    async with running(settings) as gateway:
        feed = await gateway.query("{ publicFeed(first: 5) { edges { node { id title } } } }")
        me = await gateway.query("{ me { displayName content { id } } }", as_="alice")
        members = await gateway.query(
            '{ domain(id: "uni-graz") { members(first: 20) { edges { node { id email } } } } }',
            as_="dora",
        )
        bob = await gateway.query('{ account(id: "acct-bob") { email } }', as_="police-graz")
    assert "errors" not in feed and len(feed["data"]["publicFeed"]["edges"]) == 5
    assert me["data"]["me"]["displayName"] == "Alice Amsel"
    assert {item["id"] for item in me["data"]["me"]["content"]} == {
        "post-alice-garden", "post-alice-cycling", "photo-alice-schlossberg",
        "post-alice-shared", "post-alice-private", "email-alice-bob",
    }  # fmt: skip
    assert "errors" not in members and len(members["data"]["domain"]["members"]["edges"]) == 20
    assert bob == {"data": {"account": {"email": "bob@uni-graz.example"}}}


async def _own_items(db: AsyncDatabase[Any], owner: str, count: int, *, title: str) -> None:
    await db.content.insert_many(
        [
            {
                "_id": f"{owner}-{n}",
                "owner": owner,
                "kind": "POST",
                "visibility": "PUBLIC",
                "title": title,
                "body": "…",
                "shared_with": [],
                "recipients": [],
                "parent": None,
                "created_at": UTC_NOON,
            }
            for n in range(count)
        ]
    )


async def test_examined_tells_an_index_read_from_a_collection_scan(
    mongo_uri: str, db: AsyncDatabase[Any]
) -> None:
    await _own_items(db, "acct-few", 3, title="few")
    await _own_items(db, "acct-many", 97, title="many")
    capture = ReadCapture()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[capture]
    )
    try:
        content = client[db.name][c.CONTENT]
        await content.find({"owner": "acct-few"}).to_list()  # `by_owner_visibility`
        await (await content.aggregate([{"$match": {"owner": "acct-few"}}])).to_list()
        await content.find({"title": "few"}).to_list()  # no index: every item is read
        operations, reads = capture.take()
        assert [read.name for read in reads] == ["find", "aggregate", "find"]
        assert operations == Counter({"find": 2, "aggregate": 1})
        examined = await explain_reads(client, reads)
    finally:
        await client.close()
    assert [e.docs for e in examined] == [3, 3, 100]
    assert [e.collection_scans for e in examined] == [0, 0, 1]


def test_examined_reads_mongodb_aggregate_and_sharded_shapes() -> None:
    classic = {
        "stages": [
            {
                "$cursor": {
                    "queryPlanner": {"winningPlan": {"stage": "FETCH", "inputStage": {}}},
                    "executionStats": {"totalDocsExamined": 20, "totalKeysExamined": 21},
                }
            },
            {"$lookup": {}, "totalDocsExamined": 7, "totalKeysExamined": 7, "collectionScans": 1},
            {"$project": {}},
        ]
    }
    assert examined_of(classic) == Examined(docs=27, keys=28, collection_scans=1)
    secantus = {
        "executionStats": {"totalDocsExamined": 5, "totalKeysExamined": 5},
        "queryPlanner": {"winningPlan": {"stage": "COLLSCAN"}},
        "stages": [{"$cursor": {"executionStats": {"totalDocsExamined": 5}}}, {"$limit": 1}],
    }
    assert examined_of(secantus) == Examined(docs=5, keys=5, collection_scans=1)
    assert examined_of({"shards": {"a": classic, "b": secantus}}) == Examined(32, 33, 2)


async def test_the_capture_keeps_a_requests_reads_and_not_the_gateways_own(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    capture = ReadCapture()
    async with running(settings, event_listeners=[capture]) as gateway:
        await gateway.query("{ __typename }")
        capture.take()
        body = await gateway.query('{ content(id: "post-alice-garden") { id } }')
        _, reads = capture.take()
    assert body == {"data": {"content": {"id": "post-alice-garden"}}}
    assert {read.command[read.name] for read in reads} == {c.CONTENT}
    assert all("lsid" not in read.command and "$db" not in read.command for read in reads)


async def test_a_load_outlives_connections_the_server_closes(
    mongo_uri: str, mongo: AsyncMongoClient[dict[str, Any]], demo_db: AsyncDatabase[Any]
) -> None:
    """The embedded server's URI turns retryable writes off, so a connection it drops fails an
    insert outright: the loader inserts again what may not be in (its inserts are idempotent)."""
    demo = await _counts(demo_db)
    app_name = f"scale-faults-{uuid.uuid4().hex[:8]}"
    loader: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, appName=app_name, tz_aware=True
    )
    await mongo.admin.command(
        "configureFailPoint",
        "failCommand",
        mode={"times": 3},
        data={"failCommands": ["insert"], "appName": app_name, "closeConnection": True},
    )
    try:
        await load_scale_world(loader[demo_db.name], 100, UNTIL, _quiet)
    finally:
        await mongo.admin.command("configureFailPoint", "failCommand", mode="off")
        await loader.close()
    expected = dict(demo)
    for name, docs in chunk_documents(1, 100, UNTIL).by_collection.items():
        expected[name] += len(docs)
    assert await _counts(demo_db) == expected
