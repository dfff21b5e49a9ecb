"""Signing in, refreshing and signing out (SPEC §7); signing up is `schema.sign_up`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import cache
from typing import assert_never

import strawberry

from authz.passwords import hash_password, verify_password
from authz.principals import PrincipalKind
from authz.relations import Relation
from authz.writes import decide_write
from resolvers import lockout, sessions
from resolvers.accounts import account_by_username
from resolvers.admin import set_account_state
from resolvers.devices import SignInDevice, SignInSource, adopt_device_settings, record_sign_in
from resolvers.notifications import notify
from resolvers.tokens import revoke
from resolvers.transactions import kept_whatever_happens
from schema.enforcement.context import Context, Info
from schema.protections import validation as valid
from schema.protections.errors import ErrorCode, client_error

#: What a signed-in account holder holds toward their own account.
OWN = frozenset({Relation.SELF})

#: One answer for an unknown user and a wrong password, so neither can be told apart.
BAD_CREDENTIALS = "The username or password is wrong."


@cache
def _decoy_hash() -> str:
    """Verified against when the user does not exist, so both failures take as long."""
    return hash_password(uuid.uuid4().hex)


@strawberry.input
class SignInInput:
    username: str
    password: str
    device_id: str


@strawberry.input
class RefreshTokenInput:
    refresh_token: str


@strawberry.input
class SignOutInput:
    all_devices: bool = False


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    account_id: strawberry.ID


@strawberry.type
class SignOutPayload:
    signed_out: bool


async def limit_attempts(context: Context) -> None:
    """Refuse (429) past the per-address rate of attempts at credentials and mailed codes,
    counted in the database before the attempt (every replica's attempts count at once)."""
    limiter, address = context.sessions.sign_in_limiter, context.client.ip
    if limiter and (wait := await limiter.acquire_exactly(address or "-")):
        raise context.too_many(wait, "sign-in attempts from this address")


async def _token_pair(context: Context, session: sessions.Session) -> AuthPayload:
    issuer = context.sessions.issuer
    if issuer is None:
        raise client_error(ErrorCode.FORBIDDEN, "Sign-in is handled by the identity provider.")
    ttl = context.sessions.access_ttl
    claims = {"kind": PrincipalKind.USER.value, "sub": session.account, "sid": session.family}
    # Issued as of the request's start, when the grant was decided: a cut-off after that
    # moment (a reset while the password was being checked) refuses the token.
    issued_at = context.now.timestamp()
    return AuthPayload(
        access_token=issuer.issue(claims, int(ttl.total_seconds()), issued_at),
        refresh_token=session.refresh_token,
        token_type="Bearer",
        expires_in=int(ttl.total_seconds()),
        account_id=strawberry.ID(session.account),
    )


def _lifetimes(context: Context) -> sessions.Lifetimes:
    return sessions.Lifetimes(context.sessions.refresh_ttl, context.sessions.access_ttl)


@strawberry.type
class SessionMutations:
    @strawberry.mutation(description="Sign in; a device the account never used raises an alert.")
    async def sign_in(self, info: Info, input: SignInInput) -> AuthPayload:
        context = info.context
        policy, address = context.sessions, context.client.ip
        device_id = valid.identifier("deviceId", input.device_id)
        username = input.username.strip().lower()
        await limit_attempts(context)
        if locked := await lockout.locked_for(context.db, username, address, context.now):
            raise context.too_many(locked, "failed sign-ins for this account")
        account = await account_by_username(
            context.db, username, [*sessions.GRANT_FIELDS, "email", "rights_limits"]
        )
        stored_hash = (account or {}).get("password_hash")
        verified = verify_password(stored_hash or _decoy_hash(), input.password)
        if account is None or not stored_hash or not verified:
            async with kept_whatever_happens(context.db):
                await lockout.record_failure(
                    context.db,
                    username,
                    address,
                    context.now,
                    threshold=policy.lockout_threshold,
                    base=policy.lockout_base,
                    longest=policy.lockout_longest,
                )
            raise client_error(ErrorCode.UNAUTHENTICATED, BAD_CREDENTIALS)
        await lockout.clear(context.db, username, address)
        if account["status"] != "ACTIVE":
            raise client_error(ErrorCode.FORBIDDEN, "This account is suspended or blocked.")
        source = SignInSource(device_id, context.client.user_agent, context.client.ip)
        browser = source.user_agent or "unknown browser"
        device = await record_sign_in(context.db, account["_id"], source, context.now)
        match device:
            case SignInDevice.NEW:
                await notify(
                    context.db,
                    account["_id"],
                    "SUSPICIOUS_SIGN_IN",
                    f"New sign-in from an unknown device ({browser}).",
                    context.now,
                    mail_to=account.get("email"),
                )
            case SignInDevice.FIRST:
                limits = account.get("rights_limits") or {}
                if decide_write("updateSettings", PrincipalKind.USER, OWN, limits).allowed:
                    await adopt_device_settings(context.db, account["_id"], device_id)
            case SignInDevice.KNOWN:
                pass
            case _:
                assert_never(device)
        session = await sessions.start_granted_session(
            context.db, account, device_id, context.now, _lifetimes(context)
        )
        if session is None:
            raise client_error(
                ErrorCode.UNAUTHENTICATED, "The account changed while signing in; sign in again."
            )
        return await _token_pair(context, session)

    @strawberry.mutation(description="A new token pair for a refresh token; each works once.")
    async def refresh_token(self, info: Info, input: RefreshTokenInput) -> AuthPayload:
        context = info.context
        session = await sessions.rotate_session(
            context.db, input.refresh_token, context.now, _lifetimes(context)
        )
        if session is None:
            raise client_error(ErrorCode.UNAUTHENTICATED, "The refresh token is invalid or used.")
        return await _token_pair(context, session)

    @strawberry.mutation(
        description="End this token and its session; with `allDevices`, every session and"
        " token of the account. Any signed-in caller may sign out."
    )
    async def sign_out(self, info: Info, input: SignOutInput) -> SignOutPayload:
        context = info.context
        principal = context.principal
        # Sessions end first: if the revocation after it fails, signing out again still works.
        if input.all_devices and principal.id:
            # The account's cut-off ends the access tokens of other devices too, at once.
            await set_account_state(context.db, principal.id, {})
        elif principal.session_id:
            await sessions.end_family(
                context.db, principal.session_id, context.now, _lifetimes(context)
            )
        if principal.token_id and principal.token_expires_at:
            expires = datetime.fromtimestamp(principal.token_expires_at, UTC)
            await revoke(context.db, principal.token_id, expires)
        return SignOutPayload(signed_out=True)
