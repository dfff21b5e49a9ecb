"""What the gateway counts per request: authorization decisions, error codes, disclosure writes.

Counting stays off the hot path's bill: a field's decision is one increment of a dict in a
per-request `Tally` (found through a context variable), and the Prometheus counters (children
bound once, at import) are added to once per request, when it ends. Labels are fixed
vocabularies (relations, outcomes, error codes, HTTP statuses): never an id or anything personal.
"""

from __future__ import annotations

from collections import Counter as Counts
from collections.abc import Callable, Iterable
from contextvars import ContextVar, Token
from typing import Any

from prometheus_client import Counter, Histogram

from authz.decisions import Decision
from authz.relations import Relation
from schema.protections.errors import ErrorCode

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


class Tally:
    """One request's decisions, its disclosure records, the first error code it answered."""

    __slots__ = ("_token", "code", "decided", "decisions", "disclosures")

    _token: Token[Tally | None]  # while entered: how to restore the tally before it

    def __init__(self, *, keep: bool = True) -> None:
        #: Every decision in order (`None`: a field without one, denied), counted at the end.
        self.decisions: list[Decision | None] = []
        #: Note one decision: a list append, the least a field can pay (counting into a dict
        #: by relation cost a field about 1 µs more: hashing an enum calls Python code).
        self.decided: Callable[[Decision | None], None] = self.decisions.append if keep else _forget
        self.code: str | None = None
        #: Disclosure records written (for traces; the histogram times the writes).
        self.disclosures = 0

    def __enter__(self) -> Tally:
        """The tally of the HTTP request that runs within: published to the counters when it
        ends (a class, not `contextlib.contextmanager`: its generator cost every request)."""
        self._token = _TALLY.set(self)
        return self

    def __exit__(self, *exception: object) -> None:
        _TALLY.reset(self._token)
        self.publish()

    def outcomes(self, since: int = 0) -> dict[tuple[Relation | None, bool], int]:
        """Decisions from the `since`-th on, by (relation, allowed)."""
        decisions = self.decisions[since:]
        # Grouped by identity first (C speed): a request repeats a few decisions many times.
        one_of = dict(zip(map(id, decisions), decisions, strict=True))
        counts: dict[tuple[Relation | None, bool], int] = {}
        for identity, count in Counts(map(id, decisions)).items():
            decision = one_of[identity]
            key = (decision.relation, True) if decision and decision.allowed else (None, False)
            counts[key] = counts.get(key, 0) + count
        return counts

    def publish(self) -> None:
        """Add this request's decisions to the process's counters (once, when it ends)."""
        if not self.decisions:
            return
        for (relation, allowed), count in self.outcomes().items():
            if not allowed:
                _DENIED.inc(count)
            else:
                (_ALLOWED[relation] if relation else _ALLOWED_WITHOUT_RELATION).inc(count)


def _forget(decision: Decision | None) -> None:
    pass


_TALLY: ContextVar[Tally | None] = ContextVar("tally", default=None)
#: Where a schema run outside `counting` (directly, in tests) tallies: counted nowhere.
_SINK = Tally(keep=False)


def tally() -> Tally:
    return _TALLY.get() or _SINK


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
