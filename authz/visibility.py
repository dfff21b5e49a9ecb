"""Which content items a principal may see (SPEC §5), as MongoDB filters.

Visibility is decided in the query, not after it: invisible items are never read, so lists,
counts and cursors cannot leak them, and a lookup of an invisible id finds nothing, exactly as
for an id that does not exist.

A comment has no audience of its own: it is seen by whoever sees its item at the time of the
request (the query checks the item), and by its author, like any item by its owner. Nothing of
the item's audience is copied onto the comment, so it cannot go stale or be read through it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, assert_never

from authz.principals import Principal, PrincipalKind

COMMENT = "COMMENT"
NOT_COMMENTS: dict[str, Any] = {"kind": {"$ne": COMMENT}}
_ON_THEIR_OWN: dict[str, Any] = {"kind": {"$nin": ["EMAIL", COMMENT]}}


@dataclass(frozen=True, slots=True)
class Shown:
    """One way an item is visible: `equal` (plain values, which an index can serve) and
    `where`, further conditions on the same item. Items match a branch when both hold."""

    equal: Mapping[str, str]
    where: Mapping[str, Any] = field(default_factory=dict)

    @property
    def filter(self) -> dict[str, Any]:
        return {**self.equal, **self.where}


PUBLIC = Shown({"visibility": "PUBLIC"}, _ON_THEIR_OWN)
PUBLIC_ITEMS: dict[str, Any] = PUBLIC.filter


@dataclass(frozen=True, slots=True)
class Audience:
    """What one caller sees: every item of `owners` (its own, listed subjects') whatever its
    audience; other items when one of `branches` matches; comments when their item does.

    The branches are data, not an `$or`: each can be read through an index of its own and the
    results merged (`resolvers.windows`), and `items` is their union for one-document checks.
    """

    branches: tuple[Shown, ...]
    owners: frozenset[str] = frozenset()

    @property
    def items(self) -> dict[str, Any]:
        """Items visible by their own audience, as one filter."""
        filters = [branch.filter for branch in self.branches]
        return filters[0] if len(filters) == 1 else {"$or": filters}

    @property
    def always(self) -> dict[str, Any] | None:
        """Items visible whatever their audience (their owner's), as one filter."""
        return {"owner": {"$in": sorted(self.owners)}} if self.owners else None


def audience(principal: Principal, listed: Collection[str] = ()) -> Audience:
    """The caller's audience; `listed` are owners a legal request lets it read every item of."""
    public = Audience((PUBLIC,), frozenset(listed))
    match principal.kind:
        case PrincipalKind.USER:
            return public if principal.id is None else _account_holders(principal.id, listed)
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


def _account_holders(me: str, listed: Collection[str]) -> Audience:
    """An account holder sees its own items, public ones, and those addressed to it."""
    branches = (
        Shown({"owner": me}),
        PUBLIC,
        Shown({"shared_with": me}, {"visibility": "SHARED", **_ON_THEIR_OWN}),
        Shown({"recipients": me}, {"kind": "EMAIL"}),
    )
    return Audience(branches, frozenset({me, *listed}))
