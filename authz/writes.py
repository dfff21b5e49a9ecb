"""Who may perform each mutation (SPEC §7): the write half of the policy, as data.

A write is decided like a read: by the relation the caller holds toward the write's subject
(the account it changes), or, for writes that have no subject yet (signing up, signing in),
by the caller's kind. A domain admin's limit on the subject's rights (`rightsLimits`) refuses
the writes that name it. Deny by default: a mutation without a rule is refused to everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from authz.decisions import Decision
from authz.principals import PrincipalKind
from authz.relations import Relation


@dataclass(frozen=True, slots=True)
class WriteRule:
    relations: frozenset[Relation] = frozenset()
    callers: frozenset[PrincipalKind] = frozenset()
    limited_by: str | None = None

    @property
    def has_subject(self) -> bool:
        return bool(self.relations)

    def who(self) -> str:
        parts = [relation.value for relation in sorted(self.relations)]
        parts += [f"any {kind.value}" for kind in sorted(self.callers)]
        return ", ".join(parts) or "nobody"

    def describe(self) -> str:
        text = self.who()
        if self.limited_by:
            text += f"; refused under rightsLimits.{self.limited_by}"
        return text


def by_subject(*relations: Relation, limited_by: str | None = None) -> WriteRule:
    return WriteRule(relations=frozenset(relations), limited_by=limited_by)


def by_caller(*kinds: PrincipalKind) -> WriteRule:
    return WriteRule(callers=frozenset(kinds))


SELF = by_subject(Relation.SELF)
SIGNED_IN = tuple(kind for kind in PrincipalKind if kind is not PrincipalKind.ANONYMOUS)

WRITES: Mapping[str, WriteRule] = MappingProxyType(
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
        "closeSupportCase": by_subject(Relation.SELF, Relation.PROCESSOR),
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
    coordinate = f"Mutation.{mutation}"
    rule = WRITES.get(mutation)
    if rule is None:
        return Decision(coordinate, False, None, "none", "no rule: denied by default")
    described = rule.describe()
    if rule.has_subject:
        relation = next((r for r in sorted(rule.relations) if r in held), None)
        if relation is None:
            return Decision(coordinate, False, None, described, f"needs one of: {described}")
        if rule.limited_by and limits.get(rule.limited_by):
            reason = f"a domain admin has limited the right `{rule.limited_by}`"
            return Decision(coordinate, False, relation, described, reason)
        return Decision(coordinate, True, relation, described, f"granted to {relation.value}")
    if caller in rule.callers:
        return Decision(coordinate, True, None, described, f"granted to any {caller.value}")
    return Decision(coordinate, False, None, described, f"only for: {described}")
