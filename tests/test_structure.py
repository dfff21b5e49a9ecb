"""Structural guarantees, read from the source: a case nobody decided is refused, not allowed.

Every `match` ends in `case _: assert_never(subject)` and names every member of the enum it
decides over, so mypy (strict in `authz/`) refuses the code until a new relation or principal
kind is decided everywhere; no if/elif chain decides over those enums instead, where a
forgotten member would silently fall through to the last branch.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

from authz.principals import PartnerType, PrincipalKind
from authz.relations import Relation
from authz.roots import Binding
from resolvers.collections import Erasure

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("authz", "schema", "resolvers", "gateway")
#: The enums access is decided over, by the name the code spells them with.
DECISION_ENUMS: dict[str, type[Enum]] = {
    enum.__name__: enum for enum in (Relation, PrincipalKind, PartnerType, Binding, Erasure)
}


def nodes(kind: type[ast.AST]) -> Iterator[tuple[str, ast.AST]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, kind):
                    yield f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}", node


def members_named(node: ast.AST) -> dict[str, set[str]]:
    """`Enum.MEMBER` names in `node`, by enum, for the decision enums."""
    named: dict[str, set[str]] = {}
    for inner in ast.walk(node):
        if not isinstance(inner, ast.Attribute):
            continue
        owner = inner.value  # `Enum.MEMBER`, or `module.Enum.MEMBER`
        enum = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        if enum in DECISION_ENUMS:
            named.setdefault(enum, set()).add(inner.attr)
    return named


def test_there_are_matches_to_check() -> None:
    assert len(list(nodes(ast.Match))) >= 8


def test_every_match_ends_in_assert_never_of_its_subject() -> None:
    wrong = []
    for where, match in nodes(ast.Match):
        assert isinstance(match, ast.Match)
        last = match.cases[-1]
        default = (
            isinstance(last.pattern, ast.MatchAs)
            and last.pattern.pattern is None
            and last.guard is None
        )
        expected = f"assert_never({ast.unparse(match.subject)})"
        body = [ast.unparse(statement) for statement in last.body]
        if not default or body != [expected]:
            wrong.append(f"{where}: `case _:` must be `{expected}` alone, not {body}")
        if guarded := [case for case in match.cases if case.guard is not None]:
            wrong.append(f"{where}: {len(guarded)} guarded cases hide unhandled members")
    assert wrong == []


def test_every_match_names_every_member_of_the_enum_it_decides_over() -> None:
    missing = []
    for where, match in nodes(ast.Match):
        assert isinstance(match, ast.Match)
        named = members_named(ast.Tuple(elts=[case.pattern for case in match.cases]))
        for enum_name, members in named.items():
            if left_out := {m.name for m in DECISION_ENUMS[enum_name]} - members:
                missing.append(f"{where}: {enum_name} {sorted(left_out)}")
    assert missing == []


def test_holds_names_each_unconditional_relation() -> None:
    """`_holds` decides every relation by name; none is granted by a catch-all."""
    [(_, holds)] = [
        (where, node)
        for where, node in nodes(ast.FunctionDef)
        if where.startswith("authz/decisions.py") and getattr(node, "name", "") == "_holds"
    ]
    [match] = [node for node in ast.walk(holds) if isinstance(node, ast.Match)]
    unconditional = [
        case
        for case in match.cases
        if [ast.unparse(statement) for statement in case.body] == ["return True"]
    ]
    assert [sorted(members_named(case.pattern)["Relation"]) for case in unconditional] == [
        ["DOMAIN_ADMIN", "PUBLIC", "SELF", "VIEWER"]
    ]


def is_chain(node: ast.If) -> bool:
    """An `if` over a decision enum whose `else` is another `if` over the same enum."""
    tested = members_named(node.test)
    follow = node.orelse[0] if len(node.orelse) == 1 else None
    return (
        bool(tested)
        and isinstance(follow, ast.If)
        and bool(members_named(follow.test).keys() & tested)
    )


def test_no_if_elif_chain_decides_over_a_decision_enum() -> None:
    chains = [where for where, node in nodes(ast.If) if isinstance(node, ast.If) and is_chain(node)]
    assert chains == []


def test_an_if_elif_chain_would_be_found() -> None:
    source = (
        "if kind is PrincipalKind.USER:\n    x = 1\n"
        "elif kind is PrincipalKind.PARTNER:\n    x = 2\nelse:\n    x = 3\n"
    )
    [node] = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.If) and is_chain(n)]
    assert node.lineno == 1
