"""OpenTelemetry traces (the optional `otel` extra): a span per operation and per resolver.

Strawberry's `OpenTelemetryExtension`, made to keep personal data out of traces: no query text
(literals may hold an email or a name) and no resolver arguments (ids); instead each span says
what was decided. The operation span carries the principal's kind, the decisions made
(allowed, denied, the relations that granted them), the disclosure records written and the
answer's code; a resolver span whether its field was denied.
"""

from __future__ import annotations

from collections.abc import Generator
from inspect import isawaitable
from typing import Any

from graphql import GraphQLError
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from strawberry.extensions import LifecycleStep
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.extensions.tracing.utils import should_skip_tracing

from schema.enforcement.context import Context
from schema.observability import OK, tally
from schema.protections.errors import is_denial


class Tracing(OpenTelemetryExtension):
    def on_operation(self) -> Generator[None, None, None]:
        span = self._tracer.start_span("GraphQL operation", kind=SpanKind.SERVER)
        self._span_holder[LifecycleStep.OPERATION] = span
        span.set_attribute("component", "graphql")
        current = tally()
        since, disclosed = len(current.decisions), current.disclosures
        yield
        execution = self.execution_context
        if execution.operation_name:
            span.set_attribute("graphql.operation.name", execution.operation_name)
            span.update_name(f"GraphQL {execution.operation_name}")
        if execution.operation_type is not None:
            span.set_attribute("graphql.operation.type", execution.operation_type.value)
        context = execution.context
        if isinstance(context, Context):
            span.set_attribute("imoox.principal.kind", context.principal.kind.value)
        outcomes = current.outcomes(since)
        allowed = {relation: n for (relation, ok), n in outcomes.items() if ok}
        span.set_attribute("imoox.authz.allowed", sum(allowed.values()))
        span.set_attribute("imoox.authz.denied", outcomes.get((None, False), 0))
        span.set_attribute(
            "imoox.authz.relations", sorted(relation.value for relation in allowed if relation)
        )
        span.set_attribute("imoox.disclosures", current.disclosures - disclosed)
        errors = getattr(execution.result, "errors", None) or []
        span.set_attribute(
            "imoox.code", str((errors[0].extensions or {}).get("code")) if errors else OK
        )
        span.end()

    async def resolve(self, _next: Any, root: Any, info: Any, *args: str, **kwargs: Any) -> Any:
        """A span per resolver (not per stored field), saying whether its field was denied."""
        if should_skip_tracing(_next, info):
            result = _next(root, info, *args, **kwargs)
            return await result if isawaitable(result) else result
        coordinate = f"{info.parent_type.name}.{info.field_name}"
        operation = trace.set_span_in_context(self._span_holder[LifecycleStep.OPERATION])
        with self._tracer.start_as_current_span(
            f"GraphQL resolve {coordinate}", context=operation
        ) as span:
            span.set_attribute("graphql.field", coordinate)
            try:
                result = _next(root, info, *args, **kwargs)
                if isawaitable(result):
                    result = await result
            except GraphQLError as error:
                span.set_attribute("imoox.authz.outcome", "denied" if is_denial(error) else "error")
                raise
            span.set_attribute("imoox.authz.outcome", "allowed")
            return result
