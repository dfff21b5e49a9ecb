"""Schema extensions that run once per operation (never per field)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator

from graphql import ExecutionResult, GraphQLError
from pymongo.errors import PyMongoError
from strawberry.extensions import SchemaExtension

from authz.principals import Principal
from resolvers.disclosures import record_disclosures
from schema.context import Context
from schema.errors import ErrorCode, client_error, is_client_error
from schema.security import REQUEST_ID, security_event

log = logging.getLogger(__name__)


class RecordDisclosures(SchemaExtension):
    """Write the operation's disclosure records before its response leaves (SPEC §8).

    If they cannot be written, the response carries no data at all: no data without a record.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if not isinstance(context, Context) or not context.disclosures:
            return
        try:
            await record_disclosures(context.db, context.disclosures.drain(context.now))
        except PyMongoError:
            log.exception("disclosure records could not be written; withholding the data")
            result = self.execution_context.result
            if isinstance(result, ExecutionResult):
                result.data = None
                result.errors = [
                    client_error(
                        ErrorCode.INTERNAL_SERVER_ERROR,
                        "The response was withheld because its disclosure could not be recorded.",
                    )
                ]


class ShapeErrors(SchemaExtension):
    """Every error leaves with a code; internal faults leave masked; refusals are logged.

    Internal faults become `Unexpected error.` with the request id to find them in the logs,
    never a stack trace or a database message. Parse and validation errors get Apollo's codes,
    and a limiter's refusal `LIMIT_EXCEEDED`.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not isinstance(result, ExecutionResult) or not result.errors:
            return
        context = self.execution_context.context
        principal = context.principal if isinstance(context, Context) else None
        result.errors = [_shaped(error, principal) for error in result.errors]


_LIMIT_MESSAGES = (
    (re.compile(r"exceeds maximum operation depth"), "depth"),
    (re.compile(r"aliases found\. Allowed"), "aliases"),
    (re.compile(r"Document contains more than \d+ tokens"), "tokens"),
)


def _shaped(error: GraphQLError, principal: Principal | None) -> GraphQLError:
    if not is_client_error(error):
        request_id = REQUEST_ID.get()
        log.error("internal error", extra={"request_id": request_id}, exc_info=error)
        return GraphQLError(
            "Unexpected error.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
        )
    extensions = dict(error.extensions or {})
    if "code" not in extensions:
        limit = next((name for rx, name in _LIMIT_MESSAGES if rx.search(error.message)), None)
        if limit:
            extensions |= {"code": ErrorCode.LIMIT_EXCEEDED.value, "limit": limit}
        elif error.message.startswith("Syntax Error"):
            extensions["code"] = ErrorCode.GRAPHQL_PARSE_FAILED.value
        else:
            extensions["code"] = ErrorCode.GRAPHQL_VALIDATION_FAILED.value
        error.extensions = extensions
    code = extensions["code"]
    if code == ErrorCode.FORBIDDEN:
        security_event("forbidden", str(extensions.get("coordinate")), principal)
    elif code == ErrorCode.LIMIT_EXCEEDED:
        security_event("limit", str(extensions.get("limit")), principal)
    return error
