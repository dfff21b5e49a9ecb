"""The one place the schema is assembled: types, enforcement, extensions."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from schema.authorize import authorize_entry_points
from schema.errors import is_client_error
from schema.extensions import MaskInternalErrors, RecordDisclosures
from schema.guard import guard_resolved_fields, resolve_field
from schema.mutation import Mutation
from schema.query import Query
from schema.shapes import register
from schema.types import GUARDED_TYPES


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only internal errors: a caller's FORBIDDEN or bad input is an answer, not a fault."""
        for error in errors:
            if not is_client_error(error):
                StrawberryLogger.error(error, execution_context)


def build_schema() -> strawberry.Schema:
    register(*GUARDED_TYPES)
    guard_resolved_fields(*GUARDED_TYPES)
    authorize_entry_points(Query, Mutation)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(default_resolver=resolve_field),
        extensions=[
            partial(ParserCache, maxsize=512),
            partial(ValidationCache, maxsize=512),
            RecordDisclosures,
            MaskInternalErrors,
        ],
    )
