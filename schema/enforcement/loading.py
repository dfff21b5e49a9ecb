"""Batched, access-aware loading: the glue between the data (`resolvers`) and the policy (`authz`).

Each batch reads the facts behind relations once, groups ids by what the caller may read, and
runs one projected query per group. The number of queries depends on how many distinct
standings a batch holds (a handful), never on how many rows it has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from types import MappingProxyType
from typing import Any

from strawberry.dataloader import DataLoader

from authz.principals import PrincipalKind
from authz.relations import Standing
from authz.standing import domain_filters
from authz.visibility import audience
from resolvers import collections as c
from resolvers.accounts import accounts_by_id
from resolvers.concurrently import gathered
from resolvers.content import Projection, comment_pages, find_content, owner_page
from resolvers.disclosures import RECORD_ROWS
from resolvers.pagination import Cursors
from resolvers.related import SubList, newest_pages
from resolvers.rollups import content_counts
from resolvers.windows import START_WIDTH, TIME, Key
from schema.enforcement.context import Context
from schema.enforcement.projection import projection
from schema.enforcement.selection import Selected
from schema.enforcement.shapes import SHAPES
from schema.paging import cursors

#: Content fields every guarded item needs, selected or not: its subject and its cursor.
CONTENT_ALWAYS = ("owner", "kind", "visibility", "created_at")


def account_loader(context: Context, selected: Selected) -> DataLoader[str, Any]:
    """The request's loader of accounts for one selection (equal selections share it)."""
    return context.loader(
        ("Account", selected),
        lambda: DataLoader(load_fn=partial(_load_accounts, context, selected)),
    )


async def _load_accounts(context: Context, selected: Selected, ids: Sequence[str]) -> list[Any]:
    await context.standings.load(ids)
    variants = domain_filters(context.principal)
    groups: dict[tuple[tuple[str, ...], bool], list[str]] = defaultdict(list)
    for account_id in dict.fromkeys(ids):
        for member, _ in variants:
            standing = context.standings.of(account_id, in_domain=member)
            groups[(projection("Account", selected, standing), member)].append(account_id)
    where = dict(variants)
    results = await gathered(
        accounts_by_id(context.db, group, fields, where[member])
        for (fields, member), group in groups.items()
    )
    rows: dict[str, Any] = {}
    for ((_, member), _), found in zip(groups.items(), results, strict=True):
        for account_id, doc in found.items():
            standing = context.standings.of(account_id, in_domain=member)
            rows[account_id] = context.guard(doc, "Account", account_id, standing)
    return [rows.get(account_id) for account_id in ids]


async def standing_toward(
    context: Context, subject: str, *fields: str, viewer: bool = True
) -> tuple[Standing, dict[str, Any] | None]:
    """The caller's standing toward one account (DOMAIN_ADMIN decided from the account's
    domain), and the account's `fields`; `None` for an account that does not exist."""
    found = await accounts_by_id(context.db, [subject], ["domain", *fields])
    account = found.get(subject)
    in_domain = account is not None and account.get("domain") in context.principal.domains
    await context.standings.load([subject])
    return context.standings.of(subject, in_domain=in_domain, viewer=viewer), account


async def visible_item(context: Context, item_id: str, selected: Selected) -> Any | None:
    """One content item as the caller may see it; an invisible one is `None`, like a missing one.

    Seen as in a list: by the caller's audience, and every item of the owners a legal request
    in force lists (the `AUTHORITY` grant's rows), so a lookup by id never disagrees with a list.
    """
    listed = await context.standings.listed("content")
    project = content_fields(context, selected, listed)
    doc = await find_content(context.db, item_id, audience(context.principal, listed), project)
    return (await guard_content(context, [doc], listed))[0] if doc is not None else None


