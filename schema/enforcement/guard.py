"""Enforcement, wired into Strawberry once: every guarded value is read through `Guarded`.

Resolvers return documents wrapped in `Guarded` with the caller's standing toward the
document's subject. Stored fields are read by the schema's default resolver and resolved
fields pass through `GuardField`; both ask `Guarded.require`, a dictionary lookup in the
decisions precomputed for that standing. A denied field raises FORBIDDEN, which GraphQL turns
into `null` plus one error carrying the field's path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from authz.decisions import Decision, decisions_for
from authz.disclosures import DisclosureLog
from authz.relations import Standing
from schema.enforcement.shapes import SHAPES
from schema.observability import tally
from schema.protections.errors import ErrorCode, client_error


def forbidden(coordinate: str) -> GraphQLError:
    return client_error(
        ErrorCode.FORBIDDEN, f"Not allowed to read {coordinate}.", coordinate=coordinate
    )


@lru_cache(maxsize=8192)
def access(type_name: str, standing: Standing) -> Mapping[str, Decision]:
    """Decisions by Python field name: what the default resolver is asked for."""
    decisions = decisions_for(type_name, standing)
    shape = SHAPES[type_name]
    return MappingProxyType(
        {
            python_name: decisions[field.graphql_name]
            for python_name, field in shape.by_python.items()
            if field.graphql_name in decisions
        }
    )


class Guarded:
    """One document of `type_name`, seen by a caller with `standing` toward `subject`."""

    __slots__ = ("_access", "disclosures", "doc", "standing", "subject", "type_name")

    def __init__(
        self,
        doc: Mapping[str, Any],
        type_name: str,
        subject: str,
        standing: Standing,
        disclosures: DisclosureLog,
    ) -> None:
        self.doc = doc
        self.type_name = type_name
        self.subject = subject
        self.standing = standing
        self.disclosures = disclosures
        self._access = access(type_name, standing)

    def decision(self, python_name: str) -> Decision | None:
        """The decision for a field, without enforcing or recording it."""
        return self._access.get(python_name)

    def require(self, python_name: str) -> Decision:
        """The decision for a field, or FORBIDDEN; notes the disclosure when there is one."""
        decision = self._access.get(python_name)
        tally().decided(decision)
        if decision is None or not decision.allowed:
            raise forbidden(decision.coordinate if decision else f"{self.type_name}.{python_name}")
        if decision.recorded:
            self.disclosures.note(self.subject, decision, self.standing)
        return decision

    def read(self, python_name: str) -> Any:
        self.require(python_name)
        return self.value(python_name)

    def value(self, python_name: str) -> Any:
        """The field's value, unchecked: only for `read`, after `require`."""
        field = SHAPES[self.type_name].by_python[python_name]
        value = self.doc.get(field.key)
        if field.embedded is None or value is None:
            return value
        if isinstance(value, list):
            return [self.embed(field.embedded, item) for item in value]
        return self.embed(field.embedded, value)

    def embed(self, type_name: str, doc: Mapping[str, Any]) -> Guarded:
        """A document stored inside this one: same subject, same standing."""
        return Guarded(doc, type_name, self.subject, self.standing, self.disclosures)


def resolve_field(source: Any, python_name: str) -> Any:
    """The schema's default resolver: guarded documents are read through their decisions."""
    if type(source) is Guarded:
        return source.read(python_name)
    return getattr(source, python_name)


class GuardField(FieldExtension):
    """The same check for fields that have a resolver (lists, relations, computed values)."""

    def apply(self, field: StrawberryField) -> None:
        self.python_name = field.python_name

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        if type(source) is Guarded:
            source.require(self.python_name)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        if type(source) is Guarded:
            source.require(self.python_name)
        return await next_(source, info, **kwargs)


def guard_resolved_fields(*types: type[Any]) -> None:
    """Attach `GuardField` to every resolver-backed field of the guarded types, once."""
    for cls in types:
        for field in cls.__strawberry_definition__.fields:
            already = any(isinstance(e, GuardField) for e in field.extensions)
            if field.base_resolver is not None and not already:
                field.extensions.append(GuardField())
