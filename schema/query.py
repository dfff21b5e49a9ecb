"""Root query fields (SPEC §10)."""

from __future__ import annotations

from functools import cache, partial
from typing import Any

import strawberry

from authz.decisions import decide
from authz.principals import Principal
from authz.roots import decide_explain
from authz.visibility import audience
from resolvers.accounts import recommendable_accounts
from resolvers.content import content_page
from resolvers.pagination import DEFAULT_PAGE_SIZE
from schema.aggregates import (
    AdAudience,
    TrendPeriod,
    UsageTrend,
    resolve_ad_audience,
    resolve_usage_trends,
)
from schema.consents import PartnerContact, resolve_partner_contacts
from schema.domains import Domain, resolve_domain
from schema.enforcement.authorize import enforce
from schema.enforcement.context import Info
from schema.enforcement.loading import (
    account_loader,
    content_fields,
    guard_content,
    standing_toward,
    visible_item,
)
from schema.legal import (
    LegalRequest,
    TransparencyReport,
    resolve_legal_request,
    resolve_transparency_report,
)
from schema.paging import cursors, page_size, read_after
from schema.policy_versions import PolicyVersion, resolve_policy_version
from schema.self_service import DeviceSettings, resolve_device_settings
from schema.support import resolve_processor_cases
from schema.types import (
    Account,
    Content,
    ContentConnection,
    ContentEdge,
    PageInfo,
    SupportCase,
)


@strawberry.type
class AccessExplanation:
    allowed: bool
    relation: str | None
    rule: str
    reason: str


@strawberry.type
class PolicyQuery:
    @strawberry.field(description="Whether the caller may read `type.field` of a subject, and why.")
    async def explain_access(
        self, info: Info, type: str, field: str, subject_id: strawberry.ID
    ) -> AccessExplanation:
        principal = info.context.principal
        enforce(decide_explain(principal, str(subject_id)), principal, "explain access")
        # VIEWER is decided per item, by its audience, when the item is read; this names an
        # account and looks no item up, so it never claims VIEWER (it could only guess).
        standing, _ = await standing_toward(info.context, str(subject_id), viewer=False)
        decision = decide(type, field, standing)
        return AccessExplanation(
            allowed=decision.allowed,
            relation=decision.relation.value if decision.relation else None,
            rule=decision.rule,
            reason=decision.reason,
        )


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in account.")
    async def me(self, info: Info) -> Account | None:
        me: Account | None = await account_loader(info.context, info.context.selected(info)).load(
            str(info.context.principal.id)
        )
        return me

    @strawberry.field(description="One account, with the fields the caller may read.")
    async def account(self, info: Info, id: strawberry.ID) -> Account | None:
        found: Account | None = await account_loader(
            info.context, info.context.selected(info)
        ).load(str(id))
        return found

    @strawberry.field(description="One content item; an invisible item answers like a missing one.")
    async def content(self, info: Info, id: strawberry.ID) -> Content | None:
        item: Content | None = await visible_item(
            info.context, str(id), info.context.selected(info)
        )
        return item

    @strawberry.field(description="PUBLIC content, newest first, as a cursor connection.")
    async def public_feed(
        self, info: Info, first: int | None = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> ContentConnection:
        context = info.context
        size = page_size(first)
        feed = cursors(context, "publicFeed")
        position, width = read_after(after, feed.after_position) or (None, None)
        node = context.selected(info).child("edges").child("node")
        # PUBLIC items for everyone, whoever asks; comments show under their item.
        everyone = audience(Principal.anonymous())
        page = await content_page(
            context.db, everyone, size, position, width, content_fields(context, node)
        )
        nodes: list[Any] = await guard_content(context, page.items)
        edges = [
            ContentEdge(node=row, sealed_cursor=cache(partial(feed.position, doc, page.width)))
            for doc, row in zip(page.items, nodes, strict=True)
        ]
        return ContentConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=edges[-1].sealed_cursor() if edges else None,
            ),
        )

    @strawberry.field(
        description="Accounts you might know; never one that turned recommendations off."
    )
    async def recommendations(self, info: Info, first: int = 10) -> list[Account]:
        context = info.context
        me = str(context.principal.id)
        ids = await recommendable_accounts(context.db, me, page_size(first))
        loaded = await account_loader(context, context.selected(info)).load_many(ids)
        return [account for account in loaded if account is not None]

    @strawberry.field(description="What this device remembers (`X-Device-Id`), no account needed.")
    async def device_settings(self, info: Info) -> DeviceSettings:
        return await resolve_device_settings(info)

    @strawberry.field(description="A domain you administer: its members and numbers.")
    async def domain(self, info: Info, id: strawberry.ID) -> Domain | None:
        return await resolve_domain(info, id)

    @strawberry.field(
        description="A processor's open cases, each with the person it is about; newest first,"
        " `first` at a time (default 20, at most 100), `after` a case's `cursor`."
    )
    async def support_cases(
        self, info: Info, first: int | None = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> list[SupportCase]:
        return await resolve_processor_cases(info, first, after)

    @strawberry.field(
        description="A partner's contacts: accounts whose consent names it; newest consent"
        " first, `first` at a time (default 20, at most 100), `after` a contact's `cursor`."
    )
    async def partner_contacts(
        self, info: Info, first: int | None = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> list[PartnerContact]:
        return await resolve_partner_contacts(info, first, after)

    @strawberry.field(
        description="Sign-ups, active accounts and content per whole period that has ended"
        " (k = 5): `since` and `until` name the first and last period, like `2026-W02`."
    )
    async def usage_trends(
        self,
        info: Info,
        period: TrendPeriod = TrendPeriod.WEEK,
        since: str | None = None,
        until: str | None = None,
    ) -> list[UsageTrend]:
        return await resolve_usage_trends(info, period, since, until)

    @strawberry.field(
        description="How many accounts allowing ads list an interest (k = 5), counted once"
        " per ISO week (UTC): asked again in the same week, the same number."
    )
    async def ad_audience(self, info: Info, interest: str | None = None) -> AdAudience:
        return await resolve_ad_audience(info, interest)

    @strawberry.field(description="A legal request (compliance, or the authority it binds).")
    async def legal_request(self, info: Info, id: strawberry.ID) -> LegalRequest | None:
        return await resolve_legal_request(info, id)

    @strawberry.field(
        description="Legal requests per type in a period: `2026`, `2026-H1`, `2026-Q3`;"
        " the current year when left out."
    )
    async def transparency_report(
        self, info: Info, period: str | None = None
    ) -> TransparencyReport:
        return await resolve_transparency_report(info, period)

    @strawberry.field(description="The privacy policy version in force.")
    async def policy_version(self, info: Info) -> PolicyVersion | None:
        return await resolve_policy_version(info)

    @strawberry.field(description="Ask the policy about access (SPEC §8).")
    def policy(self) -> PolicyQuery:
        return PolicyQuery()
