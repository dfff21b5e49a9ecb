"""Input checks: each returns the clean value or raises BAD_USER_INPUT naming the field.

Mutations validate their whole input before writing anything, so bad input stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from urllib.parse import urlparse

import strawberry
from strawberry.utils.str_converters import to_camel_case

from authz.interests import interest_problem, normalized
from authz.lines import breaks_lines
from schema.protections.errors import bad_user_input

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
#: An address as plain SMTP carries it (RFC 5321 without SMTPUTF8): a dot-atom local part of at
#: most 64 characters, a domain of labels of at most 63 that neither start nor end with `-`,
#: the last one starting with a letter (a name in IDNA's `xn--` form), and at most 254 in all.
#: ASCII only: no invisible character and no look-alike from another script can make one
#: address show as another in an admin's list of members.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(
    rf"(?=[^@]{{1,64}}@)(?=.{{1,254}}$){_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+(?=[A-Za-z]){_LABEL}",
    re.ASCII,
)
PHONE = re.compile(r"^\+[1-9][0-9 ]{6,18}[0-9]$")
LANGUAGE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")

MIN_PASSWORD = 12
MAX_PASSWORD = 256


def given(value: object) -> bool:
    """Whether an optional input field was sent at all (`null` is sent; left out is not)."""
    return value is not strawberry.UNSET


def sent(input: object, names: Iterable[str]) -> dict[str, Any]:
    """The fields among `names` (Python names) the caller sent, enums as their values.

    For fields that can be changed but not removed: `null` is refused, naming the field.
    """
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(input, name)
        if not given(value):
            continue
        if value is None:
            field = to_camel_case(name)
            raise bad_user_input(field, f"`{field}` cannot be removed.")
        values[name] = value.value if isinstance(value, Enum) else value
    return values


def text(field: str, value: str, *, max_length: int, min_length: int = 1) -> str:
    value = value.strip()
    if not min_length <= len(value) <= max_length:
        raise bad_user_input(
            field, f"`{field}` must be {min_length} to {max_length} characters long."
        )
    return value


def line(field: str, value: str, *, max_length: int, min_length: int = 1) -> str:
    """Text shown on one line (a name, a title): no line breaks or other control characters."""
    if any(breaks_lines(character) for character in value):
        raise bad_user_input(field, f"`{field}` must be one line without control characters.")
    return text(field, value, max_length=max_length, min_length=min_length)


def matching(field: str, value: str, pattern: re.Pattern[str], what: str) -> str:
    value = value.strip()
    if not pattern.fullmatch(value):
        raise bad_user_input(field, f"`{field}` is not {what}.")
    return value


def username(value: str) -> str:
    return matching(
        "username",
        value.lower(),
        USERNAME,
        "a valid username (3 to 32 of a-z, 0-9, `_`, `.`, `-`, starting with a letter or digit)",
    )


def email(field: str, value: str) -> str:
    return matching(field, value, EMAIL, "a valid e-mail address").lower()


def phone(field: str, value: str) -> str:
    return matching(field, value, PHONE, "a phone number in international format (+43 …)")


def language(field: str, value: str) -> str:
    return matching(field, value, LANGUAGE, "a language tag such as `de` or `en-GB`")


def identifier(field: str, value: str) -> str:
    return matching(field, str(value), IDENTIFIER, "a valid id")


def password(value: str) -> str:
    if not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise bad_user_input(
            "password", f"`password` must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long."
        )
    return value


def url(field: str, value: str) -> str:
    try:  # Python's parser refuses some hosts itself (`https://[::1`, NFKC look-alikes)
        parsed = urlparse(value.strip())
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme != "https" or not parsed.netloc or len(value) > 2048:
        raise bad_user_input(field, f"`{field}` must be an https URL.")
    return value.strip()


def future(field: str, value: datetime, now: datetime) -> datetime:
    """A moment after `now`, in UTC: one without a time zone cannot be compared (it was a
    fault), and one outside the years 1 to 9999 in UTC cannot be stored."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise bad_user_input(field, f"`{field}` must give its time zone, e.g. `Z`.")
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        raise bad_user_input(field, f"`{field}` must be in the years 1 to 9999 in UTC.") from None
    if moment <= now:
        raise bad_user_input(field, f"`{field}` must be in the future.")
    return moment


def interests(field: str, values: Iterable[str]) -> list[str]:
    cleaned = []
    for value in values:
        if problem := interest_problem(value):
            raise bad_user_input(field, f"{problem}.")
        cleaned.append(normalized(value))
    return sorted(set(cleaned))


def ids(field: str, values: Iterable[str], *, max_items: int = 100) -> list[str]:
    cleaned = list(dict.fromkeys(identifier(field, v) for v in values))
    if len(cleaned) > max_items:
        raise bad_user_input(field, f"`{field}` may hold at most {max_items} ids.")
    return cleaned
