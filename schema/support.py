"""Support: a person opens a case and writes; a processor (purpose `support`) answers.

The processor's access to the person's fields is the PROCESSOR relation, which exists exactly
while a case of its purpose is open (`authz.standing`); closing the case ends it.
"""

from __future__ import annotations

from typing import Any, assert_never

import strawberry
from pymongo.asynchronous.database import AsyncDatabase

from authz.principals import PrincipalKind
from resolvers.collections import SUPPORT_CASES
from resolvers.documents import NOTHING, subject_of
from resolvers.support import (
    OPENED,
    add_message,
    claim_next,
    close_case,
    handled_by,
    handled_page,
    open_case,
)
from schema.enforcement.context import Context, Info
from schema.enforcement.loading import Place, place, stored_fields
from schema.enforcement.subjects import NamesOwned
from schema.paging import cursors, page_size, read_after
from schema.protections import validation as valid
from schema.protections.errors import bad_user_input
from schema.types import SupportCase

MAX_MESSAGE = 5_000


@strawberry.input
class OpenSupportCaseInput:
    text: str


class _AboutCase(NamesOwned):
    """Inputs naming a case: the write is about the case's subject."""

    case_id: strawberry.ID

    async def locate_subject(self, db: AsyncDatabase[Any]) -> str | None:
        return await subject_of(db, SUPPORT_CASES, valid.identifier("caseId", str(self.case_id)))

    def unseen(self) -> Exception:
        return bad_user_input("caseId", "There is no such open case.")


@strawberry.input
class ClaimSupportCaseInput:
    text: str | None = strawberry.field(
        default=None, description="A first message to the person, sent with the claim."
    )


@strawberry.input
class PostSupportMessageInput(_AboutCase):
    case_id: strawberry.ID
    text: str


@strawberry.input
class ReplyToSupportCaseInput(_AboutCase):
    case_id: strawberry.ID
    text: str
    close: bool = strawberry.field(default=False, description="Close the case with this reply.")


@strawberry.input
class CloseSupportCaseInput(_AboutCase):
    case_id: strawberry.ID


@strawberry.type
class SupportCasePayload:
    case_id: strawberry.ID
    status: str


@strawberry.type
class ClaimSupportCasePayload:
    case_id: strawberry.ID | None = strawberry.field(description="Null when no case is waiting.")


def _own_cases(context: Context) -> dict[str, Any]:
    """Which cases the caller's writes may touch: their own, or those it handles; none else."""
    principal = context.principal
    match principal.kind:
        case PrincipalKind.PROCESSOR:
            return handled_by(principal.id, principal.purpose)
        case PrincipalKind.USER:
            return {"subject": principal.id}
        case (
            PrincipalKind.ANONYMOUS
            | PrincipalKind.DOMAIN_ADMIN
            | PrincipalKind.PARTNER
            | PrincipalKind.AUTHORITY
            | PrincipalKind.COMPLIANCE
        ):
            return NOTHING
        case _:
            assert_never(principal.kind)


def _message(text: str) -> str:
    return valid.text("text", text, max_length=MAX_MESSAGE)


@strawberry.type
class SupportMutations:
    @strawberry.mutation(description="Ask IMOOX for help; your messages are kept with the case.")
    async def open_support_case(
        self, info: Info, input: OpenSupportCaseInput
    ) -> SupportCasePayload:
        context = info.context
        case_id = await open_case(
            context.db, str(context.principal.id), _message(input.text), context.now
        )
        return SupportCasePayload(case_id=strawberry.ID(case_id), status="OPEN")

    @strawberry.mutation(description="Add a message to one of your open cases.")
    async def post_support_message(
        self, info: Info, input: PostSupportMessageInput
    ) -> SupportCasePayload:
        return await _write(info, input, input.text, close=False)

    @strawberry.mutation(
        description="A processor takes the oldest case of its purpose that waits for one;"
        " from then on it alone handles it."
    )
    async def claim_support_case(
        self, info: Info, input: ClaimSupportCaseInput
    ) -> ClaimSupportCasePayload:
        context = info.context
        principal = context.principal
        assert principal.id is not None and principal.purpose is not None, "a processor's token"
        text = _message(input.text) if input.text is not None else None
        case_id = await claim_next(context.db, principal.id, principal.purpose, text, context.now)
        return ClaimSupportCasePayload(case_id=strawberry.ID(case_id) if case_id else None)

    @strawberry.mutation(description="A processor answers an open case it handles.")
    async def reply_to_support_case(
        self, info: Info, input: ReplyToSupportCaseInput
    ) -> SupportCasePayload:
        return await _write(info, input, input.text, close=input.close)

    @strawberry.mutation(description="Close a case: the processor's access ends with it.")
    async def close_support_case(
        self, info: Info, input: CloseSupportCaseInput
    ) -> SupportCasePayload:
        context = info.context
        case_id = str(input.case_id)
        if not await close_case(context.db, case_id, context.now, _own_cases(context)):
            raise input.unseen()
        return SupportCasePayload(case_id=strawberry.ID(case_id), status="CLOSED")


async def _write(info: Info, case: _AboutCase, text: str, *, close: bool) -> SupportCasePayload:
    context = info.context
    where = {"status": "OPEN", **_own_cases(context)}
    author = str(context.principal.id)
    if not await add_message(
        context.db, str(case.case_id), author, _message(text), context.now, where, close=close
    ):
        raise case.unseen()
    return SupportCasePayload(case_id=case.case_id, status="CLOSED" if close else "OPEN")


async def resolve_processor_cases(
    info: Info, first: int | None, after: str | None
) -> list[SupportCase]:
    """The `supportCases` root: the open cases this processor handles, with their subjects,
    newest first, a page at a time (`after`: a case's `cursor`, which continues this list)."""
    context = info.context
    principal = context.principal
    handled = cursors(context, "Query.supportCases", principal.purpose or "")
    position, width = read_after(after, handled.after_position) or (None, None)
    page = await handled_page(
        context.db,
        principal.id,
        principal.purpose,
        page_size(first),
        stored_fields("SupportCase"),
        position,
        width,
    )
    docs = page.items
    place(docs, Place(handled, OPENED, page.width))
    # These cases are the facts behind the processor's standing toward their subjects.
    context.standings.open_cases_read(doc["subject"] for doc in docs)
    return [
        context.guard(doc, "SupportCase", doc["subject"], context.standings.of(doc["subject"]))
        for doc in docs
    ]
