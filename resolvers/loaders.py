"""Per-request DataLoaders: every lookup by id in one request is batched into one query."""

from __future__ import annotations

from functools import partial
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from strawberry.dataloader import DataLoader

from resolvers.accounts import accounts_by_id

#: Database fields behind the account fields every caller may read (SPEC §4, `PUBLIC`).
PUBLIC_ACCOUNT_FIELDS = ("_id", "display_name", "photo_url")


class Loaders:
    """Created once per request, so nothing cached outlives the request that loaded it."""

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.public_account = DataLoader[str, dict[str, Any] | None](
            load_fn=partial(accounts_by_id, db, fields=PUBLIC_ACCOUNT_FIELDS)
        )
