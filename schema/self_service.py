"""What every person can do with their own data: profile, settings, notifications (SPEC §7)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from resolvers.accounts import update_account
from resolvers.collections import DEVICE_SETTINGS
from resolvers.devices import update_device_settings
from resolvers.documents import by_id
from resolvers.notifications import mark_read
from schema.enforcement.context import Info
from schema.payloads import AccountPayload, DonePayload
from schema.protections import validation as valid
from schema.protections.errors import bad_user_input
from schema.protections.validation import given


@strawberry.enum
class ProfileVisibility(Enum):
    PUBLIC = "PUBLIC"
    DOMAIN = "DOMAIN"
    PRIVATE = "PRIVATE"


@strawberry.enum
class Theme(Enum):
    SYSTEM = "SYSTEM"
    LIGHT = "LIGHT"
    DARK = "DARK"


@strawberry.input
class AddressInput:
    street: str
    city: str
    postal_code: str
    country: str


@strawberry.input
class BillingInput:
    holder: str
    iban: str
    plan: str


@strawberry.input
class SensitiveProfileInput:
    ethnicity: str | None = None
    religion: str | None = None
    sexual_orientation: str | None = None
    health: str | None = None


@strawberry.input(description="Fields left out stay as they are; `null` clears optional ones.")
class UpdateProfileInput:
    display_name: str | None = strawberry.UNSET
    photo_url: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    billing: BillingInput | None = strawberry.UNSET
    sensitive: SensitiveProfileInput | None = strawberry.UNSET
    ad_interests: list[str] | None = strawberry.UNSET


@strawberry.input(description="Fields left out stay as they are.")
class UpdateSettingsInput:
    language: str | None = strawberry.UNSET
    theme: Theme | None = strawberry.UNSET
    personalized_ads: bool | None = strawberry.UNSET
    friends_recommendations: bool | None = strawberry.UNSET
    profile_visibility: ProfileVisibility | None = strawberry.UNSET


@strawberry.input
class MarkNotificationReadInput:
    notification_id: strawberry.ID


@strawberry.input
class UpdateDeviceSettingsInput:
    language: str | None = strawberry.UNSET
    theme: Theme | None = strawberry.UNSET


@strawberry.type
class DeviceSettings:
    device_id: str
    language: str | None
    theme: Theme | None


def _profile_changes(input: UpdateProfileInput) -> dict[str, Any]:
    """The validated `$set` of a profile update; raises before anything is written."""
    changes: dict[str, Any] = {}
    if given(input.display_name):
        if input.display_name is None:
            raise bad_user_input("displayName", "`displayName` cannot be removed.")
        changes["display_name"] = valid.line("displayName", input.display_name, max_length=100)
    if given(input.photo_url):
        changes["photo_url"] = input.photo_url and valid.url("photoUrl", input.photo_url)
    if given(input.phone):
        changes["phone"] = input.phone and valid.phone("phone", input.phone)
    if given(input.address):
        changes["address"] = input.address and {
            "street": valid.line("address.street", input.address.street, max_length=200),
            "city": valid.line("address.city", input.address.city, max_length=100),
            "postal_code": valid.line(
                "address.postalCode", input.address.postal_code, max_length=16
            ),
            "country": valid.matching(
                "address.country", input.address.country.upper(), valid.COUNTRY, "an ISO country"
            ),
        }
    if given(input.billing):
        changes["billing"] = input.billing and {
            "holder": valid.line("billing.holder", input.billing.holder, max_length=100),
            "iban": valid.matching(
                "billing.iban", input.billing.iban.replace(" ", ""), valid.IBAN, "a valid IBAN"
            ),
            "plan": valid.line("billing.plan", input.billing.plan, max_length=32),
        }
    if given(input.sensitive):
        sensitive = input.sensitive
        changes["sensitive"] = sensitive and {
            key: value and valid.text(f"sensitive.{key}", value, max_length=200)
            for key, value in (
                ("ethnicity", sensitive.ethnicity),
                ("religion", sensitive.religion),
                ("sexual_orientation", sensitive.sexual_orientation),
                ("health", sensitive.health),
            )
        }
    if given(input.ad_interests):
        changes["ad_interests"] = valid.interests("adInterests", input.ad_interests or [])
    return changes


def _settings_changes(input: UpdateSettingsInput | UpdateDeviceSettingsInput) -> dict[str, Any]:
    changes = valid.sent(input, vars(input))
    if "language" in changes:
        changes["language"] = valid.language("language", changes["language"])
    return changes


@strawberry.type
class SelfServiceMutations:
    @strawberry.mutation(description="Change your profile (refused under `rightsLimits.edit`).")
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> AccountPayload:
        context = info.context
        account = str(context.principal.id)
        await update_account(context.db, account, _profile_changes(input))
        return AccountPayload(account_id=account)

    @strawberry.mutation(description="Change your settings (refused under `rightsLimits.privacy`).")
    async def update_settings(self, info: Info, input: UpdateSettingsInput) -> AccountPayload:
        context = info.context
        account = str(context.principal.id)
        changes = {f"settings.{key}": v for key, v in _settings_changes(input).items()}
        await update_account(context.db, account, changes)
        return AccountPayload(account_id=account)

    @strawberry.mutation(description="Mark one of your notifications read.")
    async def mark_notification_read(
        self, info: Info, input: MarkNotificationReadInput
    ) -> DonePayload:
        context = info.context
        notification = valid.identifier("notificationId", str(input.notification_id))
        if not await mark_read(context.db, str(context.principal.id), notification):
            raise bad_user_input("notificationId", "You have no such notification.")
        return DonePayload(ok=True)

    @strawberry.mutation(description="Remember language and display settings for this device.")
    async def update_device_settings(
        self, info: Info, input: UpdateDeviceSettingsInput
    ) -> DeviceSettings:
        context = info.context
        device_id = _device_id(info)
        doc = await update_device_settings(
            context.db, device_id, _settings_changes(input), context.now
        )
        return _device_settings(device_id, doc)


def _device_id(info: Info) -> str:
    device_id = info.context.principal.device_id
    if not device_id:
        raise bad_user_input("X-Device-Id", "Send the device's id in the `X-Device-Id` header.")
    return valid.identifier("X-Device-Id", device_id)


def _device_settings(device_id: str, doc: dict[str, Any] | None) -> DeviceSettings:
    doc = doc or {}
    theme = doc.get("theme")
    return DeviceSettings(
        device_id=device_id, language=doc.get("language"), theme=Theme(theme) if theme else None
    )


async def resolve_device_settings(info: Info) -> DeviceSettings:
    """The `deviceSettings` query: what this device remembers (empty for a new device)."""
    device_id = _device_id(info)
    return _device_settings(device_id, await by_id(info.context.db, DEVICE_SETTINGS, device_id))
