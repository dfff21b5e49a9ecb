"""Legal requests (SPEC §6): compliance registers and closes them; an authority reads under one.

An authority's reading is the AUTHORITY relation, decided per field from the request's
subjects and fields while it is approved and unexpired (`authz.standing`); every such read is
a disclosure carrying the request id.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import strawberry

from authz.legal import DISCLOSABLE
from resolvers import legal
from resolvers.accounts import accounts_by_id
from resolvers.collections import LEGAL_REQUESTS
from resolvers.documents import by_id
from schema.enforcement.context import Info
from schema.protections import validation as valid
from schema.protections.errors import bad_user_input

PERIOD = re.compile(r"^(?P<year>[0-9]{4})(?:-(?P<part>H[12]|Q[1-4]))?$")


@strawberry.enum
class LegalRequestType(Enum):
    COURT_ORDER = "COURT_ORDER"
    GOVERNMENT_REQUEST = "GOVERNMENT_REQUEST"
    LAW_ENFORCEMENT = "LAW_ENFORCEMENT"
    TERMS_ENFORCEMENT = "TERMS_ENFORCEMENT"
    FRAUD_SECURITY = "FRAUD_SECURITY"
    RIGHTS_PROTECTION = "RIGHTS_PROTECTION"


@strawberry.type
class LegalRequest:
    id: strawberry.ID
    type: LegalRequestType
    legal_basis: str
    authority: str
    subjects: list[strawberry.ID]
    fields: list[str]
    status: str
    registered_at: datetime
    expires_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, doc: dict[str, Any]) -> LegalRequest:
        return cls(
            id=doc["_id"],
            type=LegalRequestType(doc["type"]),
            legal_basis=doc["legal_basis"],
            authority=doc["authority"],
            subjects=doc["subjects"],
            fields=doc["fields"],
            status=doc["status"],
            registered_at=doc["registered_at"],
            expires_at=doc["expires_at"],
            closed_at=doc.get("closed_at"),
        )


@strawberry.input
class RegisterLegalRequestInput:
    type: LegalRequestType
    legal_basis: str
    authority: str
    subjects: list[strawberry.ID]
    fields: list[str]
    expires_at: datetime


@strawberry.input
class CloseLegalRequestInput:
    id: strawberry.ID


@strawberry.type
class LegalRequestPayload:
    legal_request: LegalRequest


@strawberry.type
class TypeCount:
    type: LegalRequestType
    requests: int


@strawberry.type
class TransparencyReport:
    period: str
    since: datetime
    until: datetime
    requests: list[TypeCount]


@strawberry.type
class LegalMutations:
    @strawberry.mutation(description="Register an approved legal request (compliance staff).")
    async def register_legal_request(
        self, info: Info, input: RegisterLegalRequestInput
    ) -> LegalRequestPayload:
        context = info.context
        subjects = valid.ids("subjects", [str(s) for s in input.subjects])
        if not subjects:
            raise bad_user_input("subjects", "Name at least one subject.")
        found = await accounts_by_id(context.db, subjects, ["_id"])
        if missing := [s for s in subjects if s not in found]:
            raise bad_user_input("subjects", f"No such account: {missing[0]}.")
        fields = sorted(set(input.fields))
        if not fields or not set(fields) <= DISCLOSABLE:
            allowed = ", ".join(sorted(DISCLOSABLE))
            raise bad_user_input("fields", f"Name account fields among: {allowed}.")
        expires_at = valid.future("expiresAt", input.expires_at, context.now)
        request_id = await legal.register(
            context.db,
            type_=input.type.value,
            legal_basis=valid.text("legalBasis", input.legal_basis, max_length=2000),
            authority=valid.identifier("authority", input.authority),
            subjects=subjects,
            fields=fields,
            expires_at=expires_at,
            registered_by=str(context.principal.id),
            now=context.now,
        )
        return LegalRequestPayload(legal_request=await _request(info, request_id))

    @strawberry.mutation(description="Close a legal request: the authority's access ends now.")
    async def close_legal_request(
        self, info: Info, input: CloseLegalRequestInput
    ) -> LegalRequestPayload:
        request_id = valid.identifier("id", str(input.id))
        if not await legal.close(info.context.db, request_id, info.context.now):
            raise bad_user_input("id", "There is no such open legal request.")
        return LegalRequestPayload(legal_request=await _request(info, request_id))


async def _request(info: Info, request_id: str) -> LegalRequest:
    doc = await by_id(info.context.db, LEGAL_REQUESTS, request_id)
    assert doc is not None, "written just before"
    return LegalRequest.of(doc)


async def resolve_legal_request(info: Info, id: strawberry.ID) -> LegalRequest | None:
    doc = await by_id(info.context.db, LEGAL_REQUESTS, str(id))
    return LegalRequest.of(doc) if doc else None


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """`2026` → the year, `2026-H1` → its first half, `2026-Q3` → its third quarter."""
    match = PERIOD.fullmatch(period)
    if match is None:
        raise bad_user_input("period", "`period` is a year (`2026`), `2026-H1` or `2026-Q3`.")
    year, part = int(match["year"]), match["part"]
    months = 12 if part is None else 6 if part[0] == "H" else 3
    first_month = 1 + (int(part[1]) - 1) * months if part else 1
    end_month = first_month + months
    try:
        since = datetime(year, first_month, 1, tzinfo=UTC)
        until = datetime(year + (end_month > 12), (end_month - 1) % 12 + 1, 1, tzinfo=UTC)
    except ValueError:  # past the calendar's end
        raise bad_user_input("period", "`period` is past the last year there is.") from None
    return since, until


def last_ended_half_year(now: datetime) -> str:
    return f"{now.year}-H1" if now.month > 6 else f"{now.year - 1}-H2"


async def resolve_transparency_report(info: Info, period: str | None) -> TransparencyReport:
    """Counts of an ended period only: a running one would tell each new legal request as it
    is registered, and so tip off its subject (the same rule as every aggregate)."""
    period = period or last_ended_half_year(info.context.now)
    since, until = period_bounds(period)
    if until > info.context.now:
        raise bad_user_input("period", "Only periods that have ended are reported.")
    counts = await legal.counts_by_type(info.context.db, since, until)
    return TransparencyReport(
        period=period,
        since=since,
        until=until,
        requests=[TypeCount(type=t, requests=counts.get(t.value, 0)) for t in LegalRequestType],
    )
