"""Privacy policy versions: compliance publishes one (e.g. after a merger); everyone is told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from resolvers import policy_versions
from resolvers.collections import POLICY_VERSIONS
from resolvers.documents import by_id
from schema.enforcement.context import Info
from schema.protections import validation as valid


@strawberry.type
class PolicyVersion:
    version: int
    summary: str
    reason: str
    published_at: datetime
    notified_accounts: int

    @classmethod
    def of(cls, doc: dict[str, Any]) -> PolicyVersion:
        return cls(
            version=doc["version"],
            summary=doc["summary"],
            reason=doc["reason"],
            published_at=doc["published_at"],
            notified_accounts=doc["notified"],
        )


@strawberry.input
class PublishPolicyVersionInput:
    summary: str
    reason: str


@strawberry.type
class PolicyVersionPayload:
    policy_version: PolicyVersion


@strawberry.type
class PolicyVersionMutations:
    @strawberry.mutation(description="Publish a new policy version and notify every account.")
    async def publish_policy_version(
        self, info: Info, input: PublishPolicyVersionInput
    ) -> PolicyVersionPayload:
        context = info.context
        version_id = await policy_versions.publish(
            context.db,
            valid.text("summary", input.summary, max_length=2000),
            valid.text("reason", input.reason, max_length=500),
            str(context.principal.id),
            context.now,
        )
        published = await by_id(context.db, POLICY_VERSIONS, version_id)
        assert published is not None, "published just before"
        return PolicyVersionPayload(policy_version=PolicyVersion.of(published))


async def resolve_policy_version(info: Info) -> PolicyVersion | None:
    doc = await policy_versions.latest(info.context.db)
    return PolicyVersion.of(doc) if doc else None
