"""The pages' GraphQL operations, read from `operations/*.graphql` and registered as trusted
(persisted) documents beside the configured registry.

Each named operation becomes its own document (with the fragments it spreads), hashed as
Apollo's persisted queries are (SHA-256 of the document text). Pages send only that hash, so
with `IMOOX_PERSISTED_QUERIES_ONLY` the gateway runs exactly what its pages and registered
clients ship.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from graphql import OperationDefinitionNode, parse, print_ast, separate_operations

from schema.protections.persisted import QueryRegistry, sha256

OPERATIONS = Path(__file__).parent / "operations"


@dataclass(frozen=True)
class PageOperations:
    """Each operation's document by hash, and each operation's hash by name (for the pages)."""

    documents: Mapping[str, str]
    hashes: Mapping[str, str]

    def trusted(self, configured: QueryRegistry | None) -> QueryRegistry:
        """The registry the gateway runs: the configured documents and the pages' own."""
        documents = dict(configured.documents) if configured is not None else {}
        return QueryRegistry({**documents, **self.documents})


def load_operations(directory: Path = OPERATIONS) -> PageOperations:
    """Every operation of every `*.graphql` file; an unnamed or twice-named one is refused."""
    documents: dict[str, str] = {}
    hashes: dict[str, str] = {}
    for path in sorted(directory.glob("*.graphql")):
        parsed = parse(path.read_text())
        names = [
            node.name.value if node.name else None
            for node in parsed.definitions
            if isinstance(node, OperationDefinitionNode)
        ]
        if None in names:
            raise ValueError(f"{path.name}: every page operation needs a name")
        for name in names:
            if name in hashes or names.count(name) > 1:
                raise ValueError(f"{path.name}: operation {name} is defined twice")
        # Each operation with the fragments it spreads, directly or through others.
        for name, single in separate_operations(parsed).items():
            document = print_ast(single)
            hashes[name] = sha256(document)
            documents[hashes[name]] = document
    return PageOperations(MappingProxyType(documents), MappingProxyType(hashes))
