"""Root query fields (SPEC §10)."""

from __future__ import annotations

from typing import Any

import strawberry

from authz.decisions import decide
from authz.principals import PrincipalKind
from authz.visibility import PUBLIC_ITEMS, visible_content
from resolvers.accounts import accounts_by_id, recommendable_accounts
from resolvers.content import content_page, find_content
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, InvalidCursor, Position
from schema.context import Info
from schema.errors import bad_user_input, unauthenticated
from schema.loading import account_loader, content_fields, guard_content
from schema.self_service import DeviceSettings, resolve_device_settings
from schema.types import Account, Content, ContentConnection, ContentEdge, PageInfo


def page_size(first: int | None) -> int:
    """A list's `first` argument, checked: lists are bounded, however a client asks."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise bad_user_input("first", f"`first` must be between 0 and {MAX_PAGE_SIZE}.")
    return size


@strawberry.type
class AccessExplanation:
    allowed: bool
    relation: str | None
    rule: str
    reason: str


@strawberry.type
class PolicyQuery:
    @strawberry.field(description="Whether the caller may read `type.field` of a subject, and why.")
    async def explain_access(
        self, info: Info, type: str, field: str, subject_id: strawberry.ID
    ) -> AccessExplanation:
        context = info.context
        subject = str(subject_id)
        await context.standings.load([subject])
        member = False
        if context.principal.kind is PrincipalKind.DOMAIN_ADMIN:
            found = await accounts_by_id(context.db, [subject], ["domain"])
            member = found.get(subject, {}).get("domain") in context.principal.domains
        decision = decide(type, field, context.standings.of(subject, in_domain=member))
        return AccessExplanation(
            allowed=decision.allowed,
            relation=decision.relation.value if decision.relation else None,
            rule=decision.rule,
            reason=decision.reason,
        )


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in account.")
    async def me(self, info: Info) -> Account | None:
        principal = info.context.principal
        if principal.kind is not PrincipalKind.USER or principal.id is None:
            raise unauthenticated()
        me: Account | None = await account_loader(info.context, info.context.selected(info)).load(
            principal.id
        )
        return me

    @strawberry.field(description="One account, with the fields the caller may read.")
    async def account(self, info: Info, id: strawberry.ID) -> Account | None:
        found: Account | None = await account_loader(
            info.context, info.context.selected(info)
        ).load(str(id))
        return found

    @strawberry.field(description="One content item; an invisible item answers like a missing one.")
    async def content(self, info: Info, id: strawberry.ID) -> Content | None:
        context = info.context
        doc = await find_content(
            context.db,
            str(id),
            visible_content(context.principal),
            content_fields(context, info.context.selected(info)),
        )
        if doc is None:
            return None
        item: Content = (await guard_content(context, [doc]))[0]
        return item

    @strawberry.field(description="PUBLIC content, newest first, as a cursor connection.")
    async def public_feed(
        self, info: Info, first: int | None = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> ContentConnection:
        size = page_size(first)
        try:
            position = Position.decode(after) if after else None
        except InvalidCursor as error:
            raise bad_user_input("after", str(error)) from error
        context = info.context
        node = info.context.selected(info).child("edges").child("node")
        page = await content_page(
            context.db, PUBLIC_ITEMS, size, position, content_fields(context, node)
        )
        nodes: list[Any] = await guard_content(context, page.items)
        edges = [
            ContentEdge(cursor=Position.of(doc).encode(), node=row)
            for doc, row in zip(page.items, nodes, strict=True)
        ]
        return ContentConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(
        description="Accounts you might know; never one that turned recommendations off."
    )
    async def recommendations(self, info: Info, first: int = 10) -> list[Account]:
        context = info.context
        principal = context.principal
        if principal.kind is not PrincipalKind.USER or principal.id is None:
            raise unauthenticated()
        ids = await recommendable_accounts(context.db, principal.id, page_size(first))
        loaded = await account_loader(context, context.selected(info)).load_many(ids)
        return [account for account in loaded if account is not None]

    @strawberry.field(description="What this device remembers (`X-Device-Id`), no account needed.")
    async def device_settings(self, info: Info) -> DeviceSettings:
        return await resolve_device_settings(info)

    @strawberry.field(description="Ask the policy about access (SPEC §8).")
    def policy(self) -> PolicyQuery:
        return PolicyQuery()
