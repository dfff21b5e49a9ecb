"""The oracle: walks an answer beside the document that asked for it, judging every value.

Decisions come from `tests/authz/expectations.py` (SPEC §4/§5/§7 restated by hand), never from
`authz/`. For one operation it collects what must be true of the answer (denied fields are
null with one FORBIDDEN error at their path; nothing denied carries a value; values belong to
the account they are reported under) and which disclosure records the answer calls for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLList, GraphQLNonNull

from resolvers.demo_world import DEMO_PRINCIPALS, LEGAL_REQUEST_ID
from schema import build_schema
from tests.authz.expectations import (
    ACCOUNT_PART_TYPES,
    ADMIN_WRITES,
    ADMINISTERS,
    RECORDED_RELATION,
    ROOT_CALLERS,
    SETTINGS_FOR_DOMAIN_ADMIN,
    UNRECORDED_ACCOUNT_FIELDS,
    USER_ACCOUNTS,
    USERS,
    account_access,
    content_visible,
)
from tests.oracle.documents import Operation, Sel

SCHEMA = build_schema()._schema
DENIALS = frozenset({"FORBIDDEN", "UNAUTHENTICATED"})
#: Values compared with the stored document (before or after the request): a value reported
#: under an account or item must be that account's or item's.
ACCOUNT_VALUES = {
    "displayName": "display_name",
    "username": "username",
    "email": "email",
    "phone": "phone",
    "domain": "domain",
}
CONTENT_VALUES = {"title": "title", "body": "body", "kind": "kind", "visibility": "visibility"}
#: Self-service writes any signed-in user makes about themselves (SPEC §7).
SELF_WRITES = frozenset(
    {"updateProfile", "updateSettings", "createContent", "grantConsent", "contactBusiness"}
)

Key = tuple[str, str]  # (subject account id, coordinate)


@dataclass
class World:
    """Stored documents before and after the request, by collection and id."""

    before: dict[str, dict[str, dict[str, Any]]]
    after: dict[str, dict[str, dict[str, Any]]]

    def doc(self, collection: str, id_: str) -> dict[str, Any] | None:
        return self.after[collection].get(id_) or self.before[collection].get(id_)

    def versions(self, collection: str, id_: str) -> list[dict[str, Any]]:
        return [d for d in (self.before[collection].get(id_), self.after[collection].get(id_)) if d]

    def domain_of(self, account: str) -> str | None:
        doc = self.doc("accounts", account)
        return doc.get("domain") if doc else None


@dataclass
class Verdict:
    """What one operation's answer showed, and what the oracle found wrong with it."""

    denied: set[str] = field(default_factory=set)  # coordinates the oracle denied
    must: set[Key] = field(default_factory=set)  # non-public values returned: one record each
    may: set[Key] = field(default_factory=set)  # values a record may name (returned, or null)
    wrote: bool = False  # a permitted write may have run
    problems: list[str] = field(default_factory=list)


def _unwrap(graphql_type: Any) -> tuple[str, bool]:
    is_list = False
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        is_list |= isinstance(graphql_type, GraphQLList)
        graphql_type = graphql_type.of_type
    return graphql_type.name, is_list


def _nonnull(type_name: str, field_name: str) -> bool:
    return isinstance(SCHEMA.type_map[type_name].fields[field_name].type, GraphQLNonNull)  # type: ignore[union-attr]


def _argument(sel: Sel, name: str) -> str | None:
    marker = f'{name}: "'
    if marker not in sel.args:
        return None
    return sel.args.split(marker, 1)[1].split('"', 1)[0]


