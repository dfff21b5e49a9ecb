"""What a query selects on an object, with fragments and inline fragments merged.

Projection pushdown needs the selection before the data exists; aliases collapse to the
field they alias, so no alias can reach anything its field could not.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from graphql import OperationDefinitionNode
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

#: Fields whose selection is remembered (least recently used forgotten first).
KNOWN_FIELDS = 4096


@dataclass(frozen=True, slots=True)
class Selected:
    """A hashable selection tree: field name → what is selected below it.

    Its hash is computed once: selections key the request's loaders and the projection and
    decision caches, and hashing the tree anew walked all of it at every lookup.
    """

    fields: tuple[tuple[str, Selected], ...] = ()
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(self.fields))

    def __hash__(self) -> int:
        return self._hash

    def __iter__(self) -> Iterator[tuple[str, Selected]]:
        return iter(self.fields)

    def child(self, name: str) -> Selected:
        return dict(self.fields).get(name, Selected())

    @classmethod
    def of(cls, selections: Iterable[Selection]) -> Selected:
        grouped: dict[str, list[Selection]] = {}
        _group(selections, grouped)
        return cls(tuple(sorted((name, cls.of(below)) for name, below in grouped.items())))


def _group(selections: Iterable[Selection], into: dict[str, list[Selection]]) -> None:
    for selection in selections:
        if isinstance(selection, SelectedField):
            into.setdefault(selection.name, []).extend(selection.selections)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            _group(selection.selections, into)


#: (the operation's id, its field nodes' ids) → the operation, weakly, and what is selected.
_known: LRUCache[
    tuple[int, tuple[int, ...]], tuple[weakref.ref[OperationDefinitionNode], Selected]
] = LRUCache(KNOWN_FIELDS)


def selected_below(info: Info[Any, Any]) -> Selected:
    """What the query selects below the current field, worked out once per parsed document.

    It depends only on the field's nodes and the document's fragments (directives are not
    evaluated: a skipped field is still read, never one not asked for). The parser cache hands
    every request of one document the same nodes, so a field is known by its nodes' identity,
    checked against its operation, held weakly: an entry can neither keep a document alive nor
    answer for another document that reuses a freed node's address. A field selected more than
    once under one response key is one field (GraphQL merges them): its selection is all of
    theirs.
    """
    operation = info.operation
    nodes = info._raw_info.field_nodes
    key = (id(operation), tuple(map(id, nodes)))
    known = _known.get(key)
    if known is not None and known[0]() is operation:
        return known[1]
    selected = Selected.of(
        selection for chosen in info.selected_fields for selection in chosen.selections
    )
    _known[key] = (weakref.ref(operation), selected)
    return selected
