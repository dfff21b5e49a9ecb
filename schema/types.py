"""Object types of the schema (SPEC §4, §5).

Every field that can be denied is nullable. Field values come from documents read through
`schema.enforcement.guard.Guarded` (each such type is declared `@guarded`, and the build
refuses one that is not), and `authz.policy` says who may read what. Stored fields
declare shape only; the fields with resolvers here read related data (an account's lists, an
item's author and comments, a case's subject), each through the loaders, guarded like any other
field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Any

import strawberry

from authz.decisions import rows_read
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.enforcement.context import Info
from schema.enforcement.guard import Guarded, guarded
from schema.enforcement.loading import (
    account_loader,
    comment_cursors,
    comments_loader,
    content_count_loader,
    content_of_owner_loader,
    listed_cursor,
    read_row_cursor,
    row_cursor,
    sub_list_loader,
)
from schema.paging import page_size, read_after


@strawberry.enum
class AccountStatus(Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    BLOCKED = "BLOCKED"


@strawberry.enum
class ContentKind(Enum):
    POST = "POST"
    COMMENT = "COMMENT"
    PHOTO = "PHOTO"
    VIDEO = "VIDEO"
    DOCUMENT = "DOCUMENT"
    SPREADSHEET = "SPREADSHEET"
    EMAIL = "EMAIL"


@strawberry.enum
class Visibility(Enum):
    PRIVATE = "PRIVATE"
    SHARED = "SHARED"
    PUBLIC = "PUBLIC"


@guarded
@strawberry.type
class Address:
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None


@guarded
@strawberry.type
class BillingInfo:
    holder: str | None
    iban: str | None
    plan: str | None


@guarded
@strawberry.type
class SensitiveProfile:
    ethnicity: str | None
    religion: str | None
    sexual_orientation: str | None
    health: str | None


@guarded
@strawberry.type
class RightsLimits:
    edit: bool | None
    delete: bool | None
    privacy: bool | None


async def _content_count(root: Guarded, info: Info) -> int | None:
    return await content_count_loader(info.context).load(root.subject)


@guarded
@strawberry.type
class Stats:
    apps_installed: int | None
    last_sign_in_at: datetime | None
    content_count: int | None = strawberry.field(resolver=_content_count)


@guarded
@strawberry.type
class Settings:
    language: str | None
    theme: str | None
    personalized_ads: bool | None
    friends_recommendations: bool | None
    profile_visibility: str | None


def _row_cursor(root: Guarded, info: Info) -> str:
    """Sealed only when selected; the row's place in the list it was read from (a support case
    of a processor's `supportCases` continues that list)."""
    return row_cursor(info.context, root.type_name, root.subject, root.doc)


def _paged(resolver: Callable[..., Any]) -> Any:
    """An account sub-list: a plain list, paged by `first` and a row's `cursor`."""
    return strawberry.field(resolver=resolver, description=_PAGED)


_CURSOR = (
    "Pass as `after` to the list this row was read from (the same account's, or a processor's"
    " `supportCases`) for the rows after this one."
)
_PAGED = (
    "Newest first, `first` rows at a time (default 20, at most 100); `after` is the `cursor`"
    " of the last row seen. A page shorter than `first` is the last."
)


@guarded
@strawberry.type
class Device:
    id: strawberry.ID | None
    device_id: str | None
    user_agent: str | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    cursor: str | None = strawberry.field(resolver=_row_cursor, description=_CURSOR)


@guarded
@strawberry.type
class SignIn:
    at: datetime | None
    device_id: str | None
    user_agent: str | None
    ip: str | None
    suspicious: bool | None
    cursor: str | None = strawberry.field(resolver=_row_cursor, description=_CURSOR)


@guarded
@strawberry.type
class Notification:
    id: strawberry.ID | None
    kind: str | None
    message: str | None
    created_at: datetime | None
    read: bool | None
    cursor: str | None = strawberry.field(resolver=_row_cursor, description=_CURSOR)


def _consent_active(root: Guarded, info: Info) -> bool:
    doc = root.doc
    expires_at = doc.get("expires_at")
    return doc.get("revoked_at") is None and (expires_at is None or expires_at > info.context.now)


@guarded
@strawberry.type
class Consent:
    id: strawberry.ID | None
    recipient: str | None
    fields: list[str] | None
    purpose: str | None
    explicit: bool | None
    source: str | None
    granted_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool | None = strawberry.field(resolver=_consent_active)
    cursor: str | None = strawberry.field(resolver=_row_cursor, description=_CURSOR)


@guarded
@strawberry.type
class Disclosure:
    id: strawberry.ID | None
    principal_kind: str | None
    principal_id: str | None
    relation: str | None
    fields: list[str] | None
    purpose: str | None
    legal_request: str | None
    at: datetime | None
    cursor: str | None = strawberry.field(resolver=_row_cursor, description=_CURSOR)


@guarded
@strawberry.type
class SupportMessage:
    author: str | None
    at: datetime | None
    text: str | None


async def _case_account(root: Guarded, info: Info) -> Account | None:
    """The person a case is about, read with the caller's standing toward them."""
    account: Account | None = await account_loader(info.context, info.context.selected(info)).load(
        root.subject
    )
    return account


@guarded
@strawberry.type
class SupportCase:
    id: strawberry.ID | None
    purpose: str | None
    status: str | None
    opened_at: datetime | None
    closed_at: datetime | None
    messages: list[SupportMessage] | None
    account: Account | None = strawberry.field(resolver=_case_account)
    cursor: str | None = strawberry.field(resolver=_row_cursor, description=_CURSOR)


