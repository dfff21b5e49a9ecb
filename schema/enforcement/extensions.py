"""Schema extensions that run once per operation (never per field)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from graphql import ExecutionResult, GraphQLError
from pymongo.errors import PyMongoError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from resolvers.transactions import enclosing_transaction, supports_transactions
from schema.enforcement.context import Context
from schema.enforcement.preflight import refused_writes
from schema.observability import DISCLOSURE_WRITE_SECONDS, tally
from schema.protections.errors import ErrorCode, client_error, is_client_error, is_denial, is_outage

log = logging.getLogger(__name__)


class RecordDisclosures(SchemaExtension):
    """Write the operation's disclosure records before its response leaves (SPEC §8).

    If they cannot be written, the response carries no data at all: no data without a record.
    Concurrent operations' records go in one insert (`DisclosureWriter`); each operation
    waits for the insert carrying its own, and a failed insert withholds every answer it carried.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if not isinstance(context, Context):
            return
        result = self.execution_context.result
        if isinstance(result, ExecutionResult) and result.data is None:
            context.disclosures.forget_reads()
        if not context.disclosures:
            return
        disclosures = context.disclosures.drain(context.now)
        try:
            with DISCLOSURE_WRITE_SECONDS.time():
                await context.records.write(disclosures)
            tally().disclosures += len(disclosures.records)
        except PyMongoError as error:
            log.exception("disclosure records could not be written; withholding the data")
            context.discarded = True
            _answer_only(
                self.execution_context,
                client_error(
                    ErrorCode.UNAVAILABLE if is_outage(error) else ErrorCode.INTERNAL_SERVER_ERROR,
                    "The response was withheld because its disclosure could not be recorded.",
                ),
            )


class RejectModeOnly(SchemaExtension):
    """An extension with work only in reject mode: left out of every other operation's run
    (`GatewaySchema.create_extensions_runner`), since each hook costs every request."""


class AllOrNothing(RejectModeOnly):
    """`X-Authz-Mode: reject` (SPEC §8, Apollo Router's `reject`): no partial answers.

    If any selected field, root or write is denied (FORBIDDEN, or UNAUTHENTICATED for want of
    a sign-in), the answer is one FORBIDDEN error listing the denied coordinates, no data, and
    nothing recorded or written; an internal fault likewise answers only itself. A mutation
    document's writes are all decided before the first runs; what only execution can decide
    (a payload's fields) rolls back `RejectModeTransaction`. Runs before `RecordDisclosures`
    writes (extensions unwind in reverse).
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if not isinstance(context, Context) or not context.reject_mode:
            yield
            return
        if self.execution_context.result is None and self._is_mutation():
            refusals = await refused_writes(self.execution_context, context)
            if refusals:
                self._reject(context, refusals)
        yield
        result = self.execution_context.result
        errors = list(result.errors or ()) if isinstance(result, ExecutionResult) else []
        if context.discarded:
            return
        if denials := [e for e in errors if is_denial(e)]:
            self._reject(context, denials)
        elif faults := [e for e in errors if not is_client_error(e)]:
            # A fault may have nulled a payload before its fields were decided, hiding a
            # denial: an answer in reject mode is whole or nothing, and nothing of it is kept.
            self._discard(context, *faults)

    def _is_mutation(self) -> bool:
        return self.execution_context.operation_type is OperationType.MUTATION

    def _reject(self, context: Context, denials: list[GraphQLError]) -> None:
        denied = sorted({str((e.extensions or {}).get("coordinate")) for e in denials})
        rejection = client_error(
            ErrorCode.FORBIDDEN,
            "Rejected: the request selects what the caller may not read or do.",
            denied=denied,
        )
        self._discard(context, rejection)

    def _discard(self, context: Context, *answer: GraphQLError) -> None:
        """Answer only `answer`; nothing of the operation is recorded, written or kept."""
        context.discarded = True
        context.disclosures.drain(context.now)
        _answer_only(self.execution_context, *answer)


class RejectModeTransaction(RejectModeOnly):
    """A mutation document in reject mode runs in one transaction, rolled back if rejected.

    So "nothing executes" holds for writes even when a denial is found only while executing.
    A server without transactions cannot promise that, and such a request is refused unrun.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        mutation = self.execution_context.operation_type is OperationType.MUTATION
        if not isinstance(context, Context) or not context.reject_mode or not mutation:
            yield
            return
        if not await supports_transactions(context.db):
            _answer_only(
                self.execution_context,
                client_error(
                    ErrorCode.BAD_REQUEST,
                    "Reject mode for mutations needs a database with transactions.",
                ),
            )
            yield
            return
        try:
            async with enclosing_transaction(context.db) as transaction:
                yield
                context.conflicted = _lost_a_conflict(self.execution_context.result)
                transaction.roll_back = context.discarded or context.conflicted
        except PyMongoError as error:
            context.conflicted = _is_conflict(error)
            log.log(
                logging.INFO if context.conflicted else logging.ERROR,
                "the operation's transaction failed; nothing of it was kept",
                exc_info=not context.conflicted,
            )
            _answer_only(
                self.execution_context,
                client_error(
                    ErrorCode.INTERNAL_SERVER_ERROR,
                    "The operation was not carried out: its transaction failed.",
                ),
            )


def _is_conflict(error: BaseException | None) -> bool:
    """A write conflict with another transaction: the server aborted ours, nothing was kept."""
    return isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError")


def _lost_a_conflict(result: object) -> bool:
    errors = (result.errors or []) if isinstance(result, ExecutionResult) else []
    return any(_is_conflict(error.original_error) for error in errors)


def _answer_only(execution_context: ExecutionContext, *errors: GraphQLError) -> None:
    """Make the operation's answer these errors and no data.

    Changed in place once execution has run: Strawberry returns the result object it holds.
    """
    result = execution_context.result
    if isinstance(result, ExecutionResult):
        result.data = None
        result.errors = list(errors)
    else:
        execution_context.result = ExecutionResult(data=None, errors=list(errors))
