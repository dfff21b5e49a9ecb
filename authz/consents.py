"""What a consent may name (SPEC §6), derived from the policy table's PARTNER grants.

A consent can only name account fields the table lets a partner read under consent; a field
whose grant asks for explicit consent needs `explicit: true`, and one whose grant is never to
some partner types (special categories, never to advertisers) cannot be granted to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from authz.grants import Grant
from authz.policy import POLICY, PURPOSE_FIELDS
from authz.principals import PartnerType
from authz.relations import Relation

CONSENTABLE: Mapping[str, Grant] = MappingProxyType(
    {
        field: grant
        for field, rule in POLICY["Account"].items()
        for grant in rule.grants
        if grant.relation is Relation.PARTNER
    }
)

#: The fields `contactBusiness` shares: pressing "call" gives the business the phone number.
CONTACT_FIELDS = ("phone",)


def consent_problem(
    fields: Iterable[str], purpose: str | None, explicit: bool, recipient: PartnerType
) -> tuple[str, str] | None:
    """`(input field, reason)` when this consent cannot be given, else `None`."""
    named = list(fields) or sorted(PURPOSE_FIELDS.get(purpose or "", ()))
    if not named:
        return "fields", "Name the fields, or a purpose that stands for some."
    for field in named:
        grant = CONSENTABLE.get(field)
        if grant is None:
            shareable = ", ".join(sorted(CONSENTABLE))
            return "fields", f"`{field}` cannot be shared by consent (only: {shareable})."
        if recipient in grant.never_to:
            return "fields", f"`{field}` is never shared with an {recipient.value}."
        if grant.explicit_consent and not explicit:
            return "explicit", f"`{field}` is sensitive: it needs `explicit: true`."
    return None
