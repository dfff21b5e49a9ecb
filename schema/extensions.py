"""Schema extensions that run once per operation (never per field)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

from graphql import ExecutionResult
from pymongo.errors import PyMongoError
from strawberry.extensions import SchemaExtension

from resolvers.disclosures import record_disclosures
from schema.context import Context
from schema.errors import ErrorCode, client_error

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


class AllOrNothing(SchemaExtension):
    """`X-Authz-Mode: reject` (SPEC §8, Apollo Router's `reject`): no partial answers.

    If any selected field is denied, the answer is one FORBIDDEN error listing the denied
    coordinates, no data at all, and so nothing disclosed and nothing recorded. Runs before
    `RecordDisclosures` writes (extensions unwind in reverse), and discards the noted reads.
    """

    def on_execute(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        if not isinstance(context, Context) or not context.reject_mode:
            return
        if not isinstance(result, ExecutionResult) or not result.errors:
            return
        denied = sorted(
            {
                str((error.extensions or {}).get("coordinate"))
                for error in result.errors
                if (error.extensions or {}).get("code") == ErrorCode.FORBIDDEN
            }
        )
        if not denied:
            return
        context.disclosures.drain(context.now)
        result.data = None
        result.errors = [
            client_error(
                ErrorCode.FORBIDDEN,
                "Rejected: the request selects what the caller may not read.",
                denied=denied,
            )
        ]
