"""Payload types shared by several mutations."""

from __future__ import annotations

import strawberry

from schema.enforcement.context import Info
from schema.enforcement.loading import account_loader
from schema.types import Account


@strawberry.type
class AccountPayload:
    """The account a mutation changed, read under the caller's access like any other read."""

    account_id: strawberry.Private[str]

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        account: Account | None = await account_loader(
            info.context, info.context.selected(info)
        ).load(self.account_id)
        return account


@strawberry.type
class DonePayload:
    """For writes whose only result is that they happened."""

    ok: bool
