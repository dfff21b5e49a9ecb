"""The `/graphql` endpoint: authenticate first, then hand the request to Strawberry.

Authentication happens before GraphQL sees the request, so a bad token gets HTTP 401 and no
part of the operation executes.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from authz.principals import Principal
from authz.tokens import TokenRejected, TokenVerifier
from resolvers.tokens import is_revoked
from schema.context import Context
from schema.errors import ErrorCode

log = logging.getLogger(__name__)


class GraphQLEndpoint:
    def __init__(self, graphql: GraphQL[Context, None], verifier: TokenVerifier) -> None:
        self.graphql = graphql
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            try:
                principal = await self.authenticate(request)
            except TokenRejected as error:
                log.info(
                    "token rejected",
                    extra={"reason": str(error), "client": request.client and request.client.host},
                )
                await _unauthenticated()(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
        await self.graphql(scope, receive, send)

    async def authenticate(self, request: Request) -> Principal:
        device_id = request.headers.get("x-device-id") or None
        authorization = request.headers.get("authorization")
        if authorization is None:
            return Principal.anonymous(device_id)
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("the Authorization header is not `Bearer <token>`")
        principal = self.verifier.verify(token.strip(), device_id=device_id)
        if principal.token_id and await is_revoked(request.app.state.db, principal.token_id):
            raise TokenRejected(f"token {principal.token_id} has been revoked")
        return principal


class GatewayGraphQL(GraphQL[Context, None]):
    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(request.state.principal, request.app.state.db)


def _unauthenticated() -> Response:
    body = {
        "data": None,
        "errors": [
            {
                "message": "The bearer token is invalid, expired or revoked.",
                "extensions": {"code": ErrorCode.UNAUTHENTICATED.value},
            }
        ],
    }
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
