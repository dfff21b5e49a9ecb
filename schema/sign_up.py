"""Signing up without telling whether an address or username has an account (SPEC §4, §7).

`signUp` answers every valid request alike, after the same work, and mails the address
(`resolvers.sign_ups` says what the mail says); `confirmSignUp` with the mailed code makes the
account. Only whoever reads the mailbox learns whether the address or the username is taken.
"""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from authz.passwords import hash_password
from resolvers.accounts import AccountExists, insert_account
from resolvers.collections import DOMAINS
from resolvers.documents import by_id
from resolvers.sign_ups import confirm_sign_up, own_confirmation_mail, request_sign_up
from schema.enforcement.context import Context, Info
from schema.protections import validation as valid
from schema.protections.errors import ErrorCode, bad_user_input, client_error
from schema.sessions import limit_attempts


@strawberry.input
class SignUpInput:
    username: str
    password: str
    email: str
    display_name: str
    phone: str | None = None
    language: str | None = None
    domain: str | None = strawberry.field(
        default=None, description="An institution domain; the e-mail must belong to it."
    )


@strawberry.type(description="The same for every valid sign-up: what happens next is mailed.")
class SignUpPayload:
    mail_sent: bool = strawberry.field(
        description="Always true: a code to confirm the account, or a notice, went to the address."
    )


@strawberry.input
class ConfirmSignUpInput:
    code: str


@strawberry.type
class ConfirmSignUpPayload:
    account_id: strawberry.ID


@strawberry.type
class SignUpMutations:
    @strawberry.mutation(description="Ask for an account; the address gets a code to confirm it.")
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        context = info.context
        await limit_attempts(context)
        username = valid.username(input.username)
        email = valid.email("email", input.email)
        draft: dict[str, Any] = {
            "username": username,
            "email": email,
            "password_hash": hash_password(valid.password(input.password)),
            "display_name": valid.line("displayName", input.display_name, max_length=100),
            "photo_url": None,
            "phone": valid.phone("phone", input.phone) if input.phone else None,
            "domain": await _domain_of(context, input.domain, email),
            "status": "ACTIVE",
            "rights_limits": {"edit": False, "delete": False, "privacy": False},
            "settings": {
                "language": valid.language("language", input.language) if input.language else None,
                "personalized_ads": False,
                "friends_recommendations": True,
                "profile_visibility": "PUBLIC",
            },
            "stats": {"apps_installed": 0, "last_sign_in_at": None},
            "ad_interests": [],
        }
        await request_sign_up(context.db, draft, context.now)
        return SignUpPayload(mail_sent=True)

    @strawberry.mutation(description="Make the account with the code mailed by `signUp`.")
    async def confirm_sign_up(self, info: Info, input: ConfirmSignUpInput) -> ConfirmSignUpPayload:
        context = info.context
        await limit_attempts(context)
        confirmed = await confirm_sign_up(context.db, input.code, context.now)
        if confirmed is None:
            raise client_error(ErrorCode.UNAUTHENTICATED, "The code is wrong, used or expired.")
        account_id = f"acct-{uuid.uuid4().hex[:20]}"
        account = {"_id": account_id, **confirmed.draft, "created_at": context.now}
        try:
            await insert_account(context.db, account)
        except AccountExists as taken:
            # Only whoever read the code in the mailbox gets here, as the mail would tell them.
            raise bad_user_input(
                taken.field, f"This {taken.field} was taken meanwhile; sign up again."
            ) from None
        await own_confirmation_mail(context.db, confirmed, account_id)
        return ConfirmSignUpPayload(account_id=strawberry.ID(account["_id"]))


async def _domain_of(context: Context, domain_id: str | None, email: str) -> str | None:
    if domain_id is None:
        return None
    domain = await by_id(context.db, DOMAINS, valid.identifier("domain", domain_id))
    if domain is None or not email.endswith("@" + domain["email_domain"]):
        raise bad_user_input("domain", "The e-mail address does not belong to this domain.")
    return str(domain["_id"])
