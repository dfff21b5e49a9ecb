"""Facts a root already read (a partner's consents, a processor's open cases) decide the
caller's standing exactly as `Standings.load` reading them would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from authz.principals import Principal
from authz.standing import Standings
from resolvers.consents import active_for_recipient
from resolvers.demo_world import DEMO_PRINCIPALS
from resolvers.facts import MongoFacts, consent_fact
from resolvers.support import cases, handled_by

NOW = datetime.now(UTC)


async def test_consents_already_read_give_the_standing_loading_gives(
    demo_db: AsyncDatabase[Any],
) -> None:
    flowershop = Principal.from_claims(DEMO_PRINCIPALS["flowershop"])
    loaded = Standings(flowershop, MongoFacts(demo_db), NOW)
    await loaded.load(["acct-alice", "acct-bob"])

    consents = await active_for_recipient(demo_db, "flowershop", NOW)
    taken = Standings(flowershop, MongoFacts(demo_db), NOW)
    taken.consents_read([c["subject"] for c in consents], [consent_fact(c) for c in consents])
    assert [c["subject"] for c in consents] == ["acct-alice"]
    assert taken.of("acct-alice") == loaded.of("acct-alice")
    assert "PARTNER" in {relation.value for relation in taken.of("acct-alice").held}
    await taken.load(["acct-bob"])
    assert taken.of("acct-bob") == loaded.of("acct-bob")


async def test_open_cases_already_read_give_the_standing_loading_gives(
    demo_db: AsyncDatabase[Any],
) -> None:
    helpdesk = Principal.from_claims(DEMO_PRINCIPALS["helpdesk-co"])
    loaded = Standings(helpdesk, MongoFacts(demo_db), NOW)
    await loaded.load(["acct-alice", "acct-bob"])

    docs = await cases(demo_db, handled_by(helpdesk.id, helpdesk.purpose))
    taken = Standings(helpdesk, MongoFacts(demo_db), NOW)
    taken.open_cases_read(doc["subject"] for doc in docs)
    assert [doc["subject"] for doc in docs] == ["acct-alice"]
    assert taken.of("acct-alice") == loaded.of("acct-alice")
    assert "PROCESSOR" in {relation.value for relation in taken.of("acct-alice").held}
    await taken.load(["acct-bob"])
    assert taken.of("acct-bob") == loaded.of("acct-bob")


async def test_only_a_partners_standing_takes_consents(demo_db: AsyncDatabase[Any]) -> None:
    processor = Principal.from_claims(DEMO_PRINCIPALS["helpdesk-co"])
    standings = Standings(processor, MongoFacts(demo_db), NOW)
    with pytest.raises(ValueError, match="partner"):
        standings.consents_read(["acct-alice"], [])


async def test_only_a_processors_standing_takes_open_cases(demo_db: AsyncDatabase[Any]) -> None:
    partner = Principal.from_claims(DEMO_PRINCIPALS["flowershop"])
    standings = Standings(partner, MongoFacts(demo_db), NOW)
    with pytest.raises(ValueError, match="processor"):
        standings.open_cases_read(["acct-alice"])


async def test_a_consent_of_another_subject_is_refused(demo_db: AsyncDatabase[Any]) -> None:
    consents = await active_for_recipient(demo_db, "flowershop", NOW)
    flowershop = Principal.from_claims(DEMO_PRINCIPALS["flowershop"])
    standings = Standings(flowershop, MongoFacts(demo_db), NOW)
    with pytest.raises(ValueError, match="not among the subjects"):
        standings.consents_read(["acct-bob"], [consent_fact(c) for c in consents])