class OperationCheck:
    def __init__(self, viewer: str | None, world: World, reject: bool) -> None:
        self.viewer = viewer
        self.me = USER_ACCOUNTS.get(viewer or "")
        self.world = world
        self.reject = reject
        self.verdict = Verdict()
        self.denied_paths: dict[tuple[Any, ...], str] = {}
        self.user_error_paths: set[tuple[Any, ...]] = set()

    # -- decisions (hand-written, from expectations) --------------------------------------

    def _refusal_code(self) -> str:
        return "UNAUTHENTICATED" if self.viewer is None else "FORBIDDEN"

    def root_allowed(self, sel: Sel) -> bool:
        if sel.name == "domain":
            return _argument(sel, "id") in ADMINISTERS.get(self.viewer or "", ())
        return self.viewer in ROOT_CALLERS[sel.name]

    def write_allowed(self, sel: Sel) -> tuple[bool, bool]:
        """(allowed, may answer BAD_USER_INPUT instead of a refusal or a payload)."""
        if sel.name in SELF_WRITES:
            return self.viewer in USERS, False
        if sel.name == "revokeConsent":
            # Someone else's consent answers any signed-in caller like a missing one (audit
            # finding 11): either way nothing is written.
            return self.viewer == "alice", self.viewer not in ("alice", None)
        assert sel.name in ADMIN_WRITES, sel.name
        target = _argument(sel, "accountId") or ""
        admin = self.world.domain_of(target) in ADMINISTERS.get(self.viewer or "", ())
        return admin, False

    def field_allowed(self, type_name: str, name: str, subject: str | None, item: Any) -> bool:
        if type_name == "Account":
            assert subject is not None
            return name in account_access(self.viewer, subject, self.world.domain_of(subject))
        if type_name == "Settings" and subject is not None and self._admin_only(subject):
            return name in SETTINGS_FOR_DOMAIN_ADMIN
        if type_name == "Content":
            return name != "sharedWith" or (self.me is not None and item["owner"] == self.me)
        return True

    def _admin_only(self, subject: str) -> bool:
        return self.me != subject and self.world.domain_of(subject) in ADMINISTERS.get(
            self.viewer or "", ()
        )

    def recorded(self, type_name: str, name: str, subject: str | None) -> bool:
        if subject is None or subject == self.me:
            return False
        if type_name == "Account":
            return name not in UNRECORDED_ACCOUNT_FIELDS
        return type_name in ACCOUNT_PART_TYPES

    # -- the walk --------------------------------------------------------------------------

    def problem(self, path: tuple[Any, ...], text: str) -> None:
        self.verdict.problems.append(f"{'.'.join(map(str, path))}: {text}")

    def check(self, op: Operation, answer: dict[str, Any]) -> Verdict:
        data = answer.get("data")
        root_type = "Query" if op.kind == "query" else "Mutation"
        for sel in op.fields:
            self._root(root_type, sel, data)
        self._errors(op, answer, data)
        return self.verdict

    def _root(self, root_type: str, sel: Sel, data: dict[str, Any] | None) -> None:
        path: tuple[Any, ...] = (sel.key,)
        if root_type == "Query":
            allowed, user_error = self.root_allowed(sel), False
        else:
            allowed, user_error = self.write_allowed(sel)
            self.verdict.wrote |= allowed
        if user_error:
            self.user_error_paths.add(path)
        if not allowed:
            self.denied_paths[path] = f"{root_type}.{sel.name}"
            if not user_error:  # answered like a missing id, it is no denial to reject
                self.verdict.denied.add(f"{root_type}.{sel.name}")
            if data is not None and data.get(sel.key) is not None:
                self.problem(path, "a refused root or write returned a value")
            return
        if root_type == "Mutation":
            self.user_error_paths.add(path)  # state-dependent input (an already revoked consent)
            if sel.name in ADMIN_WRITES:
                key = (_argument(sel, "accountId") or "", f"Mutation.{sel.name}")
                self.verdict.may.add(key)
                if data is not None and data.get(sel.key) is not None:
                    self.verdict.must.add(key)
        if data is None:
            return
        if sel.key not in data:
            self.problem(path, "missing from the answer")
            return
        self._root_value(sel, data[sel.key], path)

    def _root_value(self, sel: Sel, value: Any, path: tuple[Any, ...]) -> None:
        match sel.name:
            case "me":
                self._account(value, sel.sub, path, expect=self.me, required=True)
            case "account":
                subject = _argument(sel, "id") or ""
                exists = self.world.doc("accounts", subject) is not None
                self._account(value, sel.sub, path, expect=subject, required=exists)
                if not exists and value is not None:
                    self.problem(path, "an account that does not exist was answered")
            case "content":
                item = self.world.doc("content", _argument(sel, "id") or "")
                visible = item is not None and self._visible(item)
                if visible != (value is not None):
                    self.problem(path, f"visible={visible} but answered {value!r}")
                if value is not None:
                    self._content(value, sel.sub, path)
            case "updateProfile" | "updateSettings":
                self._object(value, sel.sub, "AccountPayload", None, path, expect=self.me)
            case "limitRights" | "suspendAccount" | "restoreAccount":
                target = _argument(sel, "accountId")
                self._object(value, sel.sub, "AccountPayload", None, path, expect=target)
            case "grantConsent" | "contactBusiness" | "revokeConsent":
                owner = "acct-alice" if sel.name == "revokeConsent" else self.me
                self._object(value, sel.sub, "ConsentPayload", owner, path)
            case "createContent":
                self._object(value, sel.sub, "ContentPayload", None, path, owner=self.me)
            case "publicFeed":
                self._object(value, sel.sub, "ContentConnection", None, path, public_only=True)
            case "domain":
                self._object(value, sel.sub, "Domain", None, path, member_of=_argument(sel, "id"))
            case "supportCases":
                self._list(value, sel, "SupportCase", None, path, case_root=True)
            case "partnerContacts":
                self._list(value, sel, "PartnerContact", None, path)
            case other:
                raise AssertionError(other)

    def _visible(self, item: dict[str, Any]) -> bool:
        parent = self.world.doc("content", item["parent"]) if item.get("parent") else None
        return content_visible(self.viewer, item, parent)

    def _list(
        self,
        value: Any,
        sel: Sel,
        type_name: str,
        subject: str | None,
        path: tuple[Any, ...],
        **hints: Any,
    ) -> None:
        if not isinstance(value, list):
            self.problem(path, f"expected a list, got {value!r}")
            return
        for n, child in enumerate(value):
            self._child(child, sel, type_name, subject, (*path, n), **hints)

    def _child(
        self,
        child: Any,
        sel: Sel,
        type_name: str,
        subject: str | None,
        path: tuple[Any, ...],
        **hints: Any,
    ) -> None:
        match type_name:
            case "Account":
                self._account(child, sel.sub, path, **hints)
            case "Content":
                self._content(child, sel.sub, path, **hints)
            case "SupportCase" if hints.get("case_root") or subject is not None:
                case = self.world.doc("support_cases", child.get("id") or "")
                if case is None:
                    self.problem(path, "a support case the oracle cannot find (select id)")
                    return
                if subject is not None and case["subject"] != subject:
                    self.problem(path, f"case of {case['subject']} listed under {subject}")
                if self.viewer == "helpdesk-co" and case["status"] != "OPEN":
                    self.problem(path, "a processor was shown a closed case")
                self._object(child, sel.sub, type_name, case["subject"], path)
            case _:
                self._object(child, sel.sub, type_name, subject, path, **hints)

    def _account(
        self,
        value: Any,
        sels: tuple[Sel, ...],
        path: tuple[Any, ...],
        *,
        expect: str | None = None,
        required: bool = False,
        member_of: str | None = None,
        **_: Any,
    ) -> None:
        if value is None:
            if required:
                self.problem(path, "an account that exists and may be looked at is null")
            return
        subject = value.get("id")
        if not isinstance(subject, str) or self.world.doc("accounts", subject) is None:
            self.problem(path, f"account without a known id: {value!r}")
            return
        if expect is not None and subject != expect:
            self.problem(path, f"expected account {expect}, got {subject}")
        if member_of is not None and self.world.domain_of(subject) != member_of:
            self.problem(path, f"{subject} listed as a member of {member_of}")
        if member_of is not None and self.recorded("Account", "domain", subject):
            # Being listed as a member tells its `domain`: a read on record (README).
            self.verdict.may.add((subject, "Account.domain"))
            self.verdict.must.add((subject, "Account.domain"))
        self._object(value, sels, "Account", subject, path)

    def _content(
        self,
        value: Any,
        sels: tuple[Sel, ...],
        path: tuple[Any, ...],
        *,
        owner: str | None = None,
        parent: str | None = None,
        public_only: bool = False,
        **_: Any,
    ) -> None:
        item = self.world.doc("content", value.get("id") or "")
        if item is None:
            self.problem(path, f"content without a known id: {value!r}")
            return
        if not self._visible(item):
            self.problem(path, f"an item invisible to {self.viewer} was returned: {item['_id']}")
        if public_only and (item["visibility"] != "PUBLIC" or item["kind"] == "EMAIL"):
            self.problem(path, f"a non-public item in a public list: {item['_id']}")
        if owner is not None and item["owner"] != owner:
            self.problem(path, f"{item['_id']} of {item['owner']} listed under {owner}")
        if parent is not None and item.get("parent") != parent:
            self.problem(path, f"{item['_id']} listed as a comment on {parent}")
        self._object(value, sels, "Content", item["owner"], path, item=item)

    def _object(
        self,
        value: Any,
        sels: tuple[Sel, ...],
        type_name: str,
        subject: str | None,
        path: tuple[Any, ...],
        *,
        item: dict[str, Any] | None = None,
        **hints: Any,
    ) -> None:
        if value is None:
            return
        graphql_type = SCHEMA.type_map[type_name]
        for sel in sels:
            here = (*path, sel.key)
            if sel.key not in value:
                self.problem(here, "missing from the answer")
                continue
            v = value[sel.key]
            coordinate = f"{type_name}.{sel.name}"
            if not self.field_allowed(type_name, sel.name, subject, item):
                self.denied_paths[here] = coordinate
                self.verdict.denied.add(coordinate)
                if v is not None:
                    self.problem(here, f"denied {coordinate} of {subject} returned {v!r}")
                continue
            if self.recorded(type_name, sel.name, subject):
                assert subject is not None
                self.verdict.may.add((subject, coordinate))
                if v is not None:
                    self.verdict.must.add((subject, coordinate))
            self._value_belongs(type_name, sel.name, subject, item, v, here)
            if v is None or not sel.sub:
                continue
            inner, is_list = _unwrap(graphql_type.fields[sel.name].type)  # type: ignore[attr-defined]
            below = self._hints(type_name, sel.name, subject, item, hints)
            if is_list:
                self._list(v, sel, inner, self._subject_below(inner, subject), here, **below)
            else:
                self._child(v, sel, inner, self._subject_below(inner, subject), here, **below)

    @staticmethod
    def _subject_below(inner: str, subject: str | None) -> str | None:
        return subject if inner in ACCOUNT_PART_TYPES else None

    def _hints(
        self, type_name: str, name: str, subject: str | None, item: Any, hints: dict[str, Any]
    ) -> dict[str, Any]:
        """What the child below this field must be: whose account, whose items, which list."""
        match (type_name, name):
            case ("Content", "author"):
                return {"expect": item["owner"], "required": True}
            case ("Content", "comments"):
                return {"parent": item["_id"]}
            case ("Account", "content"):
                return {"owner": subject}
            case ("SupportCase", "account"):
                return {"expect": subject, "required": True}
            case ("AccountPayload", "account"):
                return {"expect": hints.get("expect"), "required": True}
            case ("ContentPayload", "content"):
                return {"owner": hints.get("owner")}
            case ("ContentConnection", "edges") | ("ContentEdge", "node"):
                return {"public_only": hints.get("public_only", False)}
            case ("Domain", "members") | ("AccountConnection", "edges") | ("AccountEdge", "node"):
                return {"member_of": hints.get("member_of")}
            case ("Account", "supportCases"):
                return {}
            case _:
                return {}

    def _value_belongs(
        self,
        type_name: str,
        name: str,
        subject: str | None,
        item: Any,
        value: Any,
        path: tuple[Any, ...],
    ) -> None:
        if type_name == "Account" and name in ACCOUNT_VALUES and subject is not None:
            stored = [d.get(ACCOUNT_VALUES[name]) for d in self.world.versions("accounts", subject)]
            if value not in stored:
                self.problem(path, f"{name} of {subject} is {value!r}, stored {stored!r}")
        if type_name == "Content" and name in CONTENT_VALUES and item is not None:
            stored = [
                d.get(CONTENT_VALUES[name]) for d in self.world.versions("content", item["_id"])
            ]
            if value not in stored:
                self.problem(path, f"{name} of {item['_id']} is {value!r}, stored {stored!r}")
        if type_name == "Consent" and name == "id" and subject is not None:
            consent = self.world.doc("consents", value)
            if consent is None or consent["subject"] != subject:
                self.problem(path, f"consent {value} is not {subject}'s")

    # -- errors ----------------------------------------------------------------------------

    def _errors(self, op: Operation, answer: dict[str, Any], data: Any) -> None:
        seen: Counter[tuple[Any, ...]] = Counter()
        for error in answer.get("errors", []):
            code = error.get("extensions", {}).get("code")
            path = tuple(error.get("path") or ())
            seen[path] += 1
            if path in self.denied_paths:
                expected = self._refusal_code() if len(path) == 1 else "FORBIDDEN"
                if code != expected and not (
                    code == "BAD_USER_INPUT" and path in self.user_error_paths
                ):
                    self.problem(path, f"denied with {code}, expected {expected}")
                coordinate = error.get("extensions", {}).get("coordinate")
                if code in DENIALS and coordinate != self.denied_paths[path]:
                    self.problem(path, f"error names {coordinate}, not {self.denied_paths[path]}")
            elif code == "BAD_USER_INPUT" and path in self.user_error_paths:
                continue
            elif data is None and len(path) > 1 and code == "FORBIDDEN":
                continue  # a field of a root whose value a sibling's error nulled: unseen
            else:
                self.problem(path, f"unexpected error {code}: {error.get('message')}")
        for path, count in seen.items():
            if count > 1:
                self.problem(path, f"{count} errors at one path")
        if data is None:
            if not any(
                len(p) == 1 and _nonnull(op.kind.capitalize(), self._name(op, p[0])) for p in seen
            ):
                self.problem((), "data is null with no error on a non-null root")
            return
        for path in self.denied_paths:
            if seen[path] != 1:
                self.problem(path, "denied without its one FORBIDDEN error")

    @staticmethod
    def _name(op: Operation, key: str) -> str:
        return next(s.name for s in op.fields if s.key == key)


