"""A change the database trims from its log before the stream reads it still binds.

SecantusDB keeps its newest 100,000 log entries and trims older ones even past a live change
stream's position; the stream then steps over them without an error. A stream that falls
behind therefore starts over (memory reloaded) instead of trusting what it may have skipped.
"""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers import collections as c
from resolvers.demo_world import account_id
from tests.client import running
from tests.standing import (
    SIGN_OUT,
    Ask,
    StandingReads,
    answers_until_from_memory,
    asking,
    committed_backlog,
    held_stream,
    warm,
)

ALICE = account_id("alice")


async def first_answer_from_memory(ask: Ask, reads: StandingReads) -> int:
    """The status of the first request answered from memory once the stream has caught up
    (scanning the backlog takes a while)."""
    return (await answers_until_from_memory(ask, reads, within=180.0))[-1]


async def test_a_suspension_whose_log_entry_is_pruned_before_the_stream_reads_it_still_binds(
    settings: Settings, demo_db: AsyncDatabase[Any], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """SecantusDB keeps at most 100,000 log entries (`oplog_max_entries`), and a live change
    stream steps over entries pruned before it read them, without an error (mongod would end
    the stream: ChangeStreamHistoryLost). While the stream is slow (here held by a fail point),
    other services write 25,000 documents, an operator suspends alice and other services
    write 125,000 more: the suspension's
    entry is pruned unread. Once the stream has scanned the rest, its mark comes back, memory
    is fresh again and still holds alice as ACTIVE: her token acts, with no time bound."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        alice = asking(gateway, gateway.token("alice"))
        bob = asking(gateway, gateway.token("bob"))
        await warm(alice, reads)
        async with held_stream(mongo):
            await committed_backlog(mongo, demo_db, 25_000)  # the stream is behind
            await demo_db[c.ACCOUNTS].update_one({"_id": ALICE}, {"$set": {"status": "SUSPENDED"}})
            for _ in range(5):
                await committed_backlog(mongo, demo_db, 25_000)

        # Alice does not ask while the stream is behind (a read would cache her suspension);
        # bob's requests show when memory is trusted again.
        assert await first_answer_from_memory(bob, reads) == 200
        assert await alice() == 401, "a token of a suspended account acts"


async def test_a_sign_out_whose_log_entry_is_pruned_before_the_stream_reads_it_still_binds(
    settings: Settings, demo_db: AsyncDatabase[Any], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """As above, for alice's own sign-out through the gateway: its revocation is pruned from
    the log unread, so the revoked ids in memory never get it. The process's own write only
    forces reads until a later mark comes back."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        token = gateway.token("alice")
        alice = asking(gateway, token)
        await warm(alice, reads)
        async with held_stream(mongo):
            await committed_backlog(mongo, demo_db, 25_000)  # the stream is behind
            assert await gateway.query(SIGN_OUT, token=token) == {
                "data": {"signOut": {"signedOut": True}}
            }
            for _ in range(5):
                await committed_backlog(mongo, demo_db, 25_000)
        assert await first_answer_from_memory(alice, reads) == 401, "a signed-out token acts"
