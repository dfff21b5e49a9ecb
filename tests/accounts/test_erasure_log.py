"""Erasure leaves no log line that ties the pseudonym to the person (audit, suspected item).

Every line of a request carries its request id, and a security line of the same request
carries the account id; so no line may carry the pseudonym at all.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.logs import JsonFormatter
from resolvers.demo_world import account_id
from tests.client import GatewayClient
from tests.disclosure_records import records

ALICE = account_id("alice")


async def test_no_log_line_names_the_pseudonym(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], caplog: pytest.LogCaptureFixture
) -> None:
    # flowershop reads alice's phone: a disclosure record the erasure will pseudonymise.
    await gateway.query('{ account(id: "acct-alice") { phone } }', as_="flowershop")
    # A refused read in the same request as nothing else: a security line with alice's id.
    await gateway.query('{ account(id: "acct-bob") { phone } }', as_="alice")
    # INFO: the level the gateway logs at (the driver's DEBUG lines echo every command).
    with caplog.at_level(logging.INFO):
        body = await gateway.query(
            "mutation { deleteMyAccount(input: {confirm: true}) { erased } }", as_="alice"
        )
    assert body["data"]["deleteMyAccount"]["erased"] is True
    [record] = await records(demo_db, principal_id="flowershop")
    pseudonym = record["subject"]
    assert pseudonym.startswith("erased-") and pseudonym != ALICE
    lines = [JsonFormatter().format(entry) for entry in caplog.records]
    assert any("erasure" in line for line in lines), "the job still logs its progress"
    assert [line for line in lines if pseudonym in line] == []
