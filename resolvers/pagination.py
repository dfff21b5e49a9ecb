"""Cursors for keyset pagination: sealed handles, bound to one list and one caller.

A cursor holds the position of the last row seen (never an offset, so rows the caller cannot
see neither shift nor reveal themselves), encrypted and authenticated with AES-256-GCM under a
key every replica derives alike. Its holder can neither read the position (a username, a time)
nor forge or alter one, and the list and caller it was issued for are its associated data: a
cursor replayed by another principal, or on another list or filter, does not open.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from resolvers.windows import TIME, Key, clamp_width

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
#: Far longer than any cursor this API issues; longer ones are refused before decoding.
MAX_CURSOR_LENGTH = 512
_NONCE_BYTES = 12


class InvalidCursor(ValueError):
    pass


class CursorSeal:
    """The gateway's cursor key: AES-256-GCM, derived by HKDF from a shared secret."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"imoox-gateway cursors v1"
        ).derive(secret)
        self._aead = AESGCM(key)

    @classmethod
    def random(cls) -> CursorSeal:
        """A key of this process only (tests, tools); a served gateway derives a shared one."""
        return cls(os.urandom(32))

    def seal(self, values: list[Any], scope: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, json.dumps(values).encode(), scope.encode())
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, cursor: str, scope: str) -> list[Any]:
        try:
            if len(cursor) > MAX_CURSOR_LENGTH:
                raise ValueError("too long")
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
            values = json.loads(self._aead.decrypt(nonce, sealed, scope.encode()))
            if not isinstance(values, list):
                raise TypeError
            return values
        except (ValueError, TypeError, InvalidTag) as error:
            raise InvalidCursor("`after` is not a cursor this list issued to you") from error


@dataclass(frozen=True, slots=True)
class Cursors:
    """The cursors of one list for one caller (`scope` names both)."""

    seal: CursorSeal
    scope: str

    def issue(self, *values: str | int) -> str:
        return self.seal.seal(list(values), self.scope)

    def read(self, cursor: str, *types: type) -> list[Any]:
        """The values of a cursor this list issued to this caller, checked against `types`."""
        values = self.seal.open(cursor, self.scope)
        if len(values) != len(types) or not all(
            type(value) is kind for value, kind in zip(values, types, strict=True)
        ):
            raise InvalidCursor("`after` is not a cursor this list issued to you")
        return values

    def position(self, document: Mapping[str, Any], width: int, time: str = TIME) -> str:
        """The cursor after `document` in a list read through time windows (`resolvers.windows`)
        ordered by `time`, with the window width to go on with (a hint: it changes cost, never
        rows)."""
        key = Key.of(document, time)
        return self.issue(key.millis, key.id, width)

    def after_position(self, cursor: str) -> tuple[Key, int]:
        millis, item_id, width = self.read(cursor, int, str, int)
        return Key(millis, item_id), clamp_width(width)

    def key(self, value: str) -> str:
        """The cursor after the row whose unique key is `value`."""
        return self.issue(value)

    def after_key(self, cursor: str) -> str:
        (value,) = self.read(cursor, str)
        return str(value)


NEWEST_FIRST = (("created_at", -1), ("_id", -1))
OLDEST_FIRST = (("created_at", 1), ("_id", 1))
