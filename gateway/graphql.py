"""The `/graphql` endpoint: authenticate and rate-limit first, then hand over to Strawberry.

Authentication happens before GraphQL sees the request, so a bad token gets HTTP 401 and no
part of the operation executes; a caller over its rate gets 429 with `Retry-After`, and an
operation running past the timeout is cancelled and answered with `TIMEOUT`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import msgspec
from cross_web import HTTPException
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from authz.principals import Principal
from authz.tokens import TokenRejected
from gateway.auth import Authenticator
from gateway.deadlines import Deadlines
from gateway.ide import ide_page
from gateway.responses import error_response
from resolvers.transactions import turns
from schema.enforcement.context import Client, Context, SessionPolicy
from schema.observability import note_errors
from schema.protections.error_shaping import shape_error
from schema.protections.errors import UNAUTHENTICATED_MESSAGE, ErrorCode
from schema.protections.security import security_event
from schema.protections.throttle import RateLimiter, retry_after


@dataclass(frozen=True, slots=True)
class Throttles:
    per_principal: RateLimiter
    per_address: RateLimiter

    async def wait(self, principal: Principal, client: Client) -> float | None:
        """Seconds to wait if either the caller or its address is over its rate."""
        wait = await self.per_address.acquire(f"address:{client.ip}")
        if principal.signed_in:
            own = await self.per_principal.acquire(f"{principal.kind.value}:{principal.id}")
            if own is not None and (wait is None or own > wait):
                wait = own
        return wait


class GraphQLEndpoint:
    def __init__(
        self, graphql: GatewayGraphQL, authenticator: Authenticator, throttles: Throttles
    ) -> None:
        self.graphql = graphql
        self.authenticator = authenticator
        self.throttles = throttles

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            principal = await self.authenticator.authenticate(request)
            if isinstance(principal, Response):
                await principal(scope, receive, send)
                return
            client = self.authenticator.client(request)
            if wait := await self.throttles.wait(principal, client):
                security_event("rate_limited", "api", principal, client=client.ip)
                await too_many(wait)(scope, receive, send)
                return
            state = scope.setdefault("state", {})
            state["principal"] = principal
            state["client"] = client
            state["reauthenticate"] = lambda: self.authenticator.principal(request)
        await self.graphql(scope, receive, send)


class GatewayGraphQL(GraphQL[Context, None]):
    def __init__(
        self, schema: Any, sessions: SessionPolicy, *, timeout: float, **options: Any
    ) -> None:
        super().__init__(schema, **options)
        self.sessions = sessions
        self.timeout = timeout
        self.deadlines = Deadlines(timeout)

    async def render_graphql_ide(self, request: Any) -> Response:
        """Our offline GraphiQL page (`gateway/ide.py`), not Strawberry's CDN one."""
        return ide_page()

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(
            request.state.principal,
            request.app.state.db,
            client=request.state.client,
            sessions=self.sessions,
            response=response,
            reject_mode=request.headers.get("x-authz-mode", "").lower() == "reject",
            reauthenticate=request.state.reauthenticate,
            records=request.app.state.disclosure_writer,
        )

    def decode_json(self, data: str | bytes) -> object:
        """msgspec: the fastest sound decoder. It keeps a number exact however large (orjson
        would round one over 64 bits) and refuses what JSON does not allow (NaN, a byte order
        mark, lone surrogates, a number out of range, nesting deeper than Python's stack): a
        `BAD_REQUEST`, never a fault."""
        try:
            return msgspec.json.decode(data)
        except msgspec.DecodeError as error:
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        except RecursionError as error:  # arrays or objects nested past the decoder's stack
            raise HTTPException(400, "The request body nests too deeply.") from error

    def encode_json(self, data: object) -> bytes:
        return msgspec.json.encode(data)

    def parse_json(self, data: str | bytes) -> Any:
        """A body is one operation or a batch of them, each an object with typed members:
        anything else is a `BAD_REQUEST`, never a fault."""
        parsed = super().parse_json(data)
        for operation in parsed if isinstance(parsed, list) else [parsed]:
            if not isinstance(operation, dict):
                raise HTTPException(400, "Each operation must be a JSON object.")
            for member, types, what in _OPERATION_MEMBERS:
                if not isinstance(operation.get(member), types):
                    raise HTTPException(400, f"An operation's `{member}` must be {what}.")
        return parsed

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Strawberry's transport refusals (bad content type, a GET mutation, too many
        operations in a batch) as JSON with a code, like every other error."""
        try:
            return await super().run(request, *args, **kwargs)
        except HTTPException as refused:
            if refused.reason == "Too many operations":
                security_event("limit", "operations", request.state.principal)
                return error_response(
                    refused.status_code,
                    ErrorCode.LIMIT_EXCEEDED,
                    refused.reason,
                    limit="operations",
                )
            return error_response(refused.status_code, ErrorCode.BAD_REQUEST, refused.reason)

    async def execute_operation(  # type: ignore[override]
        self, *, request_data: Any, context: Context, **kwargs: Any
    ) -> Any:
        """A batch (a JSON array) runs its operations one after another, each on its own context.

        Each operation is decided, rejected and recorded alone (SPEC §8): only the caller is
        shared. Run in order, one operation's refusal, error or timeout is its own answer and
        can never cancel a sibling or turn the whole response into a failure.
        """
        if not isinstance(request_data, list):
            return await super().execute_operation(
                request_data=request_data, context=context, **kwargs
            )
        answers = []
        for index, operation in enumerate(request_data):
            try:
                if index:
                    # An earlier operation (or another request meanwhile) may have signed the
                    # caller out, blocked or reset its account: each operation is let in anew.
                    await kwargs["request"].state.reauthenticate()
                answer = await self.execute_single(
                    request_data=operation, context=context.for_operation(), **kwargs
                )
            except TokenRejected:
                answer = _refused(ErrorCode.UNAUTHENTICATED, UNAUTHENTICATED_MESSAGE)
            except HTTPException as refused:
                answer = _refused(ErrorCode.BAD_REQUEST, refused.reason)
            answers.append(answer)
        return answers

    async def process_result(self, request: Any, result: Any) -> Any:
        """Every error of every phase leaves shaped: coded, masked if internal, logged."""
        if result.errors:
            principal = request.state.principal
            result.errors = [shape_error(error, principal) for error in result.errors]
            note_errors(result.errors)
        return await super().process_result(request, result)

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        """One operation, cancelled if it runs longer than the timeout."""
        try:
            async with self.deadlines.within():
                return await self._until_no_conflict(*args, **kwargs)
        except TimeoutError:
            security_event("limit", "timeout", kwargs["context"].principal)
            kwargs["sub_response"].status_code = 504
            message = f"The operation took longer than {self.timeout:g} s and was cancelled."
            error = GraphQLError(message, extensions={"code": ErrorCode.TIMEOUT.value})
            return GraphQLExecutionResult(data=None, errors=[error])

    async def _until_no_conflict(self, *args: Any, **kwargs: Any) -> Any:
        """A reject-mode mutation whose transaction lost a write conflict (two writes of one
        counter at once) kept nothing and answered nothing: it runs again whole, on a fresh
        context, after a growing random wait, as MongoDB's `with_transaction` would."""
        context: Context = kwargs["context"]
        if not context.reject_mode:  # only a reject-mode transaction can lose a conflict whole
            return await super().execute_single(*args, **kwargs)
        for wait in turns():
            result = await super().execute_single(*args, **{**kwargs, "context": context})
            if not context.conflicted:
                return result
            await asyncio.sleep(wait)
            context = context.for_operation()
        return await super().execute_single(*args, **{**kwargs, "context": context})


#: What each member of an operation may be (GraphQL over HTTP), absent or null included.
_OPERATION_MEMBERS = (
    ("query", (str, type(None)), "a string"),
    ("operationName", (str, type(None)), "a string"),
    ("variables", (dict, type(None)), "an object"),
    ("extensions", (dict, type(None)), "an object"),
)


def _refused(code: ErrorCode, message: str) -> GraphQLExecutionResult:
    return GraphQLExecutionResult(
        data=None, errors=[GraphQLError(message, extensions={"code": code.value})]
    )


def too_many(wait: float) -> Response:
    """The 429 answer for a caller over its rate, with when to retry."""
    seconds = retry_after(wait)
    return error_response(
        429,
        ErrorCode.RATE_LIMITED,
        f"Too many requests; retry in {seconds} s.",
        headers={"Retry-After": str(seconds)},
        retryAfter=seconds,
    )
