"""Whether a verified token may still act for the account its `sub` names (SPEC §2, §7).

A signature proves who a token was issued to, not that they may still act: an account can be
suspended, blocked or erased, and every admin action on it, a password reset and signing out
everywhere cut off the tokens issued before it. This holds for every kind of token whose `sub`
is an account, not only for `user` tokens: a domain admin is an account too (SPEC §9), and a
staff token may name one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, assert_never

from authz.principals import Principal, PrincipalKind


def names_an_account(kind: PrincipalKind) -> bool:
    """Whether a token of this kind always names an account: then a missing one refuses it.

    Processors, partners and authorities are organisations, and compliance staff need not be
    accounts: their tokens are checked against an account only when their `sub` is one.
    """
    match kind:
        case PrincipalKind.USER | PrincipalKind.DOMAIN_ADMIN:
            return True
        case (
            PrincipalKind.ANONYMOUS
            | PrincipalKind.PROCESSOR
            | PrincipalKind.PARTNER
            | PrincipalKind.AUTHORITY
            | PrincipalKind.COMPLIANCE
        ):
            return False
        case _:
            assert_never(kind)


def refusal(principal: Principal, account: Mapping[str, Any] | None) -> str | None:
    """Why the token may no longer act (for logs), or `None` while it may.

    `account` is the account named by the token's `sub` (its `status` and `tokens_valid_after`),
    `None` when there is none. The cut-off is compared with the token's `iat` as the exact
    instant both are (sub-second), never rounded to whole seconds: a token issued in the same
    second as a reset, but before it, is refused.
    """
    if account is None:
        return "the token's account no longer exists" if names_an_account(principal.kind) else None
    if account["status"] != "ACTIVE":
        return f"the token's account is {str(account['status']).lower()}"
    cut_off: datetime | None = account.get("tokens_valid_after")
    if cut_off is not None and (principal.token_issued_at or 0) < cut_off.timestamp():
        return "the token was issued before its account's cut-off"
    return None