def content_fields(
    context: Context, selected: Selected, listed: frozenset[str] = frozenset()
) -> Projection:
    """What to read of content items: what is selected and readable in each row.

    Fields a viewer of someone else's item may read are read for every row; fields only the
    owner (SELF) or a legal request for `listed` owners may read are read for those rows only,
    by a conditional projection, so no other person's `shared_with` ever leaves the database.
    """
    standings = context.standings
    everyone = set(projection("Content", selected, standings.of("", viewer=True)))
    project: dict[str, Any] = dict.fromkeys(sorted(everyone | set(CONTENT_ALWAYS)), 1)
    rows: list[tuple[dict[str, Any], Standing]] = []
    me = context.principal.id
    if context.principal.kind is PrincipalKind.USER and me is not None:
        rows.append(({"$eq": ["$owner", me]}, standings.of(me)))
    if listed:
        subject = next(iter(listed))
        rows.append(({"$in": ["$owner", sorted(listed)]}, standings.of(subject, viewer=False)))
    some: dict[str, list[dict[str, Any]]] = {}
    for condition, standing in rows:
        for key in projection("Content", selected, standing):
            if key not in project:
                some.setdefault(key, []).append(condition)
    for key, conditions in sorted(some.items()):
        project[key] = {"$cond": [{"$or": conditions}, f"${key}", "$$REMOVE"]}
    return project


async def guard_content(
    context: Context, docs: Sequence[dict[str, Any]], listed: frozenset[str] = frozenset()
) -> list[Any]:
    """Content documents as the caller may see them (the item's subject is its owner).

    Items of `listed` owners are read under the legal request, not as a viewer.
    """
    await context.standings.load(doc["owner"] for doc in docs)
    return [
        context.guard(
            doc,
            "Content",
            doc["owner"],
            context.standings.of(doc["owner"], viewer=doc["owner"] not in listed),
        )
        for doc in docs
    ]


def content_of_owner_loader(
    context: Context, selected: Selected, first: int
) -> DataLoader[str, list[Any]]:
    """Each account's newest `first` items: visible ones, or all under a legal request."""
    return context.loader(
        ("content of owner", selected, first),
        lambda: DataLoader(load_fn=partial(_load_content_of_owners, context, selected, first)),
    )


async def _load_content_of_owners(
    context: Context, selected: Selected, first: int, owners: Sequence[str]
) -> list[list[Any]]:
    """One windowed read per owner (`resolvers.windows`), all at once."""
    listed = await context.standings.listed("content")
    project = content_fields(context, selected, listed)
    seen = audience(context.principal, listed)
    pages = await gathered(owner_page(context.db, owner, seen, first, project) for owner in owners)
    rows = iter(await guard_content(context, [doc for page in pages for doc in page], listed))
    return [[next(rows) for _ in page] for page in pages]


def comment_cursors(context: Context, item: str) -> Cursors:
    """The cursors of one item's `comments`, for this caller."""
    return cursors(context, "Content.comments", item)


def comments_loader(
    context: Context, selected: Selected, first: int, after: tuple[Key, int] | None
) -> DataLoader[tuple[str, datetime | None], list[Any]]:
    """A page of the comments on each item (keyed by id and time), oldest first, as the caller
    may see them; batched per page and cursor."""
    return context.loader(
        ("comments", selected, first, after),
        lambda: DataLoader(load_fn=partial(_load_comments, context, selected, first, after)),
    )


async def _load_comments(
    context: Context,
    selected: Selected,
    first: int,
    after: tuple[Key, int] | None,
    items: Sequence[tuple[str, datetime | None]],
) -> list[list[Any]]:
    listed = await context.standings.listed("content")
    project = content_fields(context, selected, listed)
    seen = audience(context.principal, listed)
    pages = await comment_pages(context.db, dict(items), seen, first, after, project)
    for item, page in pages.items():
        place(page.items, Place(comment_cursors(context, item), TIME, page.width))
    rows = iter(
        await guard_content(context, [doc for page in pages.values() for doc in page.items], listed)
    )
    return [[next(rows) for _ in pages[item].items] for item, _ in items]


def content_count_loader(context: Context) -> DataLoader[str, int]:
    """How many items (not comments) each owner has, from the counters, batched."""
    return context.loader(
        ("content count",), lambda: DataLoader(load_fn=partial(_content_counts, context))
    )


async def _content_counts(context: Context, owners: Sequence[str]) -> list[int]:
    counts = await content_counts(context.db, owners)
    return [counts[owner] for owner in owners]


