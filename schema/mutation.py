"""The root mutation type: every write of SPEC §7 (each decided by `authz.writes` first)."""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.consents import ConsentMutations
from schema.content_writes import ContentMutations
from schema.domains import DomainAdminMutations
from schema.legal import LegalMutations
from schema.password_reset import PasswordResetMutations
from schema.policy_versions import PolicyVersionMutations
from schema.rights import RightsMutations
from schema.self_service import SelfServiceMutations
from schema.sessions import SessionMutations
from schema.sign_up import SignUpMutations
from schema.support import SupportMutations

Mutation = merge_types(
    "Mutation",
    (
        SignUpMutations,
        SessionMutations,
        PasswordResetMutations,
        SelfServiceMutations,
        ContentMutations,
        RightsMutations,
        DomainAdminMutations,
        SupportMutations,
        ConsentMutations,
        LegalMutations,
        PolicyVersionMutations,
    ),
)
