"""Content reads ride an index: the server reads the rows the request names, not every item.

Each read of content a request sends (a find, or an aggregation through
`resolvers.content.visible_items` or a list's windows) is sent again as `explain`: the plan of
its outer read must use an index. SecantusDB plans only a pipeline's first `$match`,
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

#: The keys of a read that say what it reads (the rest is the driver's envelope).
_READ_KEYS = {
    "find": ("find", "filter", "sort", "limit", "projection"),
    "aggregate": ("aggregate", "pipeline"),
}


@dataclass
class ContentReads(monitoring.CommandListener):
    """The finds and aggregations the gateway sends to the content collection."""

    reads: list[dict[str, Any]] = field(default_factory=list)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        keys = _READ_KEYS.get(event.command_name)
        if keys and event.command[event.command_name] == CONTENT:
            read = {key: event.command[key] for key in keys if key in event.command}
            self.reads.append(read | ({"cursor": {}} if "pipeline" in read else {}))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def outer_plan(explained: dict[str, Any]) -> dict[str, Any]:
    """The winning plan of a find, or of the collection read an aggregation starts with."""
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
    assert reads.reads
    for read in reads.reads:
        explained = await demo_db.command({"explain": read})
        stages = stages_of(outer_plan(explained))
        assert "COLLSCAN" not in stages, (read, stages)
        assert any(stage == "IXSCAN" for stage in stages), (read, stages)
