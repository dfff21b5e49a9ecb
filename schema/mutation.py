"""The root mutation type: every write of SPEC §7, each decided by `authz.writes` first."""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.authorize import authorize_mutations
from schema.content_writes import ContentMutations
from schema.rights import RightsMutations
from schema.self_service import SelfServiceMutations
from schema.sessions import SessionMutations

Mutation = merge_types(
    "Mutation", (SessionMutations, SelfServiceMutations, ContentMutations, RightsMutations)
)
authorize_mutations(Mutation)
