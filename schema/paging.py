"""List arguments every connection shares."""

from __future__ import annotations

from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.errors import bad_user_input


def page_size(first: int | None) -> int:
    """A list's `first` argument, checked: lists are bounded, however a client asks."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise bad_user_input("first", f"`first` must be between 0 and {MAX_PAGE_SIZE}.")
    return size
