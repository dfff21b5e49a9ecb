"""`imoox-gateway persisted add|list|check`: a client's operations into the registry (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from schema.protections.persisted import PersistedOnly, sha256
from tests.client import error_codes, running
from tests.processes import run_cli

OPERATIONS = """
query Me { me { ...Names } }

mutation SaveTheme($theme: Theme!) { updateSettings(input: {theme: $theme}) { account { id } } }

fragment Names on Account { id displayName }
"""
# Each operation is registered with the fragments it uses, printed as graphql-js prints it.
ME = (
    "query Me {\n  me {\n    ...Names\n  }\n}\n\n"
    "fragment Names on Account {\n  id\n  displayName\n}"
)


def _operations(tmp_path: Path, text: str, name: str = "app.graphql") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _add(operations: Path, registry: Path) -> Any:
    return run_cli("persisted", "add", str(operations), "--registry", str(registry))


async def test_added_operations_run_by_hash_for_first_party_callers(
    settings: Settings, demo_db: AsyncDatabase[Any], tmp_path: Path
) -> None:
    registry = tmp_path / "registry.json"
    added = _add(_operations(tmp_path, OPERATIONS), registry)
    assert added.returncode == 0, added.stderr
    lines = added.stdout.splitlines()
    assert lines[0] == f"added {sha256(ME)} Me"
    assert lines[1].startswith("added ") and lines[1].endswith(" SaveTheme")
    documents = json.loads(registry.read_text())
    assert documents[sha256(ME)] == ME
    assert len(documents) == 2
    first_party = settings.model_copy(
        update={
            "persisted_queries_file": registry,
            "persisted_queries_only": PersistedOnly.FIRST_PARTY,
        }
    )
    async with running(first_party) as client:
        by_hash = {"persistedQuery": {"version": 1, "sha256Hash": sha256(ME)}}
        answer = await client.http.post(
            "/graphql",
            json={"extensions": by_hash},
            headers={"Authorization": f"Bearer {client.token('alice')}"},
        )
        assert answer.json() == {"data": {"me": {"id": "acct-alice", "displayName": "Alice Amsel"}}}
        unregistered = await client.post("{ me { id } }", as_="alice")
        assert error_codes(unregistered.json()) == ["PERSISTED_QUERY_REQUIRED"]


def test_adding_again_changes_nothing(tmp_path: Path) -> None:
    registry = tmp_path / "registry.json"
    operations = _operations(tmp_path, OPERATIONS)
    assert _add(operations, registry).returncode == 0
    before = registry.read_bytes()
    again = _add(operations, registry)
    assert again.returncode == 0
    assert again.stdout.splitlines()[0] == f"already registered {sha256(ME)} Me"
    assert "0 added, 2 already there" in again.stderr
    assert registry.read_bytes() == before


def test_an_invalid_operation_refuses_the_whole_file(tmp_path: Path) -> None:
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({sha256("{ __typename }"): "{ __typename }"}))
    before = registry.read_bytes()
    broken = OPERATIONS + "\nquery Old { legacyFeed { id } }\n"
    refused = _add(_operations(tmp_path, broken), registry)
    assert refused.returncode == 1
    assert "app.graphql: Cannot query field 'legacyFeed' on type 'Query'." in refused.stderr
    assert "line 8, column 13" in refused.stderr
    assert "Nothing registered" in refused.stderr
    assert refused.stdout == ""
    assert registry.read_bytes() == before


def test_an_apollo_manifest_is_registered_under_its_ids(tmp_path: Path) -> None:
    body = "query Feed { publicFeed(first: 3) { edges { node { id } } } }"
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": sha256(body), "name": "Feed", "type": "query", "body": body}],
    }
    registry = tmp_path / "registry.json"
    added = _add(_operations(tmp_path, json.dumps(manifest), "manifest.json"), registry)
    assert added.stdout == f"added {sha256(body)} Feed\n"
    assert json.loads(registry.read_text()) == {sha256(body): body}
    manifest["operations"][0]["id"] = sha256(body + " ")
    lying = _add(_operations(tmp_path, json.dumps(manifest), "lying.json"), tmp_path / "other.json")
    assert lying.returncode == 1
    assert 'operation Feed: its "id" is not the SHA-256 of its body' in lying.stderr
    assert not (tmp_path / "other.json").exists()


def test_check_finds_registered_documents_the_schema_no_longer_accepts(tmp_path: Path) -> None:
    registry = tmp_path / "registry.json"
    old = "query Old { legacyFeed { id } }"
    registry.write_text(json.dumps({sha256(old): old, sha256("{ __typename }"): "{ __typename }"}))
    checked = run_cli("persisted", "check", "--registry", str(registry))
    assert checked.returncode == 1
    assert f"{sha256(old)[:12]}… (Old): Cannot query field 'legacyFeed'" in checked.stderr
    listed = run_cli("persisted", "list", "--registry", str(registry))
    assert sorted(listed.stdout.splitlines()) == sorted(
        [f"{sha256(old)} Old", f"{sha256('{ __typename }')} (anonymous)"]
    )
    registry.write_text(json.dumps({sha256("{ __typename }"): "{ __typename }"}))
    fine = run_cli("persisted", "check", "--registry", str(registry))
    assert fine.returncode == 0
    assert fine.stdout == "all 1 registered documents fit the schema\n"
