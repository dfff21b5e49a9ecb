"""What the gateway counts per request: authorization decisions, error codes, disclosure writes.

Counting stays off the hot path's bill: a field's decision is one increment of a dict in a
per-request `Tally` (found through a context variable), and the Prometheus counters (children
bound once, at import) are added to once per request, when it ends. Labels are fixed
vocabularies (relations, outcomes, error codes, HTTP statuses): never an id or anything personal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Histogram

from authz.decisions import Decision
from authz.relations import Relation
from schema.errors import ErrorCode

NO_RELATION = "none"

DECISIONS = Counter(
    "imoox_authz_decisions_total",
    "Authorization decisions (fields, root fields, writes) by the relation that granted them"
    " (`none` when denied) and outcome.",
    ["relation", "outcome"],
)
_ALLOWED = {relation: DECISIONS.labels(relation.value, "allowed") for relation in Relation}
_ALLOWED_WITHOUT_RELATION = DECISIONS.labels(NO_RELATION, "allowed")
_DENIED = DECISIONS.labels(NO_RELATION, "denied")

DISCLOSURE_WRITE_SECONDS = Histogram(
    "imoox_disclosure_write_seconds",
    "How long an operation waited for its disclosure records to be stored (group commit).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

#: The `code` label of a request: its first error's `extensions.code`, `OK` without errors.
OK = "OK"
_CODES = frozenset(code.value for code in ErrorCode)


@dataclass(slots=True)
class Tally:
    """One request's decisions so far, its disclosure records, the first error code it answered."""

    allowed: dict[Relation | None, int] = field(default_factory=dict)
    denied: int = 0
    code: str | None = None
    #: Disclosure records written (for traces: the counters count writes, not records).
    disclosures: int = 0

    def decided(self, decision: Decision | None) -> None:
        """One decision (`None`: a field without one, denied)."""
        if decision is not None and decision.allowed:
            self.allowed[decision.relation] = self.allowed.get(decision.relation, 0) + 1
        else:
            self.denied += 1

    def publish(self) -> None:
        """Add this request's decisions to the process's counters (once, when it ends)."""
        for relation, count in self.allowed.items():
            (_ALLOWED[relation] if relation else _ALLOWED_WITHOUT_RELATION).inc(count)
        if self.denied:
            _DENIED.inc(self.denied)


_TALLY: ContextVar[Tally | None] = ContextVar("tally", default=None)
#: Where a schema run outside `counting` (directly, in tests) tallies: counted nowhere.
_SINK = Tally()


def tally() -> Tally:
    return _TALLY.get() or _SINK


@contextmanager
def counting() -> Iterator[Tally]:
    """A fresh tally for one HTTP request, published to the counters when it ends."""
    current = Tally()
    reset = _TALLY.set(current)
    try:
        yield current
    finally:
        _TALLY.reset(reset)
        current.publish()


def note_code(code: str) -> None:
    """The request answered an error with `code`; the first one names the request."""
    current = tally()
    if current.code is None:
        current.code = code if code in _CODES else "OTHER"


def note_errors(errors: Iterable[Any] | None) -> None:
    """A GraphQL result's errors (shaped, each with `extensions.code`)."""
    for error in errors or ():
        note_code(str((getattr(error, "extensions", None) or {}).get("code")))
        return
