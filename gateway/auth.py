"""Authentication: every HTTP request becomes exactly one principal, or is refused with 401.

Shared by every route that serves data (`/graphql`, `/export`), so they cannot disagree on who
is calling.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from authz.principals import Principal
from authz.tokens import TokenRejected, TokenVerifier
from resolvers.tokens import is_revoked
from schema.context import Client
from schema.errors import ErrorCode

log = logging.getLogger(__name__)


class Authenticator:
    def __init__(self, verifier: TokenVerifier, trusted_proxy_header: str | None = None) -> None:
        self.verifier = verifier
        self.trusted_proxy_header = trusted_proxy_header

    async def principal(self, request: Request) -> Principal:
        """The caller; raises `TokenRejected` for any flaw in the credentials."""
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

    def client(self, request: Request) -> Client:
        """Where the request comes from: the trusted proxy's header, else the peer address."""
        ip = request.client.host if request.client else None
        if self.trusted_proxy_header:
            forwarded = request.headers.get(self.trusted_proxy_header, "")
            # The proxy appends the address it saw: the last entry is the one it vouches for.
            ip = forwarded.rsplit(",", 1)[-1].strip() or ip
        return Client(ip=ip, user_agent=request.headers.get("user-agent"))

    async def authenticate(self, request: Request) -> Principal | Response:
        """The principal, or the 401 response to send instead (logged, without the token)."""
        try:
            return await self.principal(request)
        except TokenRejected as error:
            log.info(
                "token rejected",
                extra={"reason": str(error), "client": self.client(request).ip},
            )
            return unauthenticated_response()


def unauthenticated_response() -> Response:
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
