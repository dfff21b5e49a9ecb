"""`IMOOX_ACCESS_LOG`: `serve` logs one line for each request answered, or none at all where a
proxy in front already logs requests; the other log lines stay either way."""

from __future__ import annotations

import json
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from tests.processes import Replica, replica, until

_PROBE = "access-probe"


async def _lines_after_two_requests(running: Replica) -> list[dict[str, Any]]:
    """The log's records once it has the second of two requests: `{ __typename }` (request id
    `_PROBE`), then one with a bad token, which always logs a `token_refused` warning. Lines
    are written in order, so once the warning is there the first request's line would be too."""
    answered = await running.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": _PROBE}
    )
    assert answered.status_code == 200, answered.text
    refused = await running.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"authorization": "Bearer nope"}
    )
    assert refused.status_code == 401, refused.text

    def records() -> list[dict[str, Any]]:
        lines = running.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    async def refusal_logged() -> bool:
        return any(record.get("event") == "token_refused" for record in records())

    await until(refusal_logged, "logged the refused token")
    return records()


async def test_each_request_answered_has_one_access_line_by_default(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    async with replica(settings, {"IMOOX_LOG_FORMAT": "json"}) as running:
        records = await _lines_after_two_requests(running)
    probes = [record for record in records if record.get("request_id") == _PROBE]
    assert [record["logger"] for record in probes] == ["uvicorn.access"], probes
    assert probes[0]["message"].endswith('"POST /graphql HTTP/1.1" 200'), probes


async def test_no_access_line_when_switched_off_and_other_lines_stay(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    env = {"IMOOX_LOG_FORMAT": "json", "IMOOX_ACCESS_LOG": "false"}
    async with replica(settings, env) as running:
        records = await _lines_after_two_requests(running)
    assert [record for record in records if record["logger"] == "uvicorn.access"] == []
    refusals = [record for record in records if record.get("event") == "token_refused"]
    assert len(refusals) == 1, records
