"""The one place the schema is assembled: types, enforcement, limits, extensions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.enforcement.authorize import authorize_entry_points
from schema.enforcement.context import Context
from schema.enforcement.extensions import (
    AllOrNothing,
    RecordDisclosures,
    RejectModeOnly,
    RejectModeTransaction,
)
from schema.enforcement.guard import resolve_field
from schema.enforcement.shapes import shape_guarded, unguarded
from schema.extension_hooks import PlannedExtensionsRunner
from schema.mutation import Mutation
from schema.protections.error_shaping import OpaqueDocumentErrors
from schema.protections.limits import Limits, document_limits
from schema.protections.persisted import PersistedOnly, PersistedQueries, QueryRegistry
from schema.query import Query


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Nothing here: `schema.protections.error_shaping` logs internal faults with their
        request id."""

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> PlannedExtensionsRunner:
        """The operation's extensions, without those that only reject mode needs unless asked,
        their hooks planned once per class (`schema.extension_hooks`)."""
        context = execution_context.context
        if not (isinstance(context, Context) and context.reject_mode):
            extensions = [e for e in extensions if not isinstance(e, RejectModeOnly)]
        return PlannedExtensionsRunner(execution_context=execution_context, extensions=extensions)


def build_schema(
    limits: Limits | None = None,
    *,
    production: bool = False,
    persisted: QueryRegistry | None = None,
    persisted_only: PersistedOnly = PersistedOnly.OFF,
    tracing: bool = False,
) -> strawberry.Schema:
    """The schema; `production` turns off introspection and "Did you mean …" suggestions,
    and answers every document that does not fit the schema with one generic error.

    With `persisted`, clients may send a registered query's hash; `persisted_only` says whose
    operations must be registered ones. `tracing` adds OpenTelemetry spans (`schema.tracing`,
    the `otel` extra).
    """
    limits = limits or Limits()
    shape_guarded()
    authorize_entry_points(Query, Mutation)
    extensions: list[Callable[[], Any]] = [
        document_limits(limits),  # parses and validates, cached
        RejectModeTransaction,
        RecordDisclosures,
        AllOrNothing,
    ]
    if production:
        extensions[:0] = [OpaqueDocumentErrors, DisableIntrospection]
    if tracing:
        from schema.tracing import Tracing  # only with the `otel` extra installed

        extensions.insert(0, Tracing)
    if persisted is not None or persisted_only is not PersistedOnly.OFF:
        registry = persisted or QueryRegistry()
        extensions.insert(0, partial(PersistedQueries, registry, only=persisted_only))
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(
            default_resolver=resolve_field,
            disable_field_suggestions=production,
            batching_config={"max_operations": limits.max_operations},
        ),
        extensions=extensions,
    )
    if problems := unguarded(schema._schema):
        raise TypeError("; ".join(problems))
    return schema
