"""The schema as SDL, and what changed against a previous SDL (graphql-core's comparison).

`schema.graphql` at the repository root is this SDL, committed, so API changes show up in
review and clients can generate typed code from it; `imoox-gateway schema --breaking-against`
compares with the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    BreakingChange,
    DangerousChange,
    GraphQLError,
    find_breaking_changes,
    find_dangerous_changes,
)
from graphql import build_schema as schema_from_sdl

from schema.build import build_schema


def served_sdl() -> str:
    """The SDL of the schema the gateway serves (production differs only in what it hides)."""
    return build_schema().as_str() + "\n"


class UnreadableSchema(ValueError):
    """The previous SDL does not parse or does not make a schema."""


@dataclass(frozen=True, slots=True)
class SchemaChanges:
    breaking: list[BreakingChange]
    dangerous: list[DangerousChange]

    def lines(self) -> list[str]:
        return [
            *(f"BREAKING {c.type.name}: {c.description}" for c in self.breaking),
            *(f"DANGEROUS {c.type.name}: {c.description}" for c in self.dangerous),
        ]


def changes_since(previous_sdl: str) -> SchemaChanges:
    """What a client written against `previous_sdl` meets in the served schema."""
    try:
        previous = schema_from_sdl(previous_sdl)
    except (GraphQLError, TypeError) as error:
        raise UnreadableSchema(str(error)) from error
    new = build_schema()._schema
    return SchemaChanges(
        breaking=find_breaking_changes(previous, new),
        dangerous=find_dangerous_changes(previous, new),
    )
