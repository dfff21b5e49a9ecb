"""Persisted queries: clients send a registered document's SHA-256 instead of the document.

Apollo's protocol (`extensions.persistedQuery.sha256Hash`). Registered documents are loaded at
start from a JSON file mapping each hash to its document (`imoox-gateway persisted add` fills
it). `PersistedOnly` says who must send registered documents: nobody, IMOOX's own apps' callers
(first party), or everyone; any other document of theirs is refused before parsing, so
production runs exactly the operations IMOOX's apps ship while partners, processors and
authorities keep sending their own documents within what the policy grants them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import assert_never

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from authz.principals import PrincipalKind
from schema.enforcement.context import Context
from schema.protections.errors import ErrorCode


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


class PersistedOnly(StrEnum):
    """Whose operations must be registered documents (`IMOOX_PERSISTED_QUERIES_ONLY`)."""

    OFF = "off"
    FIRST_PARTY = "first-party"
    ALL = "all"


def first_party(kind: PrincipalKind) -> bool:
    """Whether callers of this kind use IMOOX's own apps (web, mobile, the privacy center and
    the admin and compliance consoles), whose operations IMOOX ships and can register.

    Processors, partners and authorities write their own clients against their grants.
    """
    match kind:
        case (
            PrincipalKind.ANONYMOUS
            | PrincipalKind.USER
            | PrincipalKind.DOMAIN_ADMIN
            | PrincipalKind.COMPLIANCE
        ):
            return True
        case PrincipalKind.PROCESSOR | PrincipalKind.PARTNER | PrincipalKind.AUTHORITY:
            return False
        case _:
            assert_never(kind)


class PersistedQueries(SchemaExtension):
    def __init__(self, registry: QueryRegistry, *, only: PersistedOnly = PersistedOnly.OFF) -> None:
        self.registry = registry
        self.only = only

    def _registered_only(self) -> bool:
        """Whether this operation's caller may run registered documents only."""
        match self.only:
            case PersistedOnly.OFF:
                return False
            case PersistedOnly.ALL:
                return True
            case PersistedOnly.FIRST_PARTY:
                context = self.execution_context.context
                # Without the gateway's context there is no caller to exempt: fail closed.
                return not isinstance(context, Context) or first_party(context.principal.kind)
            case _:
                assert_never(self.only)

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
        elif self._registered_only() and sha256(context.query or "") not in self.registry.hashes:
            raise GraphQLError(
                "Only registered (persisted) queries are accepted here.",
                extensions={"code": ErrorCode.PERSISTED_QUERY_REQUIRED.value},
            )
        yield
