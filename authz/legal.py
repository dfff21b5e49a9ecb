"""What a legal request may name (SPEC §6), derived from the policy table's AUTHORITY grants."""

from __future__ import annotations

from authz.policy import POLICY
from authz.relations import Relation

#: Account fields an authority may be given under a legal request.
DISCLOSABLE = frozenset(
    field
    for field, rule in POLICY["Account"].items()
    if any(grant.relation is Relation.AUTHORITY for grant in rule.grants)
)
