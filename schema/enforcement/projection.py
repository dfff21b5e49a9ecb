"""Projection pushdown: fetch only what the caller both selected and may read (SPEC §8)."""

from __future__ import annotations

from functools import lru_cache

from authz.decisions import decisions_for
from authz.relations import Standing
from schema.enforcement.selection import Selected
from schema.enforcement.shapes import SHAPES


@lru_cache(maxsize=4096)
def projection(type_name: str, selected: Selected, standing: Standing) -> tuple[str, ...]:
    """Document paths to read: selected, stored, and allowed under `standing`."""
    shape = SHAPES[type_name]
    decisions = decisions_for(type_name, standing)
    paths = {"_id"}
    for name, below in selected:
        field = shape.by_graphql.get(name)
        decision = decisions.get(name)
        if field is None or not field.stored or decision is None or not decision.allowed:
            continue
        if field.embedded and below.fields:
            inner = [
                f"{field.key}.{path}"
                for path in projection(field.embedded, below, standing)
                if path != "_id"
            ]
            # Nothing stored selected below (only computed fields): the object must still exist.
            paths.update(inner or [field.key])
        else:
            paths.add(field.key)
    return tuple(sorted(paths))
