"""The one shape of an error answered outside GraphQL execution: `{data: null, errors: [...]}`.

Refusals made before Strawberry runs (a bad token, a rate limit, an oversized body, a transport
error) look to a client exactly like GraphQL's own errors: a message and an `extensions.code`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

from schema.observability import note_code
from schema.protections.errors import ErrorCode


def error_response(
    status: int,
    code: ErrorCode,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    note_code(code.value)
    error = {"message": message, "extensions": {"code": code.value, **extensions}}
    return JSONResponse({"data": None, "errors": [error]}, status_code=status, headers=headers)
