"""Which content items a principal may see (SPEC §5), as a MongoDB filter.

Visibility is decided in the query, not after it: invisible items are never read, so lists,
counts and cursors cannot leak them, and a lookup of an invisible id finds nothing, exactly as
for an id that does not exist.
"""

from __future__ import annotations

from typing import Any, assert_never

from authz.principals import Principal, PrincipalKind

_NOT_EMAIL = {"kind": {"$ne": "EMAIL"}}
PUBLIC_ITEMS: dict[str, Any] = {"visibility": "PUBLIC", **_NOT_EMAIL}


def visible_content(principal: Principal) -> dict[str, Any]:
    """The filter matching exactly the items `principal` may see."""
    match principal.kind:
        case PrincipalKind.USER:
            return PUBLIC_ITEMS if principal.id is None else _seen_by(principal.id)
        case (
            PrincipalKind.ANONYMOUS
            | PrincipalKind.DOMAIN_ADMIN
            | PrincipalKind.PROCESSOR
            | PrincipalKind.PARTNER
            | PrincipalKind.AUTHORITY
            | PrincipalKind.COMPLIANCE
        ):
            return PUBLIC_ITEMS  # content is never theirs, nor shared with them
        case _:
            assert_never(principal.kind)


def _seen_by(me: str) -> dict[str, Any]:
    """The items an account holder sees: its own, public ones, and those addressed to it."""
    return {
        "$or": [
            {"owner": me},
            PUBLIC_ITEMS,
            {"visibility": "SHARED", "shared_with": me, **_NOT_EMAIL},
            {"kind": "EMAIL", "recipients": me},
        ]
    }
