"""The `/graphql` endpoint: authenticate first, then hand the request to Strawberry.

Authentication happens before GraphQL sees the request, so a bad token gets HTTP 401 and no
part of the operation executes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from gateway.auth import Authenticator
from schema.context import Context, SessionPolicy


class GraphQLEndpoint:
    def __init__(self, graphql: GatewayGraphQL, authenticator: Authenticator) -> None:
        self.graphql = graphql
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            principal = await self.authenticator.authenticate(request)
            if isinstance(principal, Response):
                await principal(scope, receive, send)
                return
            state = scope.setdefault("state", {})
            state["principal"] = principal
            state["client"] = self.authenticator.client(request)
        await self.graphql(scope, receive, send)


class GatewayGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: Any, sessions: SessionPolicy, **options: Any) -> None:
        super().__init__(schema, **options)
        self.sessions = sessions

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(
            request.state.principal,
            request.app.state.db,
            client=request.state.client,
            sessions=self.sessions,
        )
