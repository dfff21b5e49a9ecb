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

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from schema.persisted import QueryRegistry, sha256

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
        fragments = {
            node.name.value: node
            for node in parsed.definitions
            if isinstance(node, FragmentDefinitionNode)
        }
        for node in parsed.definitions:
            if not isinstance(node, OperationDefinitionNode):
                continue
            if node.name is None:
                raise ValueError(f"{path.name}: every page operation needs a name")
            name = node.name.value
            if name in hashes:
                raise ValueError(f"{path.name}: operation {name} is defined twice")
            document = print_ast(DocumentNode(definitions=(node, *_used(node, fragments))))
            hashes[name] = sha256(document)
            documents[hashes[name]] = document
    return PageOperations(MappingProxyType(documents), MappingProxyType(hashes))


def _used(
    node: Node, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """The fragments `node` spreads, directly or through other fragments, each once."""
    found: dict[str, FragmentDefinitionNode] = {}
    pending = [node]
    while pending:
        spreads = _Spreads()
        visit(pending.pop(), spreads)
        for name in spreads.names:
            if name not in found:
                found[name] = fragments[name]
                pending.append(fragments[name])
    return list(found.values())


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.append(node.name.value)
