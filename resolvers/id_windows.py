"""Account ids as positions, so that a list in id order can read a bounded `_id` range at a
time: SecantusDB sorts a whole equality range in memory and applies `limit` after reading it,
but reads only the range asked for on the second key of an index.

Account ids are `acct-` and a suffix (a username, or 20 hex digits from sign-up). A position
is the suffix's first `DIGITS` characters read as base-128 digits; `bound(p)` is the smallest
id at position `p`, so `[bound(a), bound(b))` holds exactly the ids at positions `a` to `b`.
Any other string is still in exactly one range: below the prefix at position 0, above every
`acct-` id at the end (`bound` is then `None`: open-ended). Positions only size ranges; which
ids a range holds is decided by the database's own string order.
"""

from __future__ import annotations

PREFIX = "acct-"
BASE = 128
DIGITS = 10
#: One past the last position of the prefix's space.
END = BASE**DIGITS
#: Where suffixes start in practice: usernames and hex digits start at `0` or later.
FIRST = 0x30 * BASE ** (DIGITS - 1)


def position(account_id: str) -> int:
    if not account_id.startswith(PREFIX):
        return 0 if account_id < PREFIX else END
    value = 0
    for char in account_id[len(PREFIX) :][:DIGITS].ljust(DIGITS, "\0"):
        value = value * BASE + min(ord(char), BASE - 1)
    return value


def bound(at: int) -> str | None:
    """The smallest id at position `at` (every id at a lower position sorts before it)."""
    if at >= END:
        return None
    digits = []
    for _ in range(DIGITS):
        at, digit = divmod(at, BASE)
        digits.append(chr(digit))
    return PREFIX + "".join(reversed(digits)).rstrip("\0")
