"""Trusted documents: from a first-party client's operations to the registry the gateway loads.

A client's operations come as a `.graphql` file (one or many operations with their fragments)
or as an Apollo persisted query manifest (`.json`, what Apollo's and other tools generate).
Each operation is validated against the served schema before anything is written, and each
becomes one registered document: the operation and the fragments it uses, printed as
graphql-js prints it, keyed by its SHA-256 (Apollo's `sha256Hash`). The registry stays the
`{sha256: document}` JSON `IMOOX_PERSISTED_QUERIES_FILE` has always read (`QueryRegistry`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    print_ast,
    separate_operations,
    validate,
)

from schema.build import build_schema
from schema.protections.persisted import QueryRegistry, sha256

APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"


class RefusedOperations(ValueError):
    """Some operations do not fit the schema (or the file is not an operations file)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    document: str

    @property
    def digest(self) -> str:
        return sha256(self.document)


def read_operations(path: Path) -> list[Operation]:
    """The operations in a `.graphql` file or an Apollo manifest, each valid for the schema."""
    text = path.read_text()
    if path.suffix == ".json":
        operations = _from_manifest(text)
    else:
        operations = [
            Operation(name or "(anonymous)", print_ast(single))
            for name, single in separate_operations(_parsed(text, path.name)).items()
        ]
    if not operations:
        raise RefusedOperations([f"{path.name}: no operations"])
    return operations


def add_operations(registry: Path, operations: list[Operation]) -> list[tuple[Operation, bool]]:
    """Register the operations not yet in `registry` (created if missing); idempotent.

    Returns each operation with whether it was added (False: it was there already).
    """
    existing = QueryRegistry.from_file(registry).documents if registry.exists() else {}
    added = {op.digest: op.document for op in operations if op.digest not in existing}
    if added:
        write_registry(registry, {**existing, **added})
    return [(op, op.digest in added) for op in operations]


def write_registry(path: Path, documents: Mapping[str, str]) -> None:
    """The registry, sorted by hash (stable diffs), replaced whole so a reader never sees half."""
    text = json.dumps(dict(sorted(documents.items())), indent=2) + "\n"
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as file:
        file.write(text)
    os.replace(file.name, path)


def invalid_documents(registry: QueryRegistry) -> list[str]:
    """Each registered document the schema no longer accepts, with why: a schema change that
    would break an app already shipped."""
    problems = []
    for digest, document in registry.documents.items():
        try:
            _parsed(document, f"{digest[:12]}… ({', '.join(operation_names(document))})")
        except RefusedOperations as refused:
            problems.extend(refused.problems)
    return problems


def operation_names(document: str) -> list[str]:
    return [
        definition.name.value if definition.name else "(anonymous)"
        for definition in parse(document).definitions
        if isinstance(definition, OperationDefinitionNode)
    ]


def _from_manifest(text: str) -> list[Operation]:
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
        raise RefusedOperations([f"not JSON: {error}"]) from None
    if not isinstance(manifest, dict) or manifest.get("format") != APOLLO_MANIFEST_FORMAT:
        raise RefusedOperations([f'not an Apollo manifest ("format": "{APOLLO_MANIFEST_FORMAT}")'])
    if manifest.get("version") != 1 or not isinstance(manifest.get("operations"), list):
        raise RefusedOperations(['an Apollo manifest of version 1 has a list of "operations"'])
    operations, problems = [], []
    for index, entry in enumerate(manifest["operations"]):
        body = entry.get("body") if isinstance(entry, dict) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"operation {name or index!s}"
        if not isinstance(body, str):
            problems.append(f'{where}: no "body"')
        elif entry.get("id") != sha256(body):
            problems.append(f'{where}: its "id" is not the SHA-256 of its body')
        else:
            try:
                _parsed(body, where)
            except RefusedOperations as refused:
                problems.extend(refused.problems)
            operations.append(Operation(str(name or "(anonymous)"), body))
    if problems:
        raise RefusedOperations(problems)
    return operations


def _parsed(text: str, where: str) -> DocumentNode:
    """The document, if it parses and the served schema accepts all of it."""
    try:
        document = parse(text)
    except GraphQLError as error:
        raise RefusedOperations([f"{where}: {error.message}{_at(error)}"]) from None
    errors = validate(_schema(), document)
    if errors:
        raise RefusedOperations([f"{where}: {e.message}{_at(e)}" for e in errors])
    return document


def _at(error: GraphQLError) -> str:
    places = [f"line {at.line}, column {at.column}" for at in error.locations or ()]
    return f" ({'; '.join(places)})" if places else ""


@cache
def _schema() -> GraphQLSchema:
    return build_schema()._schema
