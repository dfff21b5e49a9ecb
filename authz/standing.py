"""A principal's standing toward each subject of one request, from facts read in batches.

The facts (open cases, consents, the legal request) come through `FactSource`, which
`resolvers` implements against MongoDB: this package decides, it does not query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, assert_never

from authz.policy import PURPOSE_FIELDS
from authz.principals import Principal, PrincipalKind
from authz.relations import Relation, Standing


@dataclass(frozen=True, slots=True)
class ConsentFact:
    subject: str
    fields: frozenset[str]
    purpose: str | None
    explicit: bool


@dataclass(frozen=True, slots=True)
class LegalRequestFact:
    id: str
    authority: str
    approved: bool
    expires_at: datetime
    subjects: frozenset[str]
    fields: frozenset[str]

    def in_force(self, principal: Principal, now: datetime) -> bool:
        return self.approved and self.authority == principal.id and now < self.expires_at


#: The purpose a disclosure names for a consent that named fields but no purpose.
NO_NARROWER_PURPOSE = "consent"


class FactSource(Protocol):
    async def open_cases(self, subjects: Sequence[str], purpose: str, processor: str) -> set[str]:
        """The subjects with an open case of `purpose` assigned to `processor`."""

    async def active_consents(
        self, subjects: Sequence[str], recipient: str, now: datetime
    ) -> list[ConsentFact]: ...

    async def legal_request(self, request_id: str) -> LegalRequestFact | None: ...


class Standings:
    """Computes standings for one request; facts for each subject are read at most once."""

    def __init__(self, principal: Principal, facts: FactSource, now: datetime) -> None:
        self.principal = principal
        self.facts = facts
        self.now = now
        self._loaded: set[str] = set()
        self._open_cases: set[str] = set()
        self._consents: dict[str, list[ConsentFact]] = {}
        self._legal: LegalRequestFact | None = None
        self._legal_loaded = False
        self._holding: dict[tuple[bool, Relation | None], Standing] = {}

    async def load(self, subjects: Iterable[str]) -> None:
        """Read, in one batch per kind of fact, whatever the principal's kind needs."""
        missing = [s for s in dict.fromkeys(subjects) if s not in self._loaded]
        if not missing:
            return
        principal = self.principal
        match principal.kind:
            case PrincipalKind.PROCESSOR:
                if principal.purpose and principal.id:
                    self._open_cases |= await self.facts.open_cases(
                        missing, principal.purpose, principal.id
                    )
            case PrincipalKind.PARTNER:
                if principal.id:
                    consents = await self.facts.active_consents(missing, principal.id, self.now)
                    for consent in consents:
                        self._consents.setdefault(consent.subject, []).append(consent)
            case PrincipalKind.AUTHORITY:
                await self._load_legal()
            case (
                PrincipalKind.ANONYMOUS
                | PrincipalKind.USER
                | PrincipalKind.DOMAIN_ADMIN
                | PrincipalKind.COMPLIANCE
            ):
                pass  # their relations follow from the token and the query, not from facts
            case _:
                assert_never(principal.kind)
        self._loaded.update(missing)

    def open_cases_read(self, subjects: Iterable[str]) -> None:
        """Take open cases the caller already read: `subjects` each have an open case of the
        processor's purpose assigned to it (e.g. the processor's case list), as
        `FactSource.open_cases` would answer; `load` then reads nothing more for them."""
        principal = self.principal
        if principal.kind is not PrincipalKind.PROCESSOR:
            raise ValueError("only a processor's standing rests on open cases")
        known = set(subjects)
        if principal.purpose and principal.id:  # as `load` asks: no purpose, no case counts
            self._open_cases |= known
        self._loaded |= known

    async def _load_legal(self) -> None:
        if self.principal.legal_request and not self._legal_loaded:
            self._legal = await self.facts.legal_request(self.principal.legal_request)
            self._legal_loaded = True

    async def listed(self, field: str) -> frozenset[str]:
        """The subjects whose `field` the principal's legal request in force names (if any)."""
        await self._load_legal()
        legal = self._legal
        if legal and field in legal.fields and legal.in_force(self.principal, self.now):
            return legal.subjects
        return frozenset()

    def of(self, subject: str, *, in_domain: bool = False, viewer: bool = True) -> Standing:
        """The standing toward `subject` (after `load`); `in_domain` as the query established.

        Each kind of principal can hold one relation beyond PUBLIC and VIEWER, named here per
        kind, so a new kind holds nothing more until it is decided here (mypy checks).
        """
        principal = self.principal
        match principal.kind:
            case PrincipalKind.USER:
                return self._holds(viewer, Relation.SELF, principal.id == subject)
            case PrincipalKind.DOMAIN_ADMIN:
                return self._holds(viewer, Relation.DOMAIN_ADMIN, in_domain)
            case PrincipalKind.PROCESSOR:
                return self._holds(viewer, Relation.PROCESSOR, subject in self._open_cases)
            case PrincipalKind.PARTNER:
                return self._as_partner(viewer, subject)
            case PrincipalKind.AUTHORITY:
                return self._as_authority(viewer, subject)
            case PrincipalKind.ANONYMOUS | PrincipalKind.COMPLIANCE:
                return self._holds(viewer, None, False)
            case _:
                assert_never(principal.kind)

    def _holds(self, viewer: bool, relation: Relation | None, holds: bool) -> Standing:
        """PUBLIC (and VIEWER when `viewer`), and `relation` too when `holds`.

        Built once per request for each combination: a list's rows share a few standings, so
        equal standings are one object and the decisions' caches (keyed by standing) compare
        them by identity before by value.
        """
        extra = relation if holds else None
        key = (viewer, extra)
        standing = self._holding.get(key)
        if standing is None:
            held = {Relation.PUBLIC, Relation.VIEWER} if viewer else {Relation.PUBLIC}
            if extra is not None:
                held.add(extra)
            principal = self.principal
            standing = Standing(
                held=frozenset(held),
                purpose=principal.purpose,
                partner_type=principal.partner_type,
            )
            self._holding[key] = standing
        return standing

    def _as_partner(self, viewer: bool, subject: str) -> Standing:
        """PARTNER while an active consent of `subject` names fields for this partner."""
        consented: set[str] = set()
        explicit: set[str] = set()
        purposes: dict[str, set[str]] = {}
        for consent in self._consents.get(subject, ()):
            # Named fields are the consent; a purpose speaks only for a consent naming none.
            fields = consent.fields or PURPOSE_FIELDS.get(consent.purpose or "", frozenset())
            consented |= fields
            if consent.explicit:
                explicit |= fields
            for field in fields:
                purposes.setdefault(field, set()).add(consent.purpose or NO_NARROWER_PURPOSE)
        if not consented:
            return self._holds(viewer, None, False)
        return replace(
            self._holds(viewer, Relation.PARTNER, True),
            consented=frozenset(consented),
            consented_explicitly=frozenset(explicit),
            consent_purposes=frozenset(
                (field, ", ".join(sorted(named))) for field, named in purposes.items()
            ),
        )

    def _as_authority(self, viewer: bool, subject: str) -> Standing:
        """AUTHORITY while the token's legal request names `subject` and is in force."""
        legal = self._legal
        if not (legal and subject in legal.subjects and legal.in_force(self.principal, self.now)):
            return self._holds(viewer, None, False)
        return replace(
            self._holds(viewer, Relation.AUTHORITY, True),
            legal_fields=legal.fields,
            legal_request=legal.id,
        )


def domain_filters(
    principal: Principal,
) -> list[tuple[bool, Mapping[str, object] | None]]:
    """Account filters that decide DOMAIN_ADMIN in the query itself: (held, filter) pairs.

    For a domain admin, members (held) and everyone else (not held) are read apart, so a
    member's admin-readable fields are never read for a non-member.
    """
    if principal.kind is not PrincipalKind.DOMAIN_ADMIN:
        return [(False, None)]
    domains = sorted(principal.domains)
    return [(True, {"domain": {"$in": domains}}), (False, {"domain": {"$nin": domains}})]
