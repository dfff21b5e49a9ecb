"""Persisted queries: clients send a registered document's SHA-256 instead of the document.

Apollo's protocol (`extensions.persistedQuery.sha256Hash`). Registered documents are loaded at
start from a JSON file mapping each hash to its document; with `only_registered`, any other
document is refused before parsing, so production can run exactly the queries its clients ship.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from schema.errors import ErrorCode


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class QueryRegistry:
    def __init__(self, documents: Mapping[str, str] | None = None) -> None:
        documents = documents or {}
        for digest, document in documents.items():
            if sha256(document) != digest:
                raise ValueError(f"registered query {digest[:12]}… does not match its hash")
        self.documents = MappingProxyType(dict(documents))
        self.hashes = frozenset(self.documents)

    @classmethod
    def from_file(cls, path: Path) -> QueryRegistry:
        return cls(json.loads(path.read_text()))


class PersistedQueries(SchemaExtension):
    def __init__(self, registry: QueryRegistry, *, only_registered: bool = False) -> None:
        self.registry = registry
        self.only_registered = only_registered

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        persisted = (context.operation_extensions or {}).get("persistedQuery")
        if isinstance(persisted, dict):
            digest = persisted.get("sha256Hash")
            document = self.registry.documents.get(digest) if isinstance(digest, str) else None
            if document is None:
                raise GraphQLError(
                    "PersistedQueryNotFound",
                    extensions={"code": ErrorCode.PERSISTED_QUERY_NOT_FOUND.value},
                )
            if context.query is not None and context.query != document:
                raise GraphQLError(
                    "The query does not match its persisted hash.",
                    extensions={"code": ErrorCode.BAD_USER_INPUT.value, "field": "query"},
                )
            context.query = document
        elif self.only_registered and sha256(context.query or "") not in self.registry.hashes:
            raise GraphQLError(
                "Only registered (persisted) queries are accepted here.",
                extensions={"code": ErrorCode.PERSISTED_QUERY_REQUIRED.value},
            )
        yield
