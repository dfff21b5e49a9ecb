"""Single-line text: what may not appear in a name or a title, and how to show one safely.

Line breaks, other control characters and bidirectional overrides let a name break out of the
line it is shown on (a mail, a log line, a list) and pose as text around it.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories of control characters and of line and paragraph separators.
_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
#: Bidirectional marks, embeddings, overrides and isolates: they reorder the text after them.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def breaks_lines(character: str) -> bool:
    """Whether a character may make single-line text show as something else."""
    return unicodedata.category(character) in _BREAKING_CATEGORIES or character in _BIDI_CONTROLS


def quoted_line(value: str, max_length: int = 100) -> str:
    """`value` on one line in double quotes, each run of such characters shown as one space."""
    kept = "".join(" " if breaks_lines(ch) else ch for ch in value)
    return '"' + " ".join(kept.replace('"', "'").split())[:max_length] + '"'
