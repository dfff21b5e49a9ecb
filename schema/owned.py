"""Inputs that name a thing a person owns (a consent, a support case) by its id.

A write naming such a thing is about its owner (`schema.enforcement.authorize`). A thing that
does not exist and one the caller may not touch must answer alike, or ids could be probed: both
answer the input's `unseen()` error, which its resolver also raises when it finds no such thing.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pymongo.asynchronous.database import AsyncDatabase


@runtime_checkable
class Owned(Protocol):
    async def locate_subject(self, db: AsyncDatabase[Any]) -> str | None:
        """Whose the named thing is; `None` when it does not exist."""

    def unseen(self) -> Exception:
        """The answer to a caller for whom there is no such thing."""
