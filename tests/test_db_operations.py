"""Database operations per request for the pages people use most (issue 11's targets).

Counted with a command listener on the gateway's own client, for a warm request (the second
of two alike), through HTTP, on the demo world (SPEC §9) and on the world `bench/e2e.py`
measures (the demo world and 110 members of uni-graz with a public post each: the feed and
the member page are full, the feed's newest items months old).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase

from bench.workload import seed_bench_world
from gateway.settings import Settings
from resolvers.collections import ACCOUNTS
from resolvers.demo_world import seed_demo_world
from tests.client import running
from tests.commands import is_authentication

WRITES = frozenset({"insert", "update", "delete", "findAndModify"})


@dataclass
class Operations(monitoring.CommandListener):
    """Commands the gateway sends: reads and writes, each named with its collection."""

    reads: Counter[str] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if is_authentication(event.command):
            return
        name = event.command_name
        kind = self.writes if name in WRITES else self.reads
        kind[f"{name} {event.command.get(name)}"] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def operations(settings: Settings, query: str, as_: str | None) -> Operations:
    """What the second of two alike requests sent (the client's closing `endSessions` is
    not the request's)."""
    listener = Operations()
    async with running(settings, event_listeners=[listener]) as gateway:
        await gateway.query(query, as_=as_)
        listener.reads.clear()
        listener.writes.clear()
        body = await gateway.query(query, as_=as_)
        counted = Operations(listener.reads.copy(), listener.writes.copy())
    assert "errors" not in body, body
    return counted


FEED = "{ publicFeed(first: 20) { edges { node { id title author { id displayName } } } } }"
ME = """{ me { id displayName email stats { contentCount }
               content { id kind title visibility createdAt } } }"""
MEMBERS = """{ domain(id: "uni-graz") { name
  members(first: 20) { edges { node { id displayName email status } }
                       pageInfo { hasNextPage endCursor } }
  domainStats { members active suspended blocked appsInstalled } } }"""
MEMBERS_100 = """{ domain(id: "uni-graz") {
  members(first: 100) { edges { node { id displayName email status } } } } }"""
PARTNER = "{ partnerContacts { consentFields account { id displayName phone } } }"
PROCESSOR = "{ supportCases { id status account { id displayName email status } } }"


@pytest.fixture(params=["demo world", "e2e world"])
async def world(request: pytest.FixtureRequest, db: AsyncDatabase[Any]) -> AsyncDatabase[Any]:
    if request.param == "demo world":
        await seed_demo_world(db)
    else:
        await seed_bench_world(db)
    return db


@pytest.mark.parametrize(
    ("query", "as_", "reads", "writes"),
    [
        # A content list reads bounded time windows (`resolvers.windows`); a warm first page
        # starts at the width its list last needed: one window, whether the list is shorter
        # than its page (the demo world: read whole) or its newest page is months old (the
        # e2e world), and one read of the authors.
        pytest.param(FEED, None, 2, 0, id="anonymous feed"),
        pytest.param(ME, "alice", 3, 0, id="alice me with content"),
        pytest.param(MEMBERS, "dora", 3, 1, id="dora members with stats"),
        pytest.param(MEMBERS_100, "dora", 3, 1, id="dora 100 members"),
        # So do a partner's contacts and a processor's cases (a window whose condition names
        # the time now learns like any other); the contacts' consents in force are read once
        # more for the partner's standing, their accounts once.
        pytest.param(PARTNER, "flowershop", 3, 1, id="flowershop consented contacts"),
        pytest.param(PROCESSOR, "helpdesk-co", 2, 1, id="helpdesk-co open cases"),
    ],
)
async def test_operations_per_request(
    settings: Settings,
    world: AsyncDatabase[Any],
    query: str,
    as_: str | None,
    reads: int,
    writes: int,
) -> None:
    counted = await operations(settings, query, as_)
    assert sum(counted.reads.values()) <= reads, counted.reads
    assert sum(counted.writes.values()) <= writes, counted.writes


async def test_domain_stats_read_with_the_domain_answer_through_fragments_and_aliases(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """The domain's read counts its members when the query selects `domainStats`, however
    it is spelled."""
    members = await demo_db[ACCOUNTS].count_documents({"domain": "uni-graz"})
    query = """{ domain(id: "uni-graz") { ...numbers } }
      fragment numbers on Domain { ... on Domain { n: domainStats { members } } }"""
    async with running(settings) as gateway:
        body = await gateway.query(query, as_="dora")
    assert body == {"data": {"domain": {"n": {"members": members}}}}


async def test_what_is_read_covers_every_selection_of_a_merged_field(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """A field selected twice under one response key is one field (GraphQL merges them):
    what is read for it covers both selections."""
    members = await demo_db[ACCOUNTS].count_documents({"domain": "uni-graz"})
    domain = (
        '{ domain(id: "uni-graz") { name } domain(id: "uni-graz") { domainStats { members } } }'
    )
    async with running(settings) as gateway:
        me = await gateway.query("{ me { displayName } me { email } }", as_="alice")
        numbers = await gateway.query(domain, as_="dora")
    assert me == {"data": {"me": {"displayName": "Alice Amsel", "email": "alice@uni-graz.example"}}}
    assert numbers == {
        "data": {"domain": {"name": "Universität Graz", "domainStats": {"members": members}}}
    }
