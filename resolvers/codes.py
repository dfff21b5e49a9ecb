"""One-time codes mailed to a person (sign-up confirmation, password reset).

A code carries 256 random bits, so it cannot be guessed and needs no slow hash; it is stored
only as its SHA-256 digest, by which it is looked up.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

#: How long a mailed code works.
CODE_TTL = timedelta(hours=24)


def new_code() -> str:
    return secrets.token_urlsafe(32)


def digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
