"""How each guarded type maps to its documents, derived once from the Strawberry types.

For every field: its GraphQL name (what the policy names), its Python name (what the default
resolver is asked for), its document key, whether it is stored in the document or resolved,
and for stored objects the embedded type. Projection and guarding use this, never per-type code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.types.base import StrawberryList, StrawberryOptional, get_object_definition
from strawberry.utils.str_converters import to_camel_case


@dataclass(frozen=True, slots=True)
class FieldShape:
    graphql_name: str
    python_name: str
    key: str
    stored: bool
    embedded: str | None


@dataclass(frozen=True, slots=True)
class TypeShape:
    name: str
    by_graphql: dict[str, FieldShape]
    by_python: dict[str, FieldShape]


SHAPES: dict[str, TypeShape] = {}


def register(*types: type[Any]) -> None:
    """Record the shape of each type given. Embedded types are not found from their parents:
    each must be named too (`schema.types.GUARDED_TYPES` lists them all)."""
    for cls in types:
        definition = get_object_definition(cls, strict=True)
        fields = []
        for field in definition.fields:
            stored = field.base_resolver is None
            embedded = _object_name(field.type) if stored else None
            key = "_id" if field.python_name == "id" else field.python_name
            graphql_name = field.graphql_name or to_camel_case(field.python_name)
            fields.append(FieldShape(graphql_name, field.python_name, key, stored, embedded))
        SHAPES[definition.name] = TypeShape(
            definition.name,
            by_graphql={f.graphql_name: f for f in fields},
            by_python={f.python_name: f for f in fields},
        )


def _object_name(annotation: Any) -> str | None:
    while isinstance(annotation, StrawberryOptional | StrawberryList):
        annotation = annotation.of_type
    definition = get_object_definition(annotation)
    return definition.name if definition else None
