"""The policy as Markdown tables (SPEC §4, §7), regenerated from the tables in `authz`."""

from __future__ import annotations

from authz.policy import POLICY, Grant, Rule, describe
from authz.relations import Relation
from authz.roots import ROOTS
from authz.rows import RowCondition, describe_rows
from authz.writes import WRITES

COLUMNS = (
    (Relation.PUBLIC, "PUBLIC"),
    (Relation.SELF, "SELF"),
    (Relation.VIEWER, "VIEWER"),
    (Relation.DOMAIN_ADMIN, "DOMAIN_ADMIN"),
    (Relation.PROCESSOR, "PROCESSOR(purpose)"),
    (Relation.PARTNER, "PARTNER(consent)"),
    (Relation.AUTHORITY, "AUTHORITY"),
)


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
    return (
        "\n\n".join(sections)
        + "\n\n"
        + render_rows()
        + "\n"
        + render_roots()
        + "\n"
        + render_writes()
    )


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
        lines.append(f"| {describe(Rule((grant,)))} | {describe_rows(rows)} | {where} |")
    return "\n".join(lines) + "\n"


def render_roots() -> str:
    """Who may call each root query field (what it returns is then decided field by field)."""
    lines = ["### Root query fields", "", "| field | who |", "|---|---|"]
    lines += [f"| `{field}` | {rule.describe()} |" for field, rule in ROOTS.items()]
    return "\n".join(lines) + "\n"


def render_writes() -> str:
    """The write rules (SPEC §7): who may perform each mutation, and what limit refuses it."""
    lines = ["### Mutations", "", "| mutation | who | refused under |", "|---|---|---|"]
    for mutation, rule in WRITES.items():
        limit = f"`rightsLimits.{rule.limited_by}`" if rule.limited_by else "—"
        lines.append(f"| `{mutation}` | {rule.who()} | {limit} |")
    return "\n".join(lines) + "\n"


def _cell(rule: Rule, relation: Relation) -> str:
    grants = [grant for grant in rule.grants if grant.relation is relation]
    return ", ".join(_words(grant) for grant in grants) or "—"


def _words(grant: Grant) -> str:
    words = [grant.purpose] if grant.purpose else []
    if grant.note:
        words.append(grant.note)
    return "yes" + (f" ({'; '.join(words)})" if words else "")
