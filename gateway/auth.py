"""Authentication: every HTTP request becomes exactly one principal, or is refused with 401.

Shared by every route that serves data (`/graphql`, `/export`), so they cannot disagree on who
is calling.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authz.principals import Principal
from authz.token_accounts import refusal
from authz.tokens import TokenRejected, TokenVerifier
from gateway.responses import error_response
from resolvers.token_standing import TokenStanding
from schema.enforcement.context import Client
from schema.protections.errors import UNAUTHENTICATED_MESSAGE, ErrorCode
from schema.protections.security import security_event


class Authenticator:
    def __init__(
        self,
        verifier: TokenVerifier,
        standing: TokenStanding,
        trusted_proxy_header: str | None = None,
    ) -> None:
        self.verifier = verifier
        self.standing = standing
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
        principal = await self.verifier.verify_current(token.strip(), device_id=device_id)
        db = request.app.state.db
        standing = self.standing
        if principal.token_id and await standing.is_revoked(
            db, principal.token_id, principal.session_id
        ):
            raise TokenRejected(
                f"token {principal.token_id} or its session has been revoked", "revoked"
            )
        if principal.id is not None:
            account = await standing.account(db, principal.id)
            if reason := refusal(principal, account):
                raise TokenRejected(reason, "account")
        return principal

    def client(self, request: Request) -> Client:
        """Where the request comes from: the trusted proxy's header, else the peer address."""
        ip = request.client.host if request.client else None
        if self.trusted_proxy_header:
            # Every line of the header, in order (RFC 9110 §5.3: one comma-separated list): a
            # proxy that adds its own line after the caller's (HAProxy's `option forwardfor`)
            # vouches for the last entry of the last line, not of the first.
            forwarded = ",".join(request.headers.getlist(self.trusted_proxy_header))
            # The proxy appends the address it saw: the last entry is the one it vouches for.
            ip = forwarded.rsplit(",", 1)[-1].strip() or ip
        return Client(ip=ip, user_agent=request.headers.get("user-agent"))

    async def authenticate(self, request: Request) -> Principal | Response:
        """The principal, or the 401 response to send instead (logged, without the token)."""
        try:
            return await self.principal(request)
        except TokenRejected as error:
            security_event(
                "token_refused", error.reason, detail=str(error), client=self.client(request).ip
            )
            return unauthenticated_response()


def unauthenticated_response() -> Response:
    return error_response(
        401,
        ErrorCode.UNAUTHENTICATED,
        UNAUTHENTICATED_MESSAGE,
        headers={"WWW-Authenticate": "Bearer"},
    )
