"""Inputs that name a write's subject: the account the write changes (SPEC §7).

A write is decided by the relation its caller holds toward its subject (`authz.writes`). An
input names the subject by implementing `WriteSubject`: by the account's id (`NamesAccount`) or
by the id of a thing a person owns (a consent, a support case: `NamesOwned`), whose owner is
the subject. A write whose input names none is about the caller's own account, which only a
write granted to SELF alone may be: `authorize_entry_points` refuses to build a schema with a
mutation granted to any other relation whose input names no subject.

A thing that does not exist and one the caller may not touch must answer alike, or ids could be
probed: both answer the input's `unseen()` error, which its resolver also raises when it finds
no such thing.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Protocol, runtime_checkable

import strawberry
from pymongo.asynchronous.database import AsyncDatabase


@runtime_checkable
class WriteSubject(Protocol):
    @abstractmethod
    async def locate_subject(self, db: AsyncDatabase[Any]) -> str | None:
        """Whose account the write changes; `None` when the thing named does not exist."""


@runtime_checkable
class NamesOwned(WriteSubject, Protocol):
    @abstractmethod
    def unseen(self) -> Exception:
        """The answer to a caller for whom there is no such thing."""


class NamesAccount(WriteSubject):
    """An input naming the account it changes by `accountId` (each input declares the field,
    so it keeps its place in the input's SDL)."""

    account_id: strawberry.ID

    async def locate_subject(self, db: AsyncDatabase[Any]) -> str:
        return str(self.account_id)
