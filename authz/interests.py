"""Advertising interests: a closed vocabulary that can never hold a special category of data.

GDPR Art. 9 categories (racial or ethnic origin, religion, sexual orientation, health) are
never an interest and never a targeting key (SPEC §6). A free-text interest could smuggle one
in under another spelling, so interests come from this vocabulary only, and the sensitive
categories are refused by name with their own message.
"""

from __future__ import annotations

INTERESTS = frozenset(
    {
        "books",
        "cooking",
        "cycling",
        "chess",
        "fashion",
        "film",
        "gaming",
        "gardening",
        "hiking",
        "languages",
        "music",
        "photography",
        "science",
        "sports",
        "technology",
        "travel",
    }
)

SENSITIVE_CATEGORIES = frozenset(
    {
        "ethnicity",
        "race",
        "religion",
        "faith",
        "sexual orientation",
        "sexuality",
        "lgbt",
        "health",
        "medical",
        "disability",
    }
)


def normalized(interest: str) -> str:
    return interest.strip().lower()


def interest_problem(interest: str) -> str | None:
    """Why `interest` cannot be an interest, or `None` when it can."""
    word = normalized(interest).replace("_", " ").replace("-", " ")
    if word in SENSITIVE_CATEGORIES:
        return f"`{interest}` is a special category of personal data and never an interest"
    if word not in INTERESTS:
        return f"`{interest}` is not a known interest (one of: {', '.join(sorted(INTERESTS))})"
    return None
