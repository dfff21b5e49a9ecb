"""Root query fields (SPEC §10)."""

from __future__ import annotations

import strawberry

from authz.visibility import PUBLIC_ITEMS, visible_content
from resolvers.content import content_page, find_content
from resolvers.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    InvalidCursor,
    Position,
)
from schema.context import Info
from schema.errors import bad_user_input, unauthenticated
from schema.types import Account, Content, ContentConnection, ContentEdge, PageInfo


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in account.")
    async def me(self, info: Info) -> Account | None:
        principal = info.context.principal
        if principal.id is None or principal.kind.value != "user":
            raise unauthenticated()
        doc = await info.context.loaders.public_account.load(principal.id)
        return Account.from_document(doc) if doc else None

    @strawberry.field
    async def account(self, info: Info, id: strawberry.ID) -> Account | None:
        doc = await info.context.loaders.public_account.load(str(id))
        return Account.from_document(doc) if doc else None

    @strawberry.field(description="One content item; an invisible item answers like a missing one.")
    async def content(self, info: Info, id: strawberry.ID) -> Content | None:
        visible = visible_content(info.context.principal)
        doc = await find_content(info.context.db, str(id), visible)
        return Content.from_document(doc) if doc else None

    @strawberry.field(description="PUBLIC content, newest first, as a cursor connection.")
    async def public_feed(
        self, info: Info, first: int | None = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> ContentConnection:
        size = DEFAULT_PAGE_SIZE if first is None else first
        if not 0 <= size <= MAX_PAGE_SIZE:
            raise bad_user_input("first", f"`first` must be between 0 and {MAX_PAGE_SIZE}.")
        try:
            position = Position.decode(after) if after else None
        except InvalidCursor as error:
            raise bad_user_input("after", str(error)) from error
        page = await content_page(info.context.db, PUBLIC_ITEMS, size, position)
        edges = [
            ContentEdge(cursor=Position.of(doc).encode(), node=Content.from_document(doc))
            for doc in page.items
        ]
        return ContentConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
