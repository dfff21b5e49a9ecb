"""The consent ledger (SPEC §6): granting, revoking, consent-by-action, and a partner's contacts.

What a consent may name is decided by `authz.consents` from the policy table; a partner's
reading of a consenting account is then decided field by field, like any read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache, partial
from typing import Any

import strawberry
from pymongo.asynchronous.database import AsyncDatabase

from authz.consents import CONTACT_FIELDS, consent_problem
from authz.principals import PartnerType
from resolvers import consents as ledger
from resolvers.collections import CONSENTS, PARTNERS
from resolvers.documents import by_id, subject_of
from schema.enforcement.context import Context, Info
from schema.enforcement.loading import account_loader
from schema.enforcement.subjects import NamesOwned
from schema.paging import cursors, page_size, read_after
from schema.protections import validation as valid
from schema.protections.errors import bad_user_input
from schema.types import Account, Consent


@strawberry.input
class GrantConsentInput:
    recipient: str
    fields: list[str] = strawberry.field(default_factory=list)
    purpose: str | None = None
    explicit: bool = False
    expires_at: datetime | None = None


@strawberry.input
class RevokeConsentInput(NamesOwned):
    consent_id: strawberry.ID

    async def locate_subject(self, db: AsyncDatabase[Any]) -> str | None:
        consent_id = valid.identifier("consentId", str(self.consent_id))
        return await subject_of(db, CONSENTS, consent_id)

    def unseen(self) -> Exception:
        return bad_user_input("consentId", "You have no such active consent.")


@strawberry.input
class ContactBusinessInput:
    business_id: str


@strawberry.type
class ConsentPayload:
    consent_id: strawberry.Private[str]

    @strawberry.field
    async def consent(self, info: Info) -> Consent | None:
        context = info.context
        doc = await by_id(context.db, CONSENTS, self.consent_id)
        if doc is None:
            return None
        subject = doc["subject"]
        await context.standings.load([subject])
        consent: Consent = context.guard(doc, "Consent", subject, context.standings.of(subject))
        return consent


@strawberry.type
class PartnerContact:
    """An account that consented to share fields with the calling partner."""

    consent_fields: list[str]
    purpose: str | None
    granted_at: datetime
    expires_at: datetime | None
    account: Account | None
    sealed_cursor: strawberry.Private[Callable[[], str]]

    @strawberry.field(
        description="Pass as `after` to `partnerContacts` for the contacts after this one."
    )
    def cursor(self) -> str:
        """Sealed when first selected (sealing costs more than reading the row)."""
        return self.sealed_cursor()


async def _recipient(context: Context, partner_id: str, field: str) -> PartnerType:
    found = await by_id(context.db, PARTNERS, valid.identifier(field, partner_id))
    if found is None:
        raise bad_user_input(field, "There is no such partner.")
    return PartnerType(found["partner_type"])


@strawberry.type
class ConsentMutations:
    @strawberry.mutation(description="Share named fields (or a purpose's) with a partner.")
    async def grant_consent(self, info: Info, input: GrantConsentInput) -> ConsentPayload:
        context = info.context
        partner_type = await _recipient(context, input.recipient, "recipient")
        purpose = input.purpose and valid.identifier("purpose", input.purpose)
        fields = sorted(set(input.fields))
        if problem := consent_problem(fields, purpose, input.explicit, partner_type):
            raise bad_user_input(*problem)
        expires_at = input.expires_at and valid.future("expiresAt", input.expires_at, context.now)
        consent_id = await ledger.grant(
            context.db,
            subject=str(context.principal.id),
            recipient=input.recipient,
            fields=fields,
            purpose=purpose,
            explicit=input.explicit,
            source="GRANT",
            now=context.now,
            expires_at=expires_at,
        )
        return ConsentPayload(consent_id=consent_id)

    @strawberry.mutation(description="Withdraw a consent; it stops counting on the next request.")
    async def revoke_consent(self, info: Info, input: RevokeConsentInput) -> ConsentPayload:
        context = info.context
        consent_id = str(input.consent_id)
        if not await ledger.revoke(context.db, str(context.principal.id), consent_id, context.now):
            raise input.unseen()
        return ConsentPayload(consent_id=consent_id)

    @strawberry.mutation(description='Press "call" on a business: it may see your phone number.')
    async def contact_business(self, info: Info, input: ContactBusinessInput) -> ConsentPayload:
        context = info.context
        if await _recipient(context, input.business_id, "businessId") is not PartnerType.BUSINESS:
            raise bad_user_input("businessId", "This partner is not a business.")
        consent_id = await ledger.grant(
            context.db,
            subject=str(context.principal.id),
            recipient=input.business_id,
            fields=CONTACT_FIELDS,
            purpose="contact",
            explicit=False,
            source="ACTION",
            now=context.now,
            expires_at=None,
        )
        return ConsentPayload(consent_id=consent_id)


async def resolve_partner_contacts(
    info: Info, first: int | None, after: str | None
) -> list[PartnerContact]:
    """The `partnerContacts` root: accounts whose consent in force names the calling partner,
    newest consent first, a page at a time (`after`: a row's `cursor`)."""
    context = info.context
    contacts = cursors(context, "Query.partnerContacts")
    position, width = read_after(after, contacts.after_position) or (None, None)
    partner = str(context.principal.id)
    page = await ledger.contacts_page(
        context.db, partner, context.now, page_size(first), position, width
    )
    consents = page.items
    # The partner's standing toward each contact is read by the account loader: from every
    # consent in force naming it, not only the one this row shows.
    node = context.selected(info).child("account")
    accounts = await account_loader(context, node).load_many([c["subject"] for c in consents])
    return [
        PartnerContact(
            consent_fields=consent["fields"],
            purpose=consent.get("purpose"),
            granted_at=consent[ledger.CONTACTS],
            expires_at=consent.get("expires_at"),
            account=account,
            sealed_cursor=cache(partial(contacts.position, consent, page.width, ledger.CONTACTS)),
        )
        for consent, account in zip(consents, accounts, strict=True)
    ]
