"""The benchmark's no-authz floor answers every benchmarked query with the gateway's data.

`bench/e2e.py` compares the gateway's cost with the floor's for the same answer; if the floor
rotted (a renamed field, a different order), the comparison would silently measure something
else.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from bench.floor_app import create_app
from bench.workload import FLOOR_PRINCIPAL_HEADER, QUERIES, BenchQuery, seed_bench_world
from gateway.settings import Settings
from tests.client import running


@pytest.fixture
async def bench_db(db: AsyncDatabase[Any]) -> AsyncDatabase[Any]:
    await seed_bench_world(db)
    return db


async def _floor_answer(db: AsyncDatabase[Any], query: BenchQuery) -> dict[str, Any]:
    headers = {FLOOR_PRINCIPAL_HEADER: query.principal_id} if query.principal_id else {}
    transport = httpx.ASGITransport(app=create_app(db))
    async with httpx.AsyncClient(transport=transport, base_url="http://floor") as http:
        response = await http.post("/graphql", json={"query": query.document}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_floor_answers_each_query_with_the_gateways_data(
    settings: Settings, bench_db: AsyncDatabase[Any]
) -> None:
    async with running(settings) as gateway:
        for query in QUERIES:
            expected = await gateway.query(query.document, as_=query.handle)
            floor = await _floor_answer(bench_db, query)
            assert "errors" not in expected and "errors" not in floor, (query.name, floor)
            assert floor["data"] == expected["data"], query.name
            assert query.row_count(floor["data"]) == query.rows, query.name
