"""`GET /export`: the data export streamed as it is read, for exports too large for one response.

The same document `exportMyData` returns, decided by the same write rule.
"""

from __future__ import annotations

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from gateway.auth import Authenticator
from gateway.responses import error_response
from schema.enforcement.authorize import authorize_write
from schema.enforcement.context import Context, SessionPolicy
from schema.export import export_chunks
from schema.protections.errors import ErrorCode


class ExportEndpoint:
    def __init__(self, authenticator: Authenticator, sessions: SessionPolicy) -> None:
        self.authenticator = authenticator
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        response = await self.respond(request)
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        principal = await self.authenticator.authenticate(request)
        if isinstance(principal, Response):
            return principal
        context = Context(
            principal,
            request.app.state.db,
            client=self.authenticator.client(request),
            sessions=self.sessions,
        )
        try:
            await authorize_write(context, "exportMyData")
        except GraphQLError as refused:
            extensions = dict(refused.extensions or {})
            code = ErrorCode(extensions.pop("code"))
            status = 401 if code is ErrorCode.UNAUTHENTICATED else 403
            return error_response(status, code, refused.message, **extensions)
        return StreamingResponse(
            export_chunks(context, str(principal.id)),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="imoox-export.json"'},
        )
