"""Opaque cursors for keyset pagination over (created_at, _id), newest first.

A cursor encodes the position of the last item seen, never an offset, so items the caller
cannot see neither shift nor reveal themselves through cursors.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Position:
    created_at: datetime
    id: str

    def encode(self) -> str:
        raw = json.dumps([int(self.created_at.timestamp() * 1000), self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            millis, item_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not isinstance(millis, int) or not isinstance(item_id, str):
                raise TypeError
            return cls(datetime.fromtimestamp(millis / 1000, tz=UTC), item_id)
        except (ValueError, TypeError) as error:
            raise InvalidCursor("`after` is not a cursor this API issued") from error

    @classmethod
    def of(cls, document: dict[str, Any]) -> Position:
        created_at = document["created_at"]
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        return cls(created_at, document["_id"])

    def after_filter(self) -> dict[str, Any]:
        """Items strictly after this position in newest-first order."""
        return {
            "$or": [
                {"created_at": {"$lt": self.created_at}},
                {"created_at": self.created_at, "_id": {"$lt": self.id}},
            ]
        }


NEWEST_FIRST = (("created_at", -1), ("_id", -1))
OLDEST_FIRST = (("created_at", 1), ("_id", 1))


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    has_next_page: bool


def encode_key(value: str) -> str:
    """An opaque cursor for keyset pagination over one unique string key (e.g. a username)."""
    return base64.urlsafe_b64encode(json.dumps(["k", value]).encode()).decode().rstrip("=")


def decode_key(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if tag != "k" or not isinstance(value, str):
            raise TypeError
        return value
    except (ValueError, TypeError) as error:
        raise InvalidCursor("`after` is not a cursor this API issued") from error
