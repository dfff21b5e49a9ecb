"""Creating, changing and deleting one's own content, comments included (SPEC §5, §7)."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from authz.visibility import audience
from resolvers.accounts import accounts_by_id
from resolvers.content import (
    delete_own_content,
    find_content,
    find_own_content,
    insert_content,
    update_own_content,
)
from schema.enforcement.context import Context, Info
from schema.enforcement.loading import visible_item
from schema.protections import validation as valid
from schema.protections.errors import bad_user_input
from schema.protections.validation import given
from schema.types import Content, ContentKind, Visibility

MAX_TITLE = 200
MAX_BODY = 20_000


@strawberry.input
class CreateContentInput:
    kind: ContentKind
    body: str
    title: str | None = None
    visibility: Visibility = Visibility.PRIVATE
    shared_with: list[strawberry.ID] | None = None
    recipients: list[strawberry.ID] | None = strawberry.field(
        default=None, description="For `EMAIL`: the accounts it is sent to."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="For `COMMENT`: the item commented on, which you must see."
    )


@strawberry.input(description="Fields left out stay as they are.")
class UpdateContentInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    body: str | None = strawberry.UNSET
    visibility: Visibility | None = strawberry.UNSET
    shared_with: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.input
class DeleteContentInput:
    id: strawberry.ID


@strawberry.type
class ContentPayload:
    content_id: strawberry.Private[str]

    @strawberry.field
    async def content(self, info: Info) -> Content | None:
        item: Content | None = await visible_item(
            info.context, self.content_id, info.context.selected(info)
        )
        return item


@strawberry.type
class DeleteContentPayload:
    deleted_id: strawberry.ID


async def _accounts(context: Context, field: str, ids: list[strawberry.ID] | None) -> list[str]:
    wanted = valid.ids(field, [str(i) for i in ids or []])
    found = await accounts_by_id(context.db, wanted, ["_id"])
    if missing := [i for i in wanted if i not in found]:
        raise bad_user_input(field, f"No such account: {missing[0]}.")
    return wanted


def _sharing(visibility: Visibility, shared_with: list[str]) -> list[str]:
    if shared_with and visibility is not Visibility.SHARED:
        raise bad_user_input("sharedWith", "Only `SHARED` items have `sharedWith`.")
    if visibility is Visibility.SHARED and not shared_with:
        raise bad_user_input("sharedWith", "A `SHARED` item needs at least one account.")
    return shared_with


async def _comment_place(context: Context, parent_id: str) -> dict[str, Any]:
    """Where a comment lives: on an item the caller sees. It copies nothing of the item's
    audience: whoever sees the item at the time of a request sees the comment."""
    parent = await find_content(
        context.db,
        valid.identifier("parentId", parent_id),
        audience(context.principal),
        {"kind": 1},
    )
    if parent is None or parent["kind"] in ("EMAIL", "COMMENT"):
        raise bad_user_input("parentId", "There is no item with this id to comment on.")
    return {"parent": parent["_id"], "visibility": None}


@strawberry.type
class ContentMutations:
    @strawberry.mutation(description="Post an item, send an e-mail, or comment on an item.")
    async def create_content(self, info: Info, input: CreateContentInput) -> ContentPayload:
        context = info.context
        me = str(context.principal.id)
        doc: dict[str, Any] = {
            "_id": f"{input.kind.value.lower()}-{uuid.uuid4().hex[:20]}",
            "owner": me,
            "kind": input.kind.value,
            "title": input.title and valid.line("title", input.title, max_length=MAX_TITLE),
            "body": valid.text("body", input.body, max_length=MAX_BODY),
            "visibility": input.visibility.value,
            "shared_with": [],
            "recipients": [],
            "parent": None,
            "created_at": context.now,
        }
        if input.kind is ContentKind.COMMENT:
            if input.parent_id is None:
                raise bad_user_input("parentId", "A `COMMENT` needs the item it comments on.")
            if input.shared_with:
                raise bad_user_input("sharedWith", "A comment is seen by whoever sees its item.")
            doc |= await _comment_place(context, str(input.parent_id))
        elif input.parent_id is not None:
            raise bad_user_input("parentId", "Only a `COMMENT` has a `parentId`.")
        else:
            shared = await _accounts(context, "sharedWith", input.shared_with)
            doc["shared_with"] = _sharing(input.visibility, shared)
        if input.kind is ContentKind.EMAIL:
            doc["recipients"] = await _accounts(context, "recipients", input.recipients)
            if not doc["recipients"]:
                raise bad_user_input("recipients", "An `EMAIL` needs at least one recipient.")
        elif input.recipients:
            raise bad_user_input("recipients", "Only an `EMAIL` has `recipients`.")
        await insert_content(context.db, doc)
        return ContentPayload(content_id=doc["_id"])

    @strawberry.mutation(description="Change one of your items.")
    async def update_content(self, info: Info, input: UpdateContentInput) -> ContentPayload:
        context = info.context
        me = str(context.principal.id)
        item_id = valid.identifier("id", str(input.id))
        current = await find_own_content(
            context.db, me, item_id, ["kind", "visibility", "shared_with"]
        )
        if current is None:
            raise bad_user_input("id", "You have no such item.")
        changes: dict[str, Any] = {}
        if given(input.title):
            changes["title"] = input.title and valid.line(
                "title", input.title, max_length=MAX_TITLE
            )
        if given(input.body):
            changes["body"] = valid.text("body", input.body or "", max_length=MAX_BODY)
        if given(input.visibility) or given(input.shared_with):
            if current["kind"] == "COMMENT":
                raise bad_user_input("visibility", "A comment is seen by whoever sees its item.")
            if input.visibility is None:
                raise bad_user_input("visibility", "`visibility` cannot be removed.")
            visibility = input.visibility or Visibility(current["visibility"])
            if given(input.shared_with):
                shared = await _accounts(context, "sharedWith", input.shared_with)
            elif visibility is Visibility.SHARED:
                shared = current.get("shared_with", [])
            else:
                shared = []
            changes["visibility"] = visibility.value
            changes["shared_with"] = _sharing(visibility, shared)
        await update_own_content(context.db, me, item_id, changes)
        return ContentPayload(content_id=item_id)

    @strawberry.mutation(description="Delete one of your items and the comments on it.")
    async def delete_content(self, info: Info, input: DeleteContentInput) -> DeleteContentPayload:
        context = info.context
        item_id = valid.identifier("id", str(input.id))
        if not await delete_own_content(context.db, str(context.principal.id), item_id):
            raise bad_user_input("id", "You have no such item.")
        return DeleteContentPayload(deleted_id=strawberry.ID(item_id))
