"""What every resolver of one request shares: the caller, the database and the loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from strawberry.types import Info as StrawberryInfo

from authz.principals import Principal
from resolvers.loaders import Loaders


@dataclass
class Context:
    principal: Principal
    db: AsyncDatabase[Any]
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db)


Info = StrawberryInfo[Context, None]
