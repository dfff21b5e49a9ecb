"""What callers see of errors: every one with a code, internal faults masked, refusals logged.

Applied to every result the HTTP layer sends (`gateway.graphql`), whichever phase produced
the error: parsing, validation, a limiter, or execution.
"""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError

from authz.principals import Principal
from schema.errors import ErrorCode, is_client_error
from schema.security import REQUEST_ID, security_event

log = logging.getLogger(__name__)

_LIMIT_MESSAGES = (
    (re.compile(r"exceeds maximum operation depth"), "depth"),
    (re.compile(r"aliases found\. Allowed"), "aliases"),
    (re.compile(r"Document contains more than \d+ tokens"), "tokens"),
)


def shape_error(error: GraphQLError, principal: Principal | None) -> GraphQLError:
    """Internal faults become `Unexpected error.` with the request id, never a stack trace
    or a database message; parse and validation errors get Apollo's codes, a limiter's
    refusal `LIMIT_EXCEEDED`; FORBIDDEN and limit hits go to the security log.
    """
    if not is_client_error(error):
        request_id = REQUEST_ID.get()
        cause = error.original_error or error
        log.error("internal error", extra={"request_id": request_id}, exc_info=cause)
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