async def _owned(
    info: Info,
    root: Guarded,
    type_name: str,
    first: int | None,
    after: str | None,
) -> list[Any]:
    """A page of an account's rows in another collection, newest first, guarded with the
    account's standing; `after` is a row's `cursor` from this caller's list of this account.

    Only the rows the field's deciding grant reads (`Grant.rows`, e.g. a processor's open
    cases) are read: the policy table says which, not this resolver."""
    context = info.context
    where = rows_read(root.decision(info.python_name), context.principal)
    position = read_after(after, partial(read_row_cursor, context, type_name, root.subject))
    loader = sub_list_loader(context, type_name, page_size(first), position, where)
    return [root.embed(type_name, doc) for doc in await loader.load(root.subject)]


async def _devices(
    root: Guarded, info: Info, first: int | None = None, after: str | None = None
) -> list[Device] | None:
    return await _owned(info, root, "Device", first, after)


async def _sign_ins(
    root: Guarded, info: Info, first: int | None = None, after: str | None = None
) -> list[SignIn] | None:
    return await _owned(info, root, "SignIn", first, after)


async def _notifications(
    root: Guarded, info: Info, first: int | None = None, after: str | None = None
) -> list[Notification] | None:
    return await _owned(info, root, "Notification", first, after)


async def _consents(
    root: Guarded, info: Info, first: int | None = None, after: str | None = None
) -> list[Consent] | None:
    return await _owned(info, root, "Consent", first, after)


async def _disclosures(
    root: Guarded, info: Info, first: int | None = None, after: str | None = None
) -> list[Disclosure] | None:
    return await _owned(info, root, "Disclosure", first, after)


async def _support_cases(
    root: Guarded, info: Info, first: int | None = None, after: str | None = None
) -> list[SupportCase] | None:
    return await _owned(info, root, "SupportCase", first, after)


async def _account_content(
    root: Guarded, info: Info, first: int | None = MAX_PAGE_SIZE
) -> list[Content] | None:
    """The account's newest items the caller sees: `first` of them (at most 100)."""
    loader = content_of_owner_loader(info.context, info.context.selected(info), page_size(first))
    return await loader.load(root.subject)


@guarded
@strawberry.type
class Account:
    id: strawberry.ID | None
    display_name: str | None
    photo_url: str | None
    username: str | None
    email: str | None
    phone: str | None
    address: Address | None
    billing: BillingInfo | None
    sensitive: SensitiveProfile | None
    domain: str | None
    status: AccountStatus | None
    rights_limits: RightsLimits | None
    stats: Stats | None
    settings: Settings | None
    ad_interests: list[str] | None
    devices: list[Device] | None = _paged(_devices)
    sign_ins: list[SignIn] | None = _paged(_sign_ins)
    notifications: list[Notification] | None = _paged(_notifications)
    consents: list[Consent] | None = _paged(_consents)
    disclosures: list[Disclosure] | None = _paged(_disclosures)
    support_cases: list[SupportCase] | None = _paged(_support_cases)
    content: list[Content] | None = strawberry.field(resolver=_account_content)


async def _author(root: Guarded, info: Info) -> Account | None:
    author: Account | None = await account_loader(info.context, info.context.selected(info)).load(
        root.doc["owner"]
    )
    return author


async def _comments(
    root: Guarded,
    info: Info,
    first: int | None = DEFAULT_PAGE_SIZE,
    after: str | None = None,
) -> list[Content] | None:
    """The comments on an item that the caller sees (whoever sees the item), oldest first."""
    context = info.context
    item = root.doc["_id"]
    position = read_after(after, comment_cursors(context, item).after_position)
    loader = comments_loader(context, context.selected(info), page_size(first), position)
    return await loader.load((item, root.doc.get("created_at")))


def _content_cursor(root: Guarded) -> str | None:
    """Sealed only when selected; a comment's place in its item's `comments`."""
    return listed_cursor(root.doc)


@guarded
@strawberry.type
class Content:
    id: strawberry.ID | None
    kind: ContentKind | None
    title: str | None
    body: str | None
    visibility: Visibility | None = strawberry.field(
        description="Who sees the item; `null` for a comment, seen by whoever sees its item."
    )
    created_at: datetime | None
    shared_with: list[str] | None
    recipients: list[str] | None
    author: Account | None = strawberry.field(resolver=_author)
    comments: list[Content] | None = strawberry.field(
        resolver=_comments,
        description="Oldest first, `first` at a time (default 20, at most 100); `after` is the"
        " `cursor` of the last comment seen. A page shorter than `first` is the last.",
    )
    cursor: str | None = strawberry.field(
        resolver=_content_cursor,
        description="For a comment read through `comments`: pass as `after` to the same item's"
        " `comments` for the comments after it. Null for an item read otherwise.",
    )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ContentEdge:
    node: Content
    sealed_cursor: strawberry.Private[Callable[[], str]]

    @strawberry.field
    def cursor(self) -> str:
        """Sealed when first selected (sealing an edge's cursor costs more than reading its row),
        the same string after: `pageInfo.endCursor` is the last edge's cursor."""
        return self.sealed_cursor()


@strawberry.type
class ContentConnection:
    edges: list[ContentEdge]
    page_info: PageInfo
