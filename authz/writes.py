"""Who may perform each mutation (SPEC §7): the write half of the policy, as data.

A write is decided like a read: by the relation the caller holds toward the write's subject
(the account it changes), or, for writes that have no subject yet (signing up, signing in),
by the caller's kind: a rule of grants (`authz.grants`) decided like every rule by
`authz.decisions`. A domain admin's limit on the subject's rights (`rightsLimits`) refuses
the writes that name it. Deny by default: a mutation without a rule is refused to everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from authz.decisions import Caller, Decision, decide_rule
from authz.grants import Grant, Rule, Wording
from authz.principals import PrincipalKind
from authz.relations import Relation, Standing

#: "any user": a write granted by kind is granted whatever account it is about.
WORDING = Wording(of_kind="any {}", none_held="needs one of")


def by_subject(*relations: Relation, limited_by: str | None = None) -> Rule:
    """Grants to relations toward the write's subject, in order of preference."""
    return Rule(tuple(Grant(r, limited_by=limited_by) for r in relations), wording=WORDING)


def by_caller(*kinds: PrincipalKind) -> Rule:
    """Grants to kinds of caller, in alphabetical order (a caller is of one kind)."""
    return Rule(tuple(Grant(kind=kind) for kind in sorted(kinds)), wording=WORDING)


SELF = by_subject(Relation.SELF)
SIGNED_IN = tuple(kind for kind in PrincipalKind if kind is not PrincipalKind.ANONYMOUS)

WRITES: Mapping[str, Rule] = MappingProxyType(
    {
        # Credentials and mailed codes are the caller's proof; only anonymous callers use them.
        **dict.fromkeys(
            ("signUp", "confirmSignUp", "signIn", "resetPassword"),
            by_caller(PrincipalKind.ANONYMOUS),
        ),
        # The refresh token in the input is the credential; an expired access token may be gone.
        "refreshToken": by_caller(*PrincipalKind),
        # Every signed-in caller can end its own token, whatever its kind.
        "signOut": by_caller(*SIGNED_IN),
        "updateDeviceSettings": by_caller(PrincipalKind.ANONYMOUS),
        "markNotificationRead": SELF,
        "updateProfile": by_subject(Relation.SELF, limited_by="edit"),
        "updateSettings": by_subject(Relation.SELF, limited_by="privacy"),
        "createContent": SELF,
        "updateContent": SELF,
        "deleteContent": by_subject(Relation.SELF, limited_by="delete"),
        "exportMyData": SELF,
        "deleteMyAccount": by_subject(Relation.SELF, limited_by="delete"),
        **dict.fromkeys(
            (
                "setPassword",
                "suspendAccount",
                "blockAccount",
                "restoreAccount",
                "limitRights",
            ),
            by_subject(Relation.DOMAIN_ADMIN),
        ),
        "openSupportCase": SELF,
        "postSupportMessage": SELF,
        # Takes the oldest case of the processor's purpose that waits for a processor.
        "claimSupportCase": by_caller(PrincipalKind.PROCESSOR),
        "replyToSupportCase": by_subject(Relation.PROCESSOR),
        "closeSupportCase": by_subject(Relation.PROCESSOR, Relation.SELF),
        "grantConsent": SELF,
        "revokeConsent": SELF,
        "contactBusiness": SELF,
        **dict.fromkeys(
            ("registerLegalRequest", "closeLegalRequest", "publishPolicyVersion"),
            by_caller(PrincipalKind.COMPLIANCE),
        ),
    }
)


def decide_write(
    mutation: str,
    caller: PrincipalKind,
    held: frozenset[Relation],
    limits: Mapping[str, bool],
) -> Decision:
    """May a caller of kind `caller`, holding `held` toward the subject, perform `mutation`?"""
    return _decide(mutation, caller, held, frozenset(right for right, on in limits.items() if on))


@lru_cache(maxsize=4096)
def _decide(
    mutation: str, caller: PrincipalKind, held: frozenset[Relation], limited: frozenset[str]
) -> Decision:
    asking = Caller(Standing(held), caller, limited=limited)
    return decide_rule(f"Mutation.{mutation}", WRITES.get(mutation), asking)
