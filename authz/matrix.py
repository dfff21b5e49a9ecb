"""The policy as Markdown tables (SPEC §4, §7), regenerated from the tables in `authz`.

Reads print as a matrix, one column per relation; entry points and writes print each rule in
the words their decisions quote (`explainAccess`, refusals).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import assert_never

from authz.grants import Grant, Rule
from authz.policy import POLICY
from authz.relations import Relation
from authz.roots import ROOTS
from authz.rows import RowCondition, describe_rows
from authz.writes import WRITES


def _title(relation: Relation) -> str:
    """A column's title: the relation, and what a grant of it rests on when it needs more."""
    match relation:
        case Relation.PUBLIC | Relation.SELF | Relation.VIEWER | Relation.DOMAIN_ADMIN:
            return relation.value
        case Relation.PROCESSOR:
            return f"{relation.value}(purpose)"
        case Relation.PARTNER:
            return f"{relation.value}(consent)"
        case Relation.AUTHORITY:
            return relation.value
        case _:
            assert_never(relation)


COLUMNS = tuple((relation, _title(relation)) for relation in Relation)


def render_matrix() -> str:
    """One Markdown table per type: which relation may read each field."""
    sections = []
    for type_name, rules in POLICY.items():
        header = "| field | " + " | ".join(title for _, title in COLUMNS) + " |"
        lines = [f"### `{type_name}`", "", header, "|---" * (len(COLUMNS) + 1) + "|"]
        lines += [
            f"| `{field}` | " + " | ".join(_cell(rule, relation) for relation, _ in COLUMNS) + " |"
            for field, rule in rules.items()
        ]
        sections.append("\n".join(lines))
    roots = _render_rules("Root query fields", "field", ROOTS)
    # SPEC §7: who may perform each mutation, and under which limit it is refused.
    mutations = _render_rules("Mutations", "mutation", WRITES)
    return "\n\n".join(sections) + "\n\n" + render_rows() + "\n" + roots + "\n" + mutations


def render_rows() -> str:
    """Which rows each grant with a row condition reads (`authz.rows`), and on which fields."""
    fields: dict[tuple[Grant, RowCondition], dict[str, list[str]]] = {}
    for type_name, rules in POLICY.items():
        for field, rule in rules.items():
            for grant in rule.grants:
                if (rows := grant.rows) is not None:
                    fields.setdefault((grant, rows), {}).setdefault(type_name, []).append(field)
    lines = ["### Row conditions", "", "| grant | rows | on |", "|---|---|---|"]
    for (grant, rows), on in fields.items():
        where = "; ".join(f"`{type_name}`: {', '.join(names)}" for type_name, names in on.items())
        lines.append(f"| {Rule((grant,)).text} | {describe_rows(rows)} | {where} |")
    return "\n".join(lines) + "\n"


def _render_rules(title: str, column: str, rules: Mapping[str, Rule]) -> str:
    """Who may call each root field or mutation (what it returns is decided field by field)."""
    lines = [f"### {title}", "", f"| {column} | who |", "|---|---|"]
    lines += [f"| `{name}` | {rule.text} |" for name, rule in rules.items()]
    return "\n".join(lines) + "\n"


def _cell(rule: Rule, relation: Relation) -> str:
    grants = [grant for grant in rule.grants if grant.relation is relation]
    return ", ".join(_words(grant) for grant in grants) or "—"


def _words(grant: Grant) -> str:
    words = [grant.purpose] if grant.purpose else []
    if qualifiers := grant.qualifiers():
        words.append(", ".join(qualifiers))
    return "yes" + (f" ({'; '.join(words)})" if words else "")
