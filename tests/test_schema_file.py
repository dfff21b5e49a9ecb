"""`schema.graphql` is the served schema, and a schema change is reviewed against it (issue 14)."""

from __future__ import annotations

from pathlib import Path

from tests.processes import run_cli

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"
REGENERATE = ".venv/bin/imoox-gateway schema > schema.graphql"


def test_schema_graphql_is_the_schema_the_code_serves() -> None:
    printed = run_cli("schema")
    assert printed.returncode == 0, printed.stderr
    committed = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
    assert committed == printed.stdout, (
        f"schema.graphql differs from the code: run `{REGENERATE}`, review the diff and commit it."
    )
    assert "type Query {" in printed.stdout
    assert "  me: Account\n" in printed.stdout


def test_an_unchanged_schema_has_no_breaking_change() -> None:
    checked = run_cli("schema", "--breaking-against", str(SCHEMA_FILE))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == "No breaking or dangerous changes.\n"


def test_a_removed_field_is_breaking_and_an_added_enum_value_dangerous(tmp_path: Path) -> None:
    # The previous schema had a field the code no longer has, and no DARK theme yet.
    old = (
        SCHEMA_FILE.read_text()
        .replace("type Query {\n", "type Query {\n  legacyFeed: [Content!]\n", 1)
        .replace("  LIGHT\n  DARK\n", "  LIGHT\n", 1)
    )
    previous = tmp_path / "old.graphql"
    previous.write_text(old)
    checked = run_cli("schema", "--breaking-against", str(previous))
    assert checked.returncode == 1
    assert checked.stdout.splitlines() == [
        "BREAKING FIELD_REMOVED: Field Query.legacyFeed was removed.",
        "DANGEROUS VALUE_ADDED_TO_ENUM: Enum value Theme.DARK was added.",
    ]


def test_an_unreadable_old_schema_is_an_error_not_a_verdict(tmp_path: Path) -> None:
    previous = tmp_path / "old.graphql"
    previous.write_text("type Query {")
    checked = run_cli("schema", "--breaking-against", str(previous))
    assert checked.returncode == 2
    assert "old.graphql" in checked.stderr
    assert checked.stdout == ""
