"""Disclosure records (SPEC §8): every non-PUBLIC value of X returned to anyone but X.

Reads are noted in memory while the request executes (one set insertion per disclosed field)
and turned into the operation's records when execution ends: one per subject, relation and
purpose, all made by one principal at one time, so they can be stored together before the
response is sent. How they are stored is `resolvers.disclosures`' concern.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import assert_never

from authz.decisions import Decision
from authz.principals import Principal
from authz.relations import Relation, Standing

Key = tuple[str, Relation, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Disclosed:
    """One record: what of `subject` the operation's principal read or wrote, under what."""

    subject: str
    relation: Relation
    fields: tuple[str, ...]
    purpose: str | None
    legal_request: str | None


@dataclass(frozen=True, slots=True)
class Disclosures:
    """Every record of one operation: one principal, one time, each subject's entries."""

    principal: Principal
    at: datetime
    records: tuple[Disclosed, ...]


class DisclosureLog:
    """What one operation disclosed: values it read for the answer, and writes it made on
    someone's account (on record even when the answer carries nothing)."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self._reads: dict[Key, set[str]] = {}
        self._writes: dict[Key, set[str]] = {}

    def note(
        self, subject: str, decision: Decision, standing: Standing, *, write: bool = False
    ) -> None:
        assert decision.relation is not None
        key = (subject, decision.relation, standing.legal_request, _purpose(decision, standing))
        (self._writes if write else self._reads).setdefault(key, set()).add(decision.coordinate)

    def forget_reads(self) -> None:
        """The answer carries no data after all (a refused sibling write nulled it): the
        values read for it reached no one, and a record of them would be false."""
        self._reads = {}

    def __bool__(self) -> bool:
        return bool(self._reads or self._writes)

    def drain(self, at: datetime) -> Disclosures:
        """The records noted so far, once, one per subject, relation, request and purpose."""
        noted: dict[Key, set[str]] = {}
        for source in (self._reads, self._writes):
            for key, fields in source.items():
                noted.setdefault(key, set()).update(fields)
        self._reads, self._writes = {}, {}
        records = tuple(
            Disclosed(subject, relation, tuple(sorted(fields)), purpose, legal_request)
            for (subject, relation, legal_request, purpose), fields in noted.items()
        )
        return Disclosures(self.principal, at, records)


def _purpose(decision: Decision, standing: Standing) -> str | None:
    """What a disclosure was made for (SPEC §8): the processor's purpose, the consents'
    purposes; an authority's record names its legal request instead."""
    match decision.relation:
        case Relation.PROCESSOR:
            return standing.purpose
        case Relation.PARTNER:
            return decision.purpose
        case (
            Relation.AUTHORITY
            | Relation.DOMAIN_ADMIN
            | Relation.SELF
            | Relation.VIEWER
            | Relation.PUBLIC
            | None
        ):
            return None
        case _:
            assert_never(decision.relation)
