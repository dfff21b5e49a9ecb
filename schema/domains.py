"""The domain admin console: a domain's members and numbers, and actions on members (SPEC §7).

Only a domain's admins reach a `Domain` (`authz.roots`: `domain(id)` is bound to the token's
`domains`); each member is then read like any account, with DOMAIN_ADMIN decided per member.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache, partial
from typing import Any

import strawberry

from authz.aggregates import suppressed
from authz.decisions import Decision, decide
from resolvers.accounts import accounts_by_id, update_account
from resolvers.admin import domain_audit, set_account_state
from resolvers.domains import find_domain, member_page
from resolvers.password_resets import Member, reset_by_admin
from schema.enforcement.context import Context, Info
from schema.enforcement.guard import forbidden
from schema.enforcement.loading import account_loader
from schema.enforcement.projection import projection
from schema.enforcement.subjects import NamesAccount
from schema.paging import cursors, page_size, read_after
from schema.payloads import AccountPayload
from schema.protections import validation as valid
from schema.protections.errors import bad_user_input
from schema.types import Account, AccountStatus, PageInfo


@strawberry.type
class DomainStats:
    """Counts over the domain's members, each group under k = 5 suppressed (`null`), so no
    count tells one member's status or stats, which reading them would put on record."""

    members: int | None
    active: int | None
    suspended: int | None
    blocked: int | None
    apps_installed: int | None


#: What an audit entry shows (its relation and actor kind are the same for every entry here).
_AUDIT_KEYS = ("action", "outcome", "at", "actor", "subject")


@strawberry.input
class MemberFilter:
    status: AccountStatus | None = None
    username_prefix: str | None = None


@strawberry.type
class AccountEdge:
    node: Account
    sealed_cursor: strawberry.Private[Callable[[], str]]

    @strawberry.field
    def cursor(self) -> str:
        """Sealed only when selected, like `ContentEdge.cursor`."""
        return self.sealed_cursor()


@strawberry.type
class AccountConnection:
    edges: list[AccountEdge]
    page_info: PageInfo


@strawberry.type(description="One action of an admin on a member (or an attempt that failed).")
class AdminAction:
    id: strawberry.ID
    action: str = strawberry.field(description="The mutation, e.g. `suspendAccount`.")
    outcome: str = strawberry.field(description="`DONE`, `FAILED`, or `ATTEMPTED` (cut off).")
    at: datetime
    actor_id: strawberry.Private[str | None]
    subject_id: strawberry.Private[str]

    @strawberry.field(description="The admin who acted, read like any account.")
    async def actor(self, info: Info) -> Account | None:
        return await _account(info, self.actor_id)

    @strawberry.field(
        description="The member acted on, read like any account (`null` once erased)."
    )
    async def account(self, info: Info) -> Account | None:
        return await _account(info, self.subject_id)


async def _account(info: Info, account: str | None) -> Account | None:
    if account is None:
        return None
    found: Account | None = await account_loader(info.context, info.context.selected(info)).load(
        account
    )
    return found


@strawberry.type
class Domain:
    id: strawberry.ID
    name: str
    #: Its members' numbers, read with the domain when the query selects `domainStats`.
    stats: strawberry.Private[dict[str, int] | None] = None

    @strawberry.field(
        description="Members in id order, as a cursor connection. Listing a member reads its"
        " domain, and a filter tests a member's field: each is recorded, for every member it"
        " tested, like reading that field."
    )
    async def members(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: MemberFilter | None = None,
    ) -> AccountConnection:
        context = info.context
        filter = filter or MemberFilter()
        prefix = filter.username_prefix and valid.text(
            "filter.usernamePrefix", filter.username_prefix.lower(), max_length=32
        )
        status = filter.status.value if filter.status else None
        used = [name for name, value in (("status", status), ("username", prefix)) if value]
        tests = _field_reads(context, used)
        listing = cursors(context, "Domain.members", str(self.id), status or "", prefix or "")
        after_id = read_after(after, listing.after_key)
        node = context.selected(info).child("edges").child("node")
        # Only the domain's admins reach it (`authz.roots`), and the query reads its members
        # only: each row is read, in the same query, with what DOMAIN_ADMIN may read.
        fields = projection("Account", node, context.standings.of("", in_domain=True))
        page = await member_page(
            context.db, str(self.id), page_size(first), after_id, fields, status, prefix
        )
        if tests:
            _note(context, page.tested, tests)
        # Being listed tells a member's `domain`: a read of `Account.domain` on record too,
        # when the answer lists members (not for `pageInfo` alone).
        if context.selected(info).child("edges").fields:
            _note(context, page.ids, _field_reads(context, ["domain"]))
        edges = [
            AccountEdge(
                node=context.guard(
                    member,
                    "Account",
                    member["_id"],
                    context.standings.of(member["_id"], in_domain=True),
                ),
                sealed_cursor=cache(partial(listing.key, member["_id"])),
            )
            for member in page.members
        ]
        # After the page's last member; or, when the filters passed over every member after
        # it that the page tested, after the last of those.
        end = (
            listing.key(page.resume_after)
            if page.resume_after is not None
            else edges[-1].sealed_cursor()
            if edges
            else None
        )
        return AccountConnection(
            edges=edges, page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=end)
        )

    @strawberry.field(
        description="The newest actions of admins on accounts that were members when acted on,"
        " newest first: `first` of them (default 20, at most 100)."
    )
    async def audit_log(self, info: Info, first: int | None = None) -> list[AdminAction]:
        # The domain's own record of its admins' acts (each also on its member's record, which
        # names the admin): reading it is not a read of a member's data. Accounts inside are
        # decided per field as anywhere else.
        entries = await domain_audit(
            info.context.db, str(self.id), page_size(first), dict.fromkeys(_AUDIT_KEYS, 1)
        )
        return [
            AdminAction(
                id=strawberry.ID(entry["_id"]),
                action=entry["action"].removeprefix("Mutation."),
                outcome=entry["outcome"],
                at=entry["at"],
                actor_id=entry.get("actor"),
                subject_id=entry["subject"],
            )
            for entry in entries
        ]

    @strawberry.field(description="How many members, by status, and the apps they installed.")
    async def domain_stats(self, info: Info) -> DomainStats:
        stats = self.stats
        assert stats is not None, "`resolve_domain` reads them whenever they are selected"
        members = suppressed(stats["members"])
        return DomainStats(
            members=members,
            active=suppressed(stats["ACTIVE"]),
            suspended=suppressed(stats["SUSPENDED"]),
            blocked=suppressed(stats["BLOCKED"]),
            apps_installed=stats["apps_installed"] if members is not None else None,
        )


