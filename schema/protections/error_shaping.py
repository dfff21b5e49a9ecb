"""What callers see of errors: every one with a code, internal faults masked, refusals logged.

`shape_error` is applied to every result the HTTP layer sends (`gateway.graphql`), whichever
phase produced the error: parsing, validation, a limiter, or execution. In production,
`OpaqueDocumentErrors` first makes the answer to a document that does not fit the schema
one generic error: GraphQL's own texts ("Field 'account' of type 'Account' must have a
selection of subfields", "Cannot query field …", variable coercion naming input types) would
otherwise rebuild the schema that introspection no longer gives out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from authz.principals import Principal
from schema.protections.errors import (
    UNAVAILABLE_MESSAGE,
    ErrorCode,
    is_client_error,
    is_denial,
    is_outage,
)
from schema.protections.security import REQUEST_ID, security_event

log = logging.getLogger(__name__)

_LIMIT_MESSAGES = (
    (re.compile(r"exceeds maximum operation depth"), "depth"),
    (re.compile(r"aliases found\. Allowed"), "aliases"),
    (re.compile(r"Document contains more than \d+ tokens"), "tokens"),
)

#: Production's one answer to every document that fails validation or variable coercion.
#: It names nothing of the schema, and is the same whatever was wrong, so answers cannot be
#: compared either.
OPAQUE_MESSAGE = "Invalid GraphQL request; the server log holds the details under its requestId."


def _document_code(error: GraphQLError) -> tuple[ErrorCode, dict[str, str]]:
    """The code of an error GraphQL raised about the document itself (it carries none)."""
    limit = next((name for rx, name in _LIMIT_MESSAGES if rx.search(error.message)), None)
    if limit:
        return ErrorCode.LIMIT_EXCEEDED, {"limit": limit}
    if error.message.startswith("Syntax Error"):
        return ErrorCode.GRAPHQL_PARSE_FAILED, {}
    return ErrorCode.GRAPHQL_VALIDATION_FAILED, {}


def _describes_schema(error: GraphQLError) -> bool:
    """Whether `error` is GraphQL's account of how the document does not fit the schema:
    a validation or variable-coercion error (no code, no path), not a limit or a syntax error.
    """
    if not is_client_error(error) or error.path is not None:
        return False
    if "code" in (error.extensions or {}):
        return False
    return _document_code(error)[0] is ErrorCode.GRAPHQL_VALIDATION_FAILED


def opaque_document_errors(errors: list[GraphQLError]) -> list[GraphQLError]:
    """`errors` as production answers them: if any describes the schema, one generic error
    (no locations: they would point at the unknown name) and the details in the log under
    the request id; a limit refused with it goes too, as its numbers count known fields.
    """
    if not any(_describes_schema(error) for error in errors):
        return errors
    request_id = REQUEST_ID.get()
    details = [error.formatted for error in errors]
    log.info("document refused", extra={"request_id": request_id, "errors": details})
    code = ErrorCode.GRAPHQL_VALIDATION_FAILED.value
    return [GraphQLError(OPAQUE_MESSAGE, extensions={"code": code, "requestId": request_id})]


#: Production's texts for refusals (SPEC §11: error texts name no type or field); the code
#: and `extensions.coordinate` (SPEC §8) still say what was refused.
_REFUSAL_TEXTS: dict[str, str] = {
    ErrorCode.FORBIDDEN: "Permission denied.",
    ErrorCode.UNAUTHENTICATED: "Authentication required.",
}


def plain_refusals(errors: list[GraphQLError]) -> list[GraphQLError]:
    """`errors` with each policy refusal's text (it names the coordinate) made plain."""
    for error in errors:
        if is_denial(error):
            error.message = _REFUSAL_TEXTS[str((error.extensions or {})["code"])]
    return errors


class OpaqueDocumentErrors(SchemaExtension):
    """Production only: no error text names anything of the schema.

    Validation and variable-coercion errors become one generic error; refusals keep their
    code and coordinate, not their text. Runs when the operation ends, so it sees validation
    errors and the variable-coercion errors that execution reports, before the transport
    shapes them.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = plain_refusals(opaque_document_errors(list(result.errors)))


def shape_error(error: GraphQLError, principal: Principal | None) -> GraphQLError:
    """Internal faults become `Unexpected error.` with the request id, never a stack trace
    or a database message (an unreachable or stalled database: `UNAVAILABLE`, retry); parse
    and validation errors get Apollo's codes, a limiter's refusal `LIMIT_EXCEEDED`; FORBIDDEN
    and limit hits go to the security log.
    """
    if not is_client_error(error):
        request_id = REQUEST_ID.get()
        cause = error.original_error or error
        if is_outage(cause):
            log.warning(
                "database unavailable", extra={"request_id": request_id, "error": str(cause)}
            )
            return GraphQLError(
                UNAVAILABLE_MESSAGE,
                nodes=error.nodes,
                path=error.path,
                extensions={"code": ErrorCode.UNAVAILABLE.value, "requestId": request_id},
            )
        log.error("internal error", extra={"request_id": request_id}, exc_info=cause)
        return GraphQLError(
            "Unexpected error.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
        )
    extensions = dict(error.extensions or {})
    if "code" not in extensions:
        code, details = _document_code(error)
        extensions |= {"code": code.value, **details}
        error.extensions = extensions
    code = extensions["code"]
    if code == ErrorCode.FORBIDDEN:
        security_event("forbidden", str(extensions.get("coordinate")), principal)
    elif code == ErrorCode.LIMIT_EXCEEDED:
        security_event("limit", str(extensions.get("limit")), principal)
    return error
