"""Which content items a principal may see (SPEC §5), as a MongoDB filter.

Visibility is decided in the query, not after it: invisible items are never read, so lists,
counts and cursors cannot leak them, and a lookup of an invisible id finds nothing, exactly as
for an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from authz.principals import Principal, PrincipalKind

_NOT_EMAIL = {"kind": {"$ne": "EMAIL"}}
PUBLIC_ITEMS: dict[str, Any] = {"visibility": "PUBLIC", **_NOT_EMAIL}


def visible_content(principal: Principal) -> dict[str, Any]:
    """The filter matching exactly the items `principal` may see."""
    if principal.kind is not PrincipalKind.USER or principal.id is None:
        return PUBLIC_ITEMS
    me = principal.id
    return {
        "$or": [
            {"owner": me},
            PUBLIC_ITEMS,
            {"visibility": "SHARED", "shared_with": me, **_NOT_EMAIL},
            {"kind": "EMAIL", "recipients": me},
        ]
    }
