"""Documents built to cost the server more than they say."""

from __future__ import annotations


def fragment_bomb(levels: int) -> str:
    """A fragment that spreads the next one twice, `levels` deep: 2 ** levels selections once
    written out, from a document of about 12 tokens a level."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query {{ ...F0 }} {chain} fragment F{levels} on Query {{ __typename }}"