#: Each account sub-list by the type of its rows: its field on `Account` and where its rows are.
SUB_LISTS: Mapping[str, tuple[str, SubList]] = MappingProxyType(
    {
        "Device": ("devices", SubList(c.DEVICES, "account", "first_seen_at")),
        "SignIn": ("signIns", SubList(c.SIGN_INS, "account", "at")),
        "Notification": ("notifications", SubList(c.NOTIFICATIONS, "account", "created_at")),
        "Consent": ("consents", SubList(c.CONSENTS, "subject", "granted_at")),
        "Disclosure": ("disclosures", SubList(c.DISCLOSURES, "subjects", "at", RECORD_ROWS)),
        "SupportCase": ("supportCases", SubList(c.SUPPORT_CASES, "subject", "opened_at")),
    }
)
#: Where a row read from a list keeps its `Place` in that list, so that its `cursor`
#: continues the list it came from. No stored field has this name.
PLACE = "\0place"


@dataclass(frozen=True, slots=True)
class Place:
    """A row's list: its cursors (bound to the caller, the list and its scope), the time field
    it is ordered by, and the window width its page ended with (the next page's first window:
    a hint, never a row)."""

    cursors: Cursors
    time: str
    width: int

    def cursor(self, doc: Mapping[str, Any]) -> str:
        return self.cursors.position(doc, self.width, self.time)


def place(docs: Iterable[dict[str, Any]], where: Place) -> None:
    """Mark `docs` as read from the list `where`."""
    for doc in docs:
        doc[PLACE] = where


def listed_cursor(doc: Mapping[str, Any]) -> str | None:
    """The cursor after `doc` in the list it was read from; `None` if it was not read from one."""
    where: Place | None = doc.get(PLACE)
    return where.cursor(doc) if where is not None else None


def sub_list_cursors(context: Context, type_name: str, account: str) -> Cursors:
    """The cursors of one account's list of `type_name` rows, for this caller."""
    name, _ = SUB_LISTS[type_name]
    return cursors(context, f"Account.{name}", account)


def row_cursor(context: Context, type_name: str, account: str, doc: Mapping[str, Any]) -> str:
    """The cursor after `doc` in the list it was read from (a processor's `supportCases`, an
    account's sub-list); a row read otherwise (a payload's consent), in its account's list."""
    if (cursor := listed_cursor(doc)) is not None:
        return cursor
    _, sub_list = SUB_LISTS[type_name]
    return Place(sub_list_cursors(context, type_name, account), sub_list.time, START_WIDTH).cursor(
        doc
    )


def read_row_cursor(context: Context, type_name: str, account: str, cursor: str) -> tuple[Key, int]:
    """The row a cursor of `row_cursor` names, and its width hint; `InvalidCursor` for any
    other string."""
    return sub_list_cursors(context, type_name, account).after_position(cursor)


def stored_fields(type_name: str) -> dict[str, int]:
    """Every stored field of the type (a computed one reads stored ones), never the rest."""
    return {field.key: 1 for field in SHAPES[type_name].by_python.values() if field.stored}


def sub_list_loader(
    context: Context,
    type_name: str,
    first: int,
    after: tuple[Key, int] | None = None,
    where: Mapping[str, Any] | None = None,
) -> DataLoader[str, list[dict[str, Any]]]:
    """A page of each account's `type_name` rows, newest first; batched per page and cursor."""
    return context.loader(
        ("sub-list", type_name, first, after, repr(where)),
        lambda: DataLoader(load_fn=partial(_load_pages, context, type_name, first, after, where)),
    )


async def _load_pages(
    context: Context,
    type_name: str,
    first: int,
    after: tuple[Key, int] | None,
    where: Mapping[str, Any] | None,
    values: Sequence[str],
) -> list[list[dict[str, Any]]]:
    _, sub_list = SUB_LISTS[type_name]
    key, width = after if after is not None else (None, None)
    stored = stored_fields(type_name)
    pages = await newest_pages(
        context.db, sub_list, values, first, stored, after=key, width=width, where=where
    )
    for value, page in pages.items():
        own = sub_list_cursors(context, type_name, value)
        place(page.items, Place(own, sub_list.time, page.width))
    return [pages[value].items for value in values]
