"""Typed errors for callers: every error a caller sees carries an `extensions.code`.

Errors without one are internal and are masked before they leave the server.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from graphql import GraphQLError
from pymongo.errors import ConnectionFailure, ExecutionTimeout


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_REQUIRED = "PERSISTED_QUERY_REQUIRED"
    TIMEOUT = "TIMEOUT"
    RATE_LIMITED = "RATE_LIMITED"
    BAD_REQUEST = "BAD_REQUEST"
    UNAVAILABLE = "UNAVAILABLE"


#: The one answer to a token that does not (or no longer) stand, whatever its flaw.
UNAUTHENTICATED_MESSAGE = "The bearer token is invalid, expired or revoked."


#: The answer while the database is down, restarting or stalled (`is_outage`).
UNAVAILABLE_MESSAGE = "The database is unavailable or did not answer in time; retry shortly."


def is_outage(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) is the database being unreachable or not answering
    within the bound (`database_timeout_seconds`): the caller may retry, nothing is wrong
    with the request."""
    while error is not None:
        if isinstance(error, ConnectionFailure | ExecutionTimeout):
            return True
        error = error.__cause__ or error.__context__
    return False


def client_error(code: ErrorCode, message: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value, **extensions})


def bad_user_input(field: str, message: str) -> GraphQLError:
    return client_error(ErrorCode.BAD_USER_INPUT, message, field=field)


def unauthenticated(coordinate: str) -> GraphQLError:
    return client_error(
        ErrorCode.UNAUTHENTICATED, "This field needs a signed-in caller.", coordinate=coordinate
    )


def is_client_error(error: GraphQLError) -> bool:
    """Errors safe to show as they are: typed ones, and GraphQL's own about the request.

    Syntax, validation and variable-coercion errors describe the caller's request (they
    arise before any resolver, so they have no `path`); anything else a resolver raised
    without a code is an internal fault.
    """
    original = error.original_error
    if original is None:
        return True
    if isinstance(original, GraphQLError):
        return "code" in (original.extensions or {}) or error.path is None
    # A value the caller wrote that its type's parser raised on (an Int past the digits Python
    # converts, a DateTime past year 9999): graphql-core words these so, as variables or literals.
    return error.path is None and error.message.startswith(_COERCION_ERRORS)


#: How graphql-core begins the errors of coercing a variable's value or a literal.
_COERCION_ERRORS = ("Variable '$", "Expected value of type")


def is_denial(error: GraphQLError) -> bool:
    """A refusal by the policy: FORBIDDEN or UNAUTHENTICATED naming the coordinate it decided.

    Wrong credentials or a wrong code are answers, not decisions: they carry no coordinate,
    and reject mode leaves them (and the lockout they count toward) alone.
    """
    extensions = error.extensions or {}
    return extensions.get("code") in _DENIALS and "coordinate" in extensions


_DENIALS = frozenset({ErrorCode.FORBIDDEN, ErrorCode.UNAUTHENTICATED})
