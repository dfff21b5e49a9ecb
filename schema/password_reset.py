"""Choosing a new password with the code a domain admin's reset mailed to the member.

The code is the credential: the caller is anonymous (the member's tokens all ended with the
reset), and a wrong, used or expired code gets one answer after the same work.
"""

from __future__ import annotations

import strawberry

from authz.passwords import hash_password
from resolvers.password_resets import use_code
from schema.enforcement.context import Info
from schema.payloads import DonePayload
from schema.protections import validation as valid
from schema.protections.errors import ErrorCode, client_error
from schema.sessions import limit_attempts


@strawberry.input
class ResetPasswordInput:
    code: str
    password: str


@strawberry.type
class PasswordResetMutations:
    @strawberry.mutation(
        description="Choose a new password with the one-time code mailed at a reset; the member"
        " is told by notification and mail. Sign in with it afterwards."
    )
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> DonePayload:
        context = info.context
        await limit_attempts(context)
        password_hash = hash_password(valid.password(input.password))
        if not await use_code(context.db, input.code, password_hash, context.now):
            raise client_error(ErrorCode.UNAUTHENTICATED, "The code is wrong, used or expired.")
        return DonePayload(ok=True)
