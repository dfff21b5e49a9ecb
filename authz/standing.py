"""A principal's standing toward each subject of one request, from facts read in batches.

The facts (open cases, consents, the legal request) come through `FactSource`, which
`resolvers` implements against MongoDB: this package decides, it does not query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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

    async def load(self, subjects: Iterable[str]) -> None:
        """Read, in one batch per kind of fact, whatever the principal's kind needs."""
        missing = [s for s in dict.fromkeys(subjects) if s not in self._loaded]
        if not missing:
            return
        principal = self.principal
        match principal.kind:
            case PrincipalKind.PROCESSOR if principal.purpose and principal.id:
                self._open_cases |= await self.facts.open_cases(
                    missing, principal.purpose, principal.id
                )
            case PrincipalKind.PARTNER if principal.id:
                for consent in await self.facts.active_consents(missing, principal.id, self.now):
                    self._consents.setdefault(consent.subject, []).append(consent)
            case PrincipalKind.AUTHORITY if principal.legal_request and not self._legal_loaded:
                self._legal = await self.facts.legal_request(principal.legal_request)
                self._legal_loaded = True
            case _:
                pass
        self._loaded.update(missing)

    def of(self, subject: str, *, in_domain: bool = False, viewer: bool = True) -> Standing:
        """The standing toward `subject` (after `load`); `in_domain` as the query established."""
        principal = self.principal
        held = {Relation.PUBLIC}
        if viewer:
            held.add(Relation.VIEWER)
        if principal.kind is PrincipalKind.USER and principal.id == subject:
            held.add(Relation.SELF)
        if principal.kind is PrincipalKind.DOMAIN_ADMIN and in_domain:
            held.add(Relation.DOMAIN_ADMIN)
        if subject in self._open_cases:
            held.add(Relation.PROCESSOR)
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
        if consented:
            held.add(Relation.PARTNER)
        legal_fields: frozenset[str] = frozenset()
        legal = self._legal
        if legal and subject in legal.subjects and legal.in_force(principal, self.now):
            held.add(Relation.AUTHORITY)
            legal_fields = legal.fields
        return Standing(
            principal_kind=principal.kind,
            held=frozenset(held),
            purpose=principal.purpose,
            partner_type=principal.partner_type,
            consented=frozenset(consented),
            consented_explicitly=frozenset(explicit),
            legal_fields=legal_fields,
            legal_request=legal.id if Relation.AUTHORITY in held and legal else None,
            consent_purposes=frozenset(
                (field, ", ".join(sorted(named))) for field, named in purposes.items()
            ),
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
