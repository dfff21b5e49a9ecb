"""Every write of a mutation document decided before any of them runs (reject mode, SPEC §8).

In reject mode a document with any refused part changes nothing. Mutations run one after
another, so deciding each when its turn comes would let the earlier ones write first; this
module reads the document's mutation fields and their arguments exactly as execution will
(same variable coercion, same fragments, same input types) and asks the write table for each.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from graphql.execution.collect_fields import collect_fields
from graphql.execution.executor import Executor
from graphql.execution.values import get_argument_values
from strawberry.types import ExecutionContext
from strawberry.types.arguments import convert_arguments

from schema.enforcement.authorize import authorize_input
from schema.enforcement.context import Context
from schema.protections.errors import is_denial


async def refused_writes(
    execution_context: ExecutionContext, context: Context
) -> list[GraphQLError]:
    """The refusal of each mutation field of the operation that the caller may not run."""
    strawberry_schema = execution_context.schema
    schema = strawberry_schema._schema
    mutation_type = schema.mutation_type
    document = execution_context.graphql_document
    if mutation_type is None or document is None:
        return []
    executor = Executor.build(
        schema,
        document,
        raw_variable_values=execution_context.variables,
        operation_name=execution_context.operation_name,
    )
    if isinstance(executor, list):
        return []  # execution itself reports the coercion errors, and nothing runs
    fields = collect_fields(
        schema, executor.fragments, executor.variable_values, mutation_type, executor.operation
    ).grouped_field_set
    refusals = []
    for details in fields.values():
        node = details[0].node
        name = node.name.value
        field_def = mutation_type.fields.get(name)
        field = strawberry_schema.get_field_for_type(field_name=name, type_name=mutation_type.name)
        if field_def is None or field is None:
            continue  # __typename
        kwargs: dict[str, Any] = convert_arguments(
            get_argument_values(field_def, node, executor.variable_values),
            field.arguments,
            scalar_registry=strawberry_schema.schema_converter.scalar_registry,
            config=strawberry_schema.config,
        )
        try:
            await authorize_input(context, name, kwargs.get("input"))
        except GraphQLError as refusal:
            # Anything but a denial (a missing thing) is answered by execution, exactly so.
            if is_denial(refusal):
                refusals.append(refusal)
    return refusals
