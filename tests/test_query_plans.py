"""Content reads ride an index: the server reads the rows the request names, not every item.

Each read of content through `resolvers.content.visible_items` is sent again as `explain`: the
plan of its outer read must use an index. SecantusDB plans only a pipeline's first `$match`,
and only one without a top-level operator, so a read that mixed its key with the audience's
`$or` scanned the whole collection on every request (issue 11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers.collections import CONTENT
from tests.client import running


@dataclass
class ContentReads(monitoring.CommandListener):
    """The aggregations the gateway sends to the content collection."""

    pipelines: list[list[dict[str, Any]]] = field(default_factory=list)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "aggregate" and event.command["aggregate"] == CONTENT:
            self.pipelines.append(event.command["pipeline"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def outer_plan(explained: dict[str, Any]) -> dict[str, Any]:
    """The winning plan of the collection read an aggregation starts with."""
    if "stages" in explained:
        explained = explained["stages"][0]["$cursor"]
    plan: dict[str, Any] = explained["queryPlanner"]["winningPlan"]
    return plan.get("queryPlan", plan)  # MongoDB's slot-based engine nests the tree


def stages_of(plan: dict[str, Any]) -> list[str]:
    """Every stage of a plan tree, outermost first."""
    children = [plan["inputStage"]] if "inputStage" in plan else plan.get("inputStages", [])
    return [plan["stage"], *(stage for child in children for stage in stages_of(child))]


@pytest.mark.parametrize(
    ("query", "as_"),
    [
        pytest.param("{ me { content { id title } } }", "alice", id="own items by owner"),
        pytest.param(
            '{ content(id: "post-alice-garden") { id comments { id body } } }',
            "bob",
            id="one item by id, its comments by parent",
        ),
    ],
)
async def test_content_reads_ride_an_index(
    settings: Settings, demo_db: AsyncDatabase[Any], query: str, as_: str
) -> None:
    reads = ContentReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        body = await gateway.query(query, as_=as_)
    assert "errors" not in body, body
    assert reads.pipelines
    for pipeline in reads.pipelines:
        explained = await demo_db.command(
            {"explain": {"aggregate": CONTENT, "pipeline": pipeline, "cursor": {}}}
        )
        stages = stages_of(outer_plan(explained))
        assert "COLLSCAN" not in stages, (pipeline, stages)
        assert any(stage == "IXSCAN" for stage in stages), (pipeline, stages)
