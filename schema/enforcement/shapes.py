"""How each guarded type maps to its documents, derived once from the Strawberry types.

For every field: its GraphQL name (what the policy names), its Python name (what the default
resolver is asked for), its document key, whether it is stored in the document or resolved,
and for stored objects the embedded type. Projection and guarding use this, never per-type code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type
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


#: The guarded types by GraphQL name, as `schema.enforcement.guard.guarded` declares them.
GUARDED: dict[str, type[Any]] = {}
SHAPES: dict[str, TypeShape] = {}


def declare(cls: type[Any]) -> None:
    """Note `cls` as guarded; its shape is taken at build, when every annotation resolves."""
    GUARDED[get_object_definition(cls, strict=True).name] = cls


def shape_guarded() -> None:
    """Record the shape of every declared type (at schema build)."""
    for cls in GUARDED.values():
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


def unguarded(schema: GraphQLSchema) -> list[str]:
    """What the built schema leaves unguarded, as sentences; empty when nothing is.

    Every declared type must be in the schema, and every object a guarded type's field holds
    (stored inside its document, or read for it by a resolver) is a document read through the
    policy too, so its type must be declared: a type forgotten here fails the build instead of
    being read unchecked.
    """
    problems = []
    for name in sorted(GUARDED):
        graphql_type = schema.type_map.get(name)
        if not isinstance(graphql_type, GraphQLObjectType):
            problems.append(f"{name} is declared @guarded but the schema does not reach it")
            continue
        for field_name, field in graphql_type.fields.items():
            held = get_named_type(field.type)
            if isinstance(held, GraphQLObjectType) and held.name not in GUARDED:
                problems.append(f"{name}.{field_name} holds {held.name}, which is not @guarded")
    return problems


def _object_name(annotation: Any) -> str | None:
    while isinstance(annotation, StrawberryOptional | StrawberryList):
        annotation = annotation.of_type
    definition = get_object_definition(annotation)
    return definition.name if definition else None
