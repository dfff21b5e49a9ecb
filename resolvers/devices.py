"""Devices, sign-ins and the settings anonymous visitors keep per device id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, DEVICE_SETTINGS, DEVICES, SIGN_INS
from resolvers.documents import by_id
from resolvers.transactions import atomic


@dataclass(frozen=True, slots=True)
class SignInSource:
    device_id: str
    user_agent: str | None
    ip: str | None


async def record_sign_in(
    db: AsyncDatabase[Any], account: str, source: SignInSource, now: datetime
) -> bool:
    """Record a sign-in and its device; `True` (suspicious) for a device new to the account.

    An account's very first device is not suspicious: there is nothing it differs from.
    """
    async with atomic(db) as session:
        result = await db[DEVICES].update_one(
            {"account": account, "device_id": source.device_id},
            {
                "$setOnInsert": {"_id": uuid.uuid4().hex, "first_seen_at": now},
                "$set": {"user_agent": source.user_agent, "last_seen_at": now},
            },
            upsert=True,
            session=session,
        )
        new_device = result.upserted_id is not None
        if new_device:
            known = await db[DEVICES].count_documents({"account": account}, session=session)
            new_device = known > 1
        await db[SIGN_INS].insert_one(
            {
                "_id": uuid.uuid4().hex,
                "account": account,
                "at": now,
                "device_id": source.device_id,
                "user_agent": source.user_agent,
                "ip": source.ip,
                "suspicious": new_device,
            },
            session=session,
        )
        await db[ACCOUNTS].update_one(
            {"_id": account}, {"$set": {"stats.last_sign_in_at": now}}, session=session
        )
    return new_device


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
    """Copy a device's settings to the account, for each setting the account has none of."""
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
