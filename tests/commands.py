"""What the gateway sends to the database, as the driver's command listener sees it: round
trips counted, reads recorded and run again as `explain` for the documents they examined."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, REVOKED_TOKENS

#: A list's page size, and the documents beyond it one read of a page may examine (issue 12).
PAGE = 20
SLACK = 50
#: The keys of a command that say what it reads (the rest is the driver's envelope).
_READ_KEYS = ("find", "filter", "sort", "limit", "projection", "hint", "skip")
_AGGREGATE_KEYS = ("aggregate", "pipeline", "hint")


def is_authentication(command: dict[str, Any]) -> bool:
    """The two reads that let a signed-in caller in (`gateway.auth`): whether its token or
    session was revoked, and its account's status and token cut-off. Left out of the counts:
    a warm gateway answers them from memory (`tests/accounts/test_token_standing.py` holds
    that it reads nothing), but whether the change stream has proven memory fresh by this
    test's second request depends on timing; the targets here are each request's own work."""
    match command:
        case {"find": collection, "filter": {"_id": {"$in": list()}}, **rest}:
            return collection == REVOKED_TOKENS and rest.get("projection") == {"_id": 1}
        case {"find": collection, "filter": {"_id": str()}, **rest}:
            projection = {"status": 1, "tokens_valid_after": 1}
            return collection == ACCOUNTS and rest.get("projection") == projection
    return False


class CommandCounter(monitoring.CommandListener):
    """Round trips by command name, leaving out authentication's reads."""

    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if is_authentication(event.command):  # answered from memory once the gateway is warm
            return
        if event.command_name in {"find", "aggregate", "getMore", "count", "insert"}:
            self.commands[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Reads(monitoring.CommandListener):
    """The reads the gateway sends while `recording`."""

    commands: list[dict[str, Any]] = field(default_factory=list)
    recording: bool = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording and event.command_name in {"find", "aggregate"}:
            keys = _READ_KEYS if event.command_name == "find" else _AGGREGATE_KEYS
            read = {key: event.command[key] for key in keys if key in event.command}
            self.commands.append(read)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def docs_examined(db: AsyncDatabase[Any], read: dict[str, Any]) -> int:
    """The documents the server examined for `read` (explain, executionStats)."""
    command = dict(read)
    if "aggregate" in command:
        command["cursor"] = {}
    explained = await db.command({"explain": command, "verbosity": "executionStats"})
    stats = explained.get("executionStats")
    if stats is None:  # an aggregation: its first stage reads the collection
        stats = explained["stages"][0]["$cursor"]["executionStats"]
    return int(stats["totalDocsExamined"])
