"""Relations between a principal and a subject (SPEC §3), and a principal's standing toward one.

`Standing` is computed once per request and subject (batched over lists by `authz.standing`);
every field decision after that is a dictionary lookup keyed by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from authz.principals import PartnerType


class Relation(StrEnum):
    PUBLIC = "PUBLIC"
    SELF = "SELF"
    VIEWER = "VIEWER"
    DOMAIN_ADMIN = "DOMAIN_ADMIN"
    PROCESSOR = "PROCESSOR"
    PARTNER = "PARTNER"
    AUTHORITY = "AUTHORITY"


#: Relations under which reading a subject's data is not a disclosure to a third party.
UNRECORDED = frozenset({Relation.PUBLIC, Relation.SELF, Relation.VIEWER})


@dataclass(frozen=True, slots=True)
class Standing:
    """Everything a decision about one subject's fields depends on, and nothing else.

    Equal standings get equal decisions, so decisions are cached per standing: a list of a
    thousand strangers' accounts shares one.
    """

    held: frozenset[Relation]
    purpose: str | None = None
    partner_type: PartnerType | None = None
    consented: frozenset[str] = frozenset()
    consented_explicitly: frozenset[str] = frozenset()
    legal_fields: frozenset[str] = frozenset()
    legal_request: str | None = None
    #: (consented field, the purposes of the consents naming it), as a disclosure names them.
    consent_purposes: frozenset[tuple[str, str]] = frozenset()
