"""Devices, sign-ins and the settings anonymous visitors keep per device id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, DEVICE_SETTINGS, DEVICES, SIGN_INS
from resolvers.documents import by_id
from resolvers.rollups import insert_counted
from resolvers.transactions import retried


@dataclass(frozen=True, slots=True)
class SignInSource:
    device_id: str
    user_agent: str | None
    ip: str | None


class SignInDevice(Enum):
    """What a sign-in's device is to its account."""

    FIRST = "the account's first sign-in ever, on its first device"
    KNOWN = "a device the account used before, with the browser it used then"
    NEW = "a device or browser new to an account that has used others: suspicious"


async def record_sign_in(
    db: AsyncDatabase[Any], account: str, source: SignInSource, now: datetime
) -> SignInDevice:
    """Record a sign-in and its device, and say what the device is to the account.

    An account's very first device is not suspicious: there is nothing it differs from. A
    device id is no secret (every request of the device sends it), so a known id from another
    browser than the one recorded counts as new: whoever copied the id is still noticed. The
    browser recorded becomes the new one, so an updated browser raises one alert, not many.
    """

    async def record(session: AsyncClientSession | None) -> SignInDevice:
        before = await db[DEVICES].find_one_and_update(
            {"account": account, "device_id": source.device_id},
            {
                "$setOnInsert": {"_id": uuid.uuid4().hex, "first_seen_at": now},
                "$set": {"user_agent": source.user_agent, "last_seen_at": now},
            },
            {"user_agent": 1},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
            session=session,
        )
        if before is None:
            known = await db[DEVICES].count_documents({"account": account}, session=session)
            device = SignInDevice.NEW if known > 1 else SignInDevice.FIRST
        elif before.get("user_agent") != source.user_agent:
            device = SignInDevice.NEW
        else:
            device = SignInDevice.KNOWN
        await insert_counted(
            db,
            SIGN_INS,
            {
                "_id": uuid.uuid4().hex,
                "account": account,
                "at": now,
                "device_id": source.device_id,
                "user_agent": source.user_agent,
                "ip": source.ip,
                "suspicious": device is SignInDevice.NEW,
            },
            session,
        )
        await db[ACCOUNTS].update_one(
            {"_id": account}, {"$set": {"stats.last_sign_in_at": now}}, session=session
        )
        return device

    return await retried(db, record)


async def update_device_settings(
    db: AsyncDatabase[Any], device_id: str, changes: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    await db[DEVICE_SETTINGS].update_one(
        {"_id": device_id}, {"$set": {**changes, "updated_at": now}}, upsert=True
    )
    return await by_id(db, DEVICE_SETTINGS, device_id) or {}


#: What a visitor can set without an account, and what an account adopts from its device.
DEVICE_SETTING_KEYS = ("language", "theme")


async def adopt_device_settings(db: AsyncDatabase[Any], account: str, device_id: str) -> None:
    """Copy a device's settings to the account, for each setting the account has none of.

    A settings write on the account: the caller decides it like `updateSettings`, and calls
    this only at an account's first sign-in (anyone who knows a device id can set what the
    device remembers, so a device the account already used must not speak for it).
    """
    remembered = await by_id(db, DEVICE_SETTINGS, device_id)
    if not remembered:
        return
    doc = await db[ACCOUNTS].find_one({"_id": account}, {"settings": 1}) or {}
    own = doc.get("settings") or {}
    missing = {
        f"settings.{key}": remembered[key]
        for key in DEVICE_SETTING_KEYS
        if remembered.get(key) is not None and own.get(key) is None
    }
    if missing:
        await db[ACCOUNTS].update_one({"_id": account}, {"$set": missing})
