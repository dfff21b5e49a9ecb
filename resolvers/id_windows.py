"""Account ids as positions, so that a list in id order can read a bounded `_id` range at a
time: SecantusDB sorts a whole equality range in memory and applies `limit` after reading it,
but reads only the range asked for on the second key of an index.

Account ids are `acct-` and a suffix (a username, or 20 hex digits from sign-up). A position
is the suffix's first `DIGITS` characters read as hex digits (`ALPHABET`, so that positions
are dense where ids are: random hex spreads evenly); `bound(p)` is the
smallest string at position `p`, and `bound` grows with `p`, so ranges `[bound(a), bound(b))`
follow each other without gap or overlap. Positions only size ranges and say where the range
after an id starts: which ids a range holds is the database's own string order, so any id,
whatever its characters, is in exactly one range (`bound` is `None` past the last position:
the last range is open-ended).
"""

from __future__ import annotations

from bisect import bisect_right

PREFIX = "acct-"
#: The digits of sign-up's ids, which is how a domain grows to thousands. Other characters
#: (a demo username's) count as the nearest digit below: ids of mostly such characters share
#: few ranges, which costs reads when they are many, never answers.
ALPHABET = "0123456789abcdef"
BASE = len(ALPHABET)
DIGITS = 15
#: One past the last position of the prefix's space.
END = BASE**DIGITS
#: Where suffixes start in practice: usernames and hex digits start at `0` or later.
FIRST = 0


def position(account_id: str) -> int:
    if not account_id.startswith(PREFIX):
        return 0 if account_id < PREFIX else END
    value = 0
    for char in account_id[len(PREFIX) :][:DIGITS].ljust(DIGITS, ALPHABET[0]):
        value = value * BASE + max(bisect_right(ALPHABET, char) - 1, 0)
    return value


def bound(at: int) -> str | None:
    """The smallest id at position `at` (every id at a lower position sorts before it)."""
    if at >= END:
        return None
    digits = []
    for _ in range(DIGITS):
        at, digit = divmod(at, BASE)
        digits.append(ALPHABET[digit])
    return PREFIX + "".join(reversed(digits)).rstrip(ALPHABET[0])
