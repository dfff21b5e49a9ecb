"""What a query selects on an object, with fragments and inline fragments merged.

Projection pushdown needs the selection before the data exists; aliases collapse to the
field they alias, so no alias can reach anything its field could not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


@dataclass(frozen=True, slots=True)
class Selected:
    """A hashable selection tree: field name → what is selected below it."""

    fields: tuple[tuple[str, Selected], ...] = ()

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