def _note(context: Context, members: list[str], reads: list[Decision]) -> None:
    for member in members:
        standing = context.standings.of(member, in_domain=True)
        for decision in reads:
            context.disclosures.note(member, decision, standing)


def _field_reads(context: Context, fields: list[str]) -> list[Decision]:
    """A filter on an account field is a read of it: decided by the policy before the query
    runs (a field the caller may not read cannot be tested), and the decisions to record.

    Every member of the domain holds the same standing toward its admin (no facts decide it).
    """
    member = context.standings.of("", in_domain=True)
    decisions = [decide("Account", field, member) for field in fields]
    for decision in decisions:
        if not decision.allowed:
            raise forbidden(decision.coordinate)
    return [decision for decision in decisions if decision.recorded]


async def resolve_domain(info: Info, id: strawberry.ID) -> Domain | None:
    with_stats = "domainStats" in dict(info.context.selected(info).fields)
    doc = await find_domain(info.context.db, str(id), with_stats=with_stats)
    if doc is None:
        return None
    return Domain(id=strawberry.ID(doc["_id"]), name=doc["name"], stats=doc.get("stats"))


@strawberry.input(description="The member whose password is reset; the admin never chooses it.")
class SetPasswordInput(NamesAccount):
    account_id: strawberry.ID


@strawberry.input
class AccountActionInput(NamesAccount):
    account_id: strawberry.ID


@strawberry.input(description="Rights left out stay as they are.")
class LimitRightsInput(NamesAccount):
    account_id: strawberry.ID
    edit: bool | None = strawberry.UNSET
    delete: bool | None = strawberry.UNSET
    privacy: bool | None = strawberry.UNSET


@strawberry.type
class DomainAdminMutations:
    @strawberry.mutation(
        description="Reset a member's password: their password, sessions and tokens stop"
        " working, and a one-time code to choose a new one goes to their e-mail only."
    )
    async def set_password(self, info: Info, input: SetPasswordInput) -> AccountPayload:
        context = info.context
        member, admin = str(input.account_id), str(context.principal.id)
        found = await accounts_by_id(context.db, [member, admin], ["email", "display_name"])
        email = found.get(member, {}).get("email")
        if not email:
            raise bad_user_input("accountId", "This member has no e-mail address for a code.")
        reset_by = found.get(admin, {}).get("display_name", admin)
        await reset_by_admin(context.db, Member(member, email, reset_by), context.now)
        return AccountPayload(account_id=member)

    @strawberry.mutation(description="Suspend a member: no sign-in, and their tokens stop working.")
    async def suspend_account(self, info: Info, input: AccountActionInput) -> AccountPayload:
        return await _change_state(info, input.account_id, {"status": "SUSPENDED"})

    @strawberry.mutation(description="Block a member: no sign-in, and their tokens stop working.")
    async def block_account(self, info: Info, input: AccountActionInput) -> AccountPayload:
        return await _change_state(info, input.account_id, {"status": "BLOCKED"})

    @strawberry.mutation(description="Make a suspended or blocked member active again.")
    async def restore_account(self, info: Info, input: AccountActionInput) -> AccountPayload:
        await update_account(info.context.db, str(input.account_id), {"status": "ACTIVE"})
        return AccountPayload(account_id=str(input.account_id))

    @strawberry.mutation(description="Limit what a member may change (edit, delete, privacy).")
    async def limit_rights(self, info: Info, input: LimitRightsInput) -> AccountPayload:
        rights = valid.sent(input, ("edit", "delete", "privacy"))
        changes = {f"rights_limits.{right}": value for right, value in rights.items()}
        await update_account(info.context.db, str(input.account_id), changes)
        return AccountPayload(account_id=str(input.account_id))


async def _change_state(
    info: Info, account_id: strawberry.ID, changes: dict[str, Any]
) -> AccountPayload:
    await set_account_state(info.context.db, str(account_id), changes)
    return AccountPayload(account_id=str(account_id))
