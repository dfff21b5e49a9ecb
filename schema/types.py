"""Object types of the schema, each built from its MongoDB document."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

import strawberry

from schema.context import Info


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


@strawberry.type
class Account:
    id: strawberry.ID
    display_name: str | None
    photo_url: str | None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Account:
        return cls(
            id=strawberry.ID(doc["_id"]),
            display_name=doc.get("display_name"),
            photo_url=doc.get("photo_url"),
        )


@strawberry.type
class Content:
    id: strawberry.ID
    kind: ContentKind
    title: str | None
    body: str | None
    visibility: Visibility
    created_at: datetime
    owner_id: strawberry.Private[str]

    @strawberry.field
    async def author(self, info: Info) -> Account | None:
        doc = await info.context.loaders.public_account.load(self.owner_id)
        return Account.from_document(doc) if doc else None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Content:
        return cls(
            id=strawberry.ID(doc["_id"]),
            kind=ContentKind(doc["kind"]),
            title=doc.get("title"),
            body=doc.get("body"),
            visibility=Visibility(doc["visibility"]),
            created_at=doc["created_at"].replace(tzinfo=UTC),
            owner_id=doc["owner"],
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ContentEdge:
    cursor: str
    node: Content


@strawberry.type
class ContentConnection:
    edges: list[ContentEdge]
    page_info: PageInfo
