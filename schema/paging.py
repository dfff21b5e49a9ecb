"""List arguments every connection shares: the page size and the `after` cursor."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Cursors, InvalidCursor
from schema.enforcement.context import Context
from schema.protections.errors import bad_user_input

T = TypeVar("T")


def page_size(first: int | None) -> int:
    """A list's `first` argument, checked: lists are bounded, however a client asks."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise bad_user_input("first", f"`first` must be between 0 and {MAX_PAGE_SIZE}.")
    return size


def cursors(context: Context, *names: str) -> Cursors:
    """The cursors of the list `names` (the list, its owner, its filters) for this caller."""
    principal = context.principal
    caller = f"{principal.kind.value}:{principal.id or ''}"
    # JSON, so that no two different lists of parts give the same scope.
    return Cursors(context.sessions.cursors, json.dumps([caller, *names]))


def read_after(cursor: str | None, read: Callable[[str], T]) -> T | None:
    """The position an `after` argument names, or BAD_USER_INPUT naming `after`."""
    if cursor is None:
        return None
    try:
        return read(cursor)
    except InvalidCursor as error:
        raise bad_user_input("after", str(error)) from error
