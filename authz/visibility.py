"""Which content items a principal may see (SPEC §5), as MongoDB filters.

Visibility is decided in the query, not after it: invisible items are never read, so lists,
counts and cursors cannot leak them, and a lookup of an invisible id finds nothing, exactly as
for an id that does not exist.

A comment has no audience of its own: it is seen by whoever sees its item at the time of the
request (the query checks the item), and by its author, like any item by its owner. Nothing of
the item's audience is copied onto the comment, so it cannot go stale or be read through it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, assert_never

from authz.principals import Principal, PrincipalKind

COMMENT = "COMMENT"
NOT_COMMENTS: dict[str, Any] = {"kind": {"$ne": COMMENT}}
_ON_THEIR_OWN = {"kind": {"$nin": ["EMAIL", COMMENT]}}
PUBLIC_ITEMS: dict[str, Any] = {"visibility": "PUBLIC", **_ON_THEIR_OWN}


@dataclass(frozen=True, slots=True)
class Audience:
    """What one caller sees: `always` (own items, listed subjects' items) whatever their
    audience; items by `items`; comments when their item matches `items`."""

    items: dict[str, Any]
    always: dict[str, Any] | None = None


def audience(principal: Principal, listed: Collection[str] = ()) -> Audience:
    """The caller's audience; `listed` are owners a legal request lets it read every item of."""
    always = [{"owner": {"$in": sorted(listed)}}] if listed else []
    public = Audience(PUBLIC_ITEMS, {"$or": always} if always else None)
    match principal.kind:
        case PrincipalKind.USER:
            return public if principal.id is None else _account_holders(principal.id, always)
        case (
            PrincipalKind.ANONYMOUS
            | PrincipalKind.DOMAIN_ADMIN
            | PrincipalKind.PROCESSOR
            | PrincipalKind.PARTNER
            | PrincipalKind.AUTHORITY
            | PrincipalKind.COMPLIANCE
        ):
            return public  # content is never theirs, nor shared with them
        case _:
            assert_never(principal.kind)


def _account_holders(me: str, always: list[dict[str, Any]]) -> Audience:
    """An account holder sees its own items, public ones, and those addressed to it."""
    items = {
        "$or": [
            {"owner": me},
            PUBLIC_ITEMS,
            {"visibility": "SHARED", "shared_with": me, **_ON_THEIR_OWN},
            {"kind": "EMAIL", "recipients": me},
        ]
    }
    return Audience(items, {"$or": [{"owner": me}, *always]})
