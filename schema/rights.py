"""The data subject's rights over their own data: export (Art. 15/20) and erasure (Art. 17)."""

from __future__ import annotations

import json

import strawberry
from strawberry.scalars import JSON

from resolvers.erasure import erase_account
from schema.enforcement.context import Info
from schema.export import SCHEMA_VERSION, export_chunks
from schema.protections.errors import bad_user_input

#: Where the same export streams over plain HTTP (GET, with the same bearer token).
EXPORT_PATH = "/export"


@strawberry.input
class ExportMyDataInput:
    format: str = strawberry.field(default="json", description="Only `json` for now.")


@strawberry.type
class ExportMyDataPayload:
    schema_version: int
    document: JSON
    download_path: str = strawberry.field(
        description="GET this path with the same token to stream the document instead."
    )


@strawberry.input
class DeleteMyAccountInput:
    confirm: bool = strawberry.field(description="Must be `true`: erasure cannot be undone.")


@strawberry.type
class DeleteMyAccountPayload:
    erased: bool


@strawberry.type
class RightsMutations:
    @strawberry.mutation(description="Everything held about you, as one JSON document.")
    async def export_my_data(self, info: Info, input: ExportMyDataInput) -> ExportMyDataPayload:
        if input.format != "json":
            raise bad_user_input("format", "Only `json` is supported.")
        context = info.context
        text = "".join([chunk async for chunk in export_chunks(context, str(context.principal.id))])
        return ExportMyDataPayload(
            schema_version=SCHEMA_VERSION, document=json.loads(text), download_path=EXPORT_PATH
        )

    @strawberry.mutation(description="Erase your account and everything only about you.")
    async def delete_my_account(
        self, info: Info, input: DeleteMyAccountInput
    ) -> DeleteMyAccountPayload:
        if not input.confirm:
            raise bad_user_input("confirm", "Set `confirm: true` to erase your account.")
        context = info.context
        await erase_account(context.db, str(context.principal.id), context.now)
        return DeleteMyAccountPayload(erased=True)