def check_operation(
    viewer: str | None, op: Operation, answer: dict[str, Any], world: World, reject: bool
) -> Verdict:
    return OperationCheck(viewer, world, reject).check(op, answer)


def expected_relation(viewer: str | None, subject: str, world: World) -> str | None:
    if world.domain_of(subject) in ADMINISTERS.get(viewer or "", ()):
        return "DOMAIN_ADMIN"
    return RECORDED_RELATION.get((viewer or "", subject.removeprefix("acct-")))


def check_records(
    viewer: str | None, verdicts: list[Verdict], records: list[dict[str, Any]], world: World
) -> list[str]:
    """Each returned non-public value has exactly one record per operation, and no record
    names what no operation returned; each record names the caller and its relation."""
    problems = []
    named: Counter[Key] = Counter()
    for record in records:
        subject = record["subject"]
        for coordinate in record["fields"]:
            named[(subject, coordinate)] += 1
        relation = expected_relation(viewer, subject, world)
        if record["relation"] != relation:
            problems.append(f"record {record} has relation {record['relation']}, not {relation}")
        claims = DEMO_PRINCIPALS[viewer] if viewer else {"kind": "anonymous", "sub": None}
        if (record["principal_kind"], record["principal_id"]) != (claims["kind"], claims["sub"]):
            problems.append(f"record {record} does not name the caller {viewer}")
        if relation == "AUTHORITY" and record["legal_request"] != LEGAL_REQUEST_ID:
            problems.append(f"authority record without its legal request: {record}")
        if relation == "PROCESSOR" and record["purpose"] != "support":
            problems.append(f"processor record without its purpose: {record}")
    keys = set(named) | {k for v in verdicts for k in v.must}
    for key in sorted(keys):
        least = sum(key in v.must for v in verdicts)
        most = sum(key in v.may for v in verdicts)
        if not least <= named[key] <= most:
            problems.append(
                f"{key}: {named[key]} record(s), expected {least}..{most} "
                f"(one per operation that returned it)"
            )
    return problems
