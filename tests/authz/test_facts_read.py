"""Facts a root already read (a processor's open cases) decide the caller's standing exactly
as `Standings.load` reading them would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from authz.principals import Principal
from authz.standing import Standings
from resolvers.demo_world import DEMO_PRINCIPALS
from resolvers.facts import MongoFacts
from resolvers.support import handled_page

NOW = datetime.now(UTC)


async def test_open_cases_already_read_give_the_standing_loading_gives(
    demo_db: AsyncDatabase[Any],
) -> None:
    helpdesk = Principal.from_claims(DEMO_PRINCIPALS["helpdesk-co"])
    loaded = Standings(helpdesk, MongoFacts(demo_db), NOW)
    await loaded.load(["acct-alice", "acct-bob"])

    page = await handled_page(demo_db, helpdesk.id, helpdesk.purpose, 100, {}, None, None)
    docs = page.items
    taken = Standings(helpdesk, MongoFacts(demo_db), NOW)
    taken.open_cases_read(doc["subject"] for doc in docs)
    assert [doc["subject"] for doc in docs] == ["acct-alice"]
    assert taken.of("acct-alice") == loaded.of("acct-alice")
    assert "PROCESSOR" in {relation.value for relation in taken.of("acct-alice").held}
    await taken.load(["acct-bob"])
    assert taken.of("acct-bob") == loaded.of("acct-bob")


async def test_only_a_processors_standing_takes_open_cases(demo_db: AsyncDatabase[Any]) -> None:
    partner = Principal.from_claims(DEMO_PRINCIPALS["flowershop"])
    standings = Standings(partner, MongoFacts(demo_db), NOW)
    with pytest.raises(ValueError, match="processor"):
        standings.open_cases_read(["acct-alice"])
