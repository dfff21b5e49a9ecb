"""Row conditions: which documents a grant lets its holder read, declared in the policy table.

Hasura keeps a row `filter` beside each column list, so that who may read which rows can be
reviewed where who may read which fields is. A grant here does the same (`Grant.rows`): a
MongoDB filter template whose values may name facts of the principal (`PRINCIPAL.id`); several
branches are `any_of` them. Readers render the template with the caller's facts
(`principal_facts`) and query with it, so rows outside it are never read:

    Rows({"status": "OPEN", "purpose": PRINCIPAL.purpose, "processor": PRINCIPAL.id})

A branch is `equal` (plain values, which a list's index serves: `resolvers.windows` reads each
branch through an index of its own) and `where`, further conditions on the same document.
Rendering fails closed: a branch naming a fact the principal lacks (a processor's
`PRINCIPAL.account`, a principal without `id`) matches nothing, and a condition all of whose
branches do matches nothing (`NOTHING`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple, assert_never

from authz.principals import Principal, PrincipalKind

#: A filter no document matches.
NOTHING: Mapping[str, Any] = {"_id": {"$in": []}}


class Fact(NamedTuple):
    """A value a template leaves to the request: `PRINCIPAL.<name>` (a tuple: cheap to hash)."""

    of: str
    name: str

    def __str__(self) -> str:
        return f"{self.of}.{self.name}"


class _Facts:
    """`PRINCIPAL.id` names a fact; `policy check` refuses a name `KNOWN_FACTS` lacks."""

    __slots__ = ("_of",)

    def __init__(self, of: str) -> None:
        self._of = of

    def __getattr__(self, name: str) -> Fact:
        if name.startswith("_"):
            raise AttributeError(name)
        return Fact(self._of, name)


PRINCIPAL = _Facts("PRINCIPAL")

_ID, _PURPOSE, _ACCOUNT, _LISTED = (
    PRINCIPAL.id,
    PRINCIPAL.purpose,
    PRINCIPAL.account,
    PRINCIPAL.listed,
)
#: What each fact of the principal is (`principal_facts` gives exactly these).
KNOWN_FACTS: Mapping[Fact, str] = MappingProxyType(
    {
        _ID: "the token's subject",
        _PURPOSE: "a processor's purpose",
        _ACCOUNT: "the account a user signs in as (users only)",
        _LISTED: "the subjects a legal request in force lists for the field",
    }
)


@dataclass(frozen=True, slots=True)
class Shown:
    """One rendered branch: documents match it when `equal` and `where` both hold."""

    equal: Mapping[str, Any]
    where: Mapping[str, Any] = field(default_factory=dict)

    @property
    def filter(self) -> dict[str, Any]:
        return {**self.equal, **self.where}


@dataclass(frozen=True, slots=True, eq=False)
class Rows:
    """One branch of a row condition, as a template (see the module's docstring).

    Compared and hashed by identity (templates are the table's constants), so grants and
    decisions holding one stay hashable."""

    equal: Mapping[str, Any]
    where: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Rows matching any of `branches`, each read on its own (never one `$or` on a list)."""

    branches: tuple[Rows, ...]


RowCondition = Rows | AnyOf


def any_of(*branches: Rows) -> AnyOf:
    return AnyOf(branches)


def branches_of(condition: RowCondition) -> tuple[Rows, ...]:
    match condition:
        case Rows():
            return (condition,)
        case AnyOf():
            return condition.branches
        case _:
            assert_never(condition)


def principal_facts(principal: Principal, listed: Collection[str] = ()) -> dict[Fact, Any]:
    """The facts a template may name, for `principal`; `listed`: the subjects its legal request
    in force lists for the field read (`authz.standing.Standings.listed`). `None`: lacking.
    Every value is hashable, so what is rendered from them can be cached by them."""
    return {
        _ID: principal.id,
        _PURPOSE: principal.purpose,
        _ACCOUNT: principal.id if principal.kind is PrincipalKind.USER else None,
        _LISTED: tuple(sorted(listed)),
    }


class _Missing(Exception):
    """A template names a fact the principal lacks."""


def render(condition: RowCondition, facts: Mapping[Fact, Any]) -> tuple[Shown, ...]:
    """The branches of `condition` for these facts; a branch naming a lacking fact is left out."""
    shown = []
    for branch in branches_of(condition):
        try:
            shown.append(Shown(_fill(branch.equal, facts), _fill(branch.where, facts)))
        except _Missing:
            continue
    return tuple(shown)


def as_filter(shown: tuple[Shown, ...]) -> dict[str, Any]:
    """Rendered branches as one filter, for one document or the rows of one range."""
    if not shown:
        return dict(NOTHING)
    if len(shown) == 1:
        return shown[0].filter
    return {"$or": [branch.filter for branch in shown]}


def _fill(template: Mapping[str, Any], facts: Mapping[Fact, Any]) -> dict[str, Any]:
    return {key: _value(value, facts) for key, value in template.items()}


def _value(value: Any, facts: Mapping[Fact, Any]) -> Any:
    if isinstance(value, Fact):
        known = facts.get(value)
        if known is None:
            raise _Missing(str(value))
        return list(known) if isinstance(known, tuple) else known
    if isinstance(value, Mapping):
        return _fill(value, facts)
    if isinstance(value, list | tuple):
        return [_value(item, facts) for item in value]
    return value


def facts_named(condition: RowCondition) -> Iterator[Fact]:
    """Every fact `condition` names (for `policy check`)."""
    for branch in branches_of(condition):
        for template in (branch.equal, branch.where):
            yield from _facts_in(template)


def _facts_in(value: Any) -> Iterator[Fact]:
    if isinstance(value, Fact):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _facts_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _facts_in(item)


def fields_named(condition: RowCondition) -> Iterator[str]:
    """Every document field `condition` tests (not operators: for `policy check`)."""
    for branch in branches_of(condition):
        for template in (branch.equal, branch.where):
            yield from _fields_in(template)


def _fields_in(template: Mapping[str, Any]) -> Iterator[str]:
    for key, value in template.items():
        if key in ("$and", "$or", "$nor"):
            for part in value:
                yield from _fields_in(part)
        elif not key.startswith("$"):
            yield key


_WORDS = {"$in": "in", "$nin": "not in", "$ne": "≠", "$gt": ">", "$gte": "≥", "$lt": "<"}


def describe_rows(condition: RowCondition) -> str:
    """A condition in words, for `policy show`: `status = OPEN and processor = PRINCIPAL.id`."""
    branches = [
        " and ".join(_words({**branch.equal, **branch.where})) or "every row"
        for branch in branches_of(condition)
    ]
    return branches[0] if len(branches) == 1 else " OR ".join(f"({one})" for one in branches)


def _words(template: Mapping[str, Any]) -> Iterator[str]:
    for key, value in template.items():
        if isinstance(value, Mapping):
            for op, operand in value.items():
                yield f"{key} {_WORDS.get(op, op)} {_text(operand)}"
        else:
            yield f"{key} = {_text(value)}"


def _text(value: Any) -> str:
    if isinstance(value, list | tuple) and not isinstance(value, Fact):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    return str(value)
