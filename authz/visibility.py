"""Which content items a principal may see (SPEC §5), as MongoDB filters: the rows of the
grants that read content in the policy table (`authz.policy.AUDIENCE`, `LISTED_OWNERS`).

Visibility is decided in the query, not after it: invisible items are never read, so lists,
counts and cursors cannot leak them, and a lookup of an invisible id finds nothing, exactly as
for an id that does not exist.

A comment has no audience of its own: it is seen by whoever sees its item at the time of the
request (the query checks the item), and by its author, like any item by its owner. Nothing of
the item's audience is copied onto the comment, so it cannot go stale or be read through it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from authz.policy import POLICY
from authz.principals import Principal
from authz.relations import Relation
from authz.rows import Fact, Shown, principal_facts, render

__all__ = ["COMMENT", "NOT_COMMENTS", "Audience", "Shown", "audience"]

COMMENT = "COMMENT"
NOT_COMMENTS: dict[str, Any] = {"kind": {"$ne": COMMENT}}


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
    """The caller's audience, from the rows of the grants that read content (`authz.policy`);
    `listed` are owners a legal request lets it read every item of.

    The VIEWER grant's branches are the ways an item is seen (its comments following it); a
    branch that is only its owner (`{"owner": X}`, `{"owner": {"$in": [...]}}`, of any grant)
    also shows that owner's every document, comments on others' items included. A branch naming
    a fact the caller lacks is no branch: anyone but an account holder sees PUBLIC items only.
    """
    return _audience(tuple(principal_facts(principal, listed).items()))


@lru_cache(maxsize=4096)
def _audience(facts: tuple[tuple[Fact, Any], ...]) -> Audience:
    """The audience these facts render (every request of one caller renders the same)."""
    branches: list[Shown] = []
    owners: set[str] = set()
    for grant in POLICY["Account"]["content"].grants:
        shown = render(grant.rows, dict(facts)) if grant.rows is not None else ()
        if grant.relation is Relation.VIEWER:
            branches += shown
        for branch in shown:
            owners |= _owners(branch)
    return Audience(tuple(branches), frozenset(owners))


def _owners(branch: Shown) -> set[str]:
    """The owners a branch shows everything of: none unless it tests nothing but `owner`."""
    if branch.where or set(branch.equal) != {"owner"}:
        return set()
    owner = branch.equal["owner"]
    if isinstance(owner, str):
        return {owner}
    if isinstance(owner, Mapping) and set(owner) == {"$in"}:
        return set(owner["$in"])
    return set()
