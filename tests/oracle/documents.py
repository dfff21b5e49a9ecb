"""Random GraphQL documents over the schema, built as selection trees the oracle walks again.

Every `Account` and `Content` selection includes `id`: the oracle must know whose value each
returned value is, and ids are what tell it (they are PUBLIC, and VIEWER for visible items).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hypothesis import strategies as st

from resolvers.demo_world import DEMO_PRINCIPALS

#: The principals the oracle plays: anonymous (None) and every demo principal but erin.
PRINCIPALS: tuple[str | None, ...] = (None, *sorted(set(DEMO_PRINCIPALS) - {"erin"}))
#: Accounts asked about by id: the named ones, a uni-graz, a tu-wien and a no-domain learner,
#: and an id nobody has.
SUBJECTS = (
    "acct-alice",
    "acct-bob",
    "acct-carol",
    "acct-erin",
    "acct-dora",
    "acct-learner03",
    "acct-learner01",
    "acct-learner02",
    "acct-nobody",
)
ITEMS = (
    "post-alice-garden",
    "post-alice-shared",
    "post-alice-private",
    "email-alice-bob",
    "comment-bob-garden",
    "post-bob-chess",
    "post-carol-vienna",
    "post-nothing",
)
#: Public items anyone may comment on (comments on other items are the content area's).
COMMENTABLE = ("post-alice-garden", "post-bob-chess", "post-carol-vienna")


@dataclass(frozen=True, slots=True)
class Sel:
    """One field of a selection: name, optional alias and arguments, and what it selects."""

    name: str
    alias: str | None = None
    args: str = ""
    sub: tuple[Sel, ...] = ()

    @property
    def key(self) -> str:
        return self.alias or self.name

    def render(self) -> str:
        head = f"{self.alias}: {self.name}" if self.alias else self.name
        head += f"({self.args})" if self.args else ""
        return head + (" { " + " ".join(s.render() for s in self.sub) + " }" if self.sub else "")


@dataclass(frozen=True, slots=True)
class Operation:
    kind: Literal["query", "mutation"]
    fields: tuple[Sel, ...]

    def render(self) -> str:
        return self.kind + " { " + " ".join(s.render() for s in self.fields) + " }"


def leaf(*names: str) -> tuple[Sel, ...]:
    return tuple(Sel(name) for name in names)


def _subset(options: tuple[Sel, ...], max_size: int = 5) -> st.SearchStrategy[tuple[Sel, ...]]:
    return st.lists(st.sampled_from(options), max_size=max_size, unique=True).map(tuple)


_ACCOUNT_PARTS: tuple[Sel, ...] = (
    *leaf("displayName", "photoUrl", "username", "email", "phone", "domain", "status"),
    Sel("adInterests"),
    Sel("address", sub=leaf("street", "city", "postalCode", "country")),
    Sel("billing", sub=leaf("holder", "iban", "plan")),
    Sel("sensitive", sub=leaf("ethnicity", "religion", "sexualOrientation", "health")),
    Sel("rightsLimits", sub=leaf("edit", "delete", "privacy")),
    Sel("stats", sub=leaf("appsInstalled", "lastSignInAt", "contentCount")),
    Sel("settings", sub=leaf("language", "theme", "personalizedAds", "profileVisibility")),
    Sel("settings", alias="visibility", sub=leaf("profileVisibility")),
    Sel("devices", sub=leaf("id", "deviceId", "lastSeenAt")),
    Sel("signIns", sub=leaf("at", "deviceId", "ip")),
    Sel("notifications", sub=leaf("id", "kind", "read")),
    Sel("consents", sub=leaf("id", "recipient", "fields", "purpose", "active")),
    Sel("disclosures", sub=leaf("id", "principalId", "relation", "fields")),
)
_CONTENT_PARTS: tuple[Sel, ...] = leaf(
    "kind", "title", "body", "visibility", "createdAt", "sharedWith", "recipients"
)


@st.composite
def account_sel(draw: st.DrawFn, depth: int = 2) -> tuple[Sel, ...]:
    parts = list(draw(_subset(_ACCOUNT_PARTS, max_size=12)))
    if depth > 0 and draw(st.booleans()):
        parts.append(Sel("content", sub=draw(content_sel(depth - 1))))
    if depth > 0 and draw(st.integers(0, 3)) == 0:
        account = Sel("account", sub=draw(account_sel(depth - 1)))
        case = (*leaf("status", "purpose"), Sel("messages", sub=leaf("author", "text")))
        parts.append(Sel("supportCases", sub=(Sel("id"), *draw(_subset(case)), account)))
    return (Sel("id"), *parts)


@st.composite
def content_sel(draw: st.DrawFn, depth: int = 2) -> tuple[Sel, ...]:
    parts = list(draw(_subset(_CONTENT_PARTS)))
    if depth > 0 and draw(st.booleans()):
        parts.append(Sel("author", sub=draw(account_sel(depth - 1))))
    if depth > 0 and draw(st.integers(0, 2)) == 0:
        parts.append(Sel("comments", sub=draw(content_sel(depth - 1))))
    return (Sel("id"), *parts)


def _string(value: str) -> str:
    return '"' + value + '"'


@st.composite
def query_root(draw: st.DrawFn) -> Sel:
    roots = ("me", "account", "account", "content", "feed", "domain", "cases", "contacts")
    match draw(st.sampled_from(roots)):
        case "me":
            return Sel("me", sub=draw(account_sel()))
        case "account":
            subject = draw(st.sampled_from(SUBJECTS) | st.sampled_from(SUBJECTS[:2]))
            return Sel("account", args=f"id: {_string(subject)}", sub=draw(account_sel()))
        case "content":
            item = draw(st.sampled_from(ITEMS))
            return Sel("content", args=f"id: {_string(item)}", sub=draw(content_sel()))
        case "feed":
            node = Sel("node", sub=draw(content_sel()))
            edges = Sel("edges", sub=(Sel("cursor"), node))
            first = draw(st.integers(1, 12))
            return Sel(
                "publicFeed",
                args=f"first: {first}",
                sub=(edges, Sel("pageInfo", sub=leaf("hasNextPage"))),
            )
        case "domain":
            domain = draw(st.sampled_from(("uni-graz", "tu-wien")))
            node = Sel("node", sub=draw(account_sel(1)))
            members = Sel(
                "members",
                args=f"first: {draw(st.integers(1, 8))}",
                sub=(Sel("edges", sub=(node,)),),
            )
            stats = Sel("domainStats", sub=leaf("members", "active"))
            return Sel("domain", args=f"id: {_string(domain)}", sub=(Sel("id"), members, stats))
        case "cases":
            account = Sel("account", sub=draw(account_sel(1)))
            return Sel("supportCases", sub=(*leaf("id", "status", "purpose"), account))
        case _:
            account = Sel("account", sub=draw(account_sel(1)))
            return Sel("partnerContacts", sub=(*leaf("consentFields", "purpose"), account))


@st.composite
def mutation_root(draw: st.DrawFn) -> Sel:
    account = Sel("account", sub=draw(account_sel(1)))
    match draw(
        st.sampled_from(
            ("profile", "settings", "admin", "grant", "revoke", "post", "comment", "contact")
        )
    ):
        case "profile":
            change = draw(
                st.sampled_from(
                    ('displayName: "Oracle Name"', 'phone: "+43 1 555 0100"', "phone: null")
                )
            )
            return Sel("updateProfile", args=f"input: {{{change}}}", sub=(account,))
        case "settings":
            change = draw(
                st.sampled_from(('language: "en"', "theme: DARK", "profileVisibility: PRIVATE"))
            )
            return Sel("updateSettings", args=f"input: {{{change}}}", sub=(account,))
        case "admin":
            write = draw(st.sampled_from(("limitRights", "suspendAccount", "restoreAccount")))
            subject = draw(st.sampled_from((*SUBJECTS[:4], "acct-learner03")))
            extra = ", edit: true" if write == "limitRights" else ""
            return Sel(
                write, args=f"input: {{accountId: {_string(subject)}{extra}}}", sub=(account,)
            )
        case "grant":
            recipient = draw(st.sampled_from(("flowershop", "adnet", "trendlens")))
            fields = draw(st.sampled_from(('["email"]', '["phone", "address"]', "[]")))
            purpose = ', purpose: "contact"' if fields == "[]" else ""
            consent = Sel("consent", sub=leaf("id", "recipient", "fields", "purpose", "active"))
            return Sel(
                "grantConsent",
                args=f"input: {{recipient: {_string(recipient)}, fields: {fields}{purpose}}}",
                sub=(consent,),
            )
        case "revoke":
            consent = Sel("consent", sub=leaf("id", "active", "revokedAt"))
            return Sel(
                "revokeConsent",
                args='input: {consentId: "consent-alice-flowershop"}',
                sub=(consent,),
            )
        case "post":
            visibility = draw(st.sampled_from(("PUBLIC", "PRIVATE", "SHARED")))
            shared = ', sharedWith: ["acct-bob"]' if visibility == "SHARED" else ""
            content = Sel("content", sub=draw(content_sel(1)))
            return Sel(
                "createContent",
                args='input: {kind: POST, title: "Oracle", body: "b", '
                f"visibility: {visibility}{shared}}}",
                sub=(content,),
            )
        case "comment":
            parent = draw(st.sampled_from(COMMENTABLE))
            content = Sel("content", sub=draw(content_sel(1)))
            return Sel(
                "createContent",
                args=f'input: {{kind: COMMENT, body: "c", parentId: {_string(parent)}}}',
                sub=(content,),
            )
        case _:
            consent = Sel("consent", sub=leaf("id", "recipient", "fields"))
            return Sel("contactBusiness", args='input: {businessId: "flowershop"}', sub=(consent,))


def _aliased(fields: list[Sel]) -> tuple[Sel, ...]:
    """Each root under its own alias, so two roots of one name may differ in arguments."""
    return tuple(Sel(f.name, alias=f"f{n}", args=f.args, sub=f.sub) for n, f in enumerate(fields))


@st.composite
def operation(draw: st.DrawFn) -> Operation:
    if draw(st.integers(0, 2)) == 0:
        return Operation(
            "mutation", _aliased(draw(st.lists(mutation_root(), min_size=1, max_size=2)))
        )
    return Operation("query", _aliased(draw(st.lists(query_root(), min_size=1, max_size=3))))


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request: who sends it, in which mode, and one operation or a batch."""

    principal: str | None
    reject: bool
    operations: tuple[Operation, ...]
    batch: bool

    @property
    def has_mutation(self) -> bool:
        return any(op.kind == "mutation" for op in self.operations)


def requests(
    principal: str | None, *, batch: bool, reject: bool | None = None
) -> st.SearchStrategy[Request]:
    """One request by `principal`: one operation, or a batch of 2 to 5."""
    size = st.integers(2, 5) if batch else st.just(1)
    return st.builds(
        lambda mode, ops: Request(principal, mode, tuple(ops), batch),
        st.booleans() if reject is None else st.just(reject),
        size.flatmap(lambda n: st.lists(operation(), min_size=n, max_size=n)),
    )
