"""The data export (GDPR Art. 15/20): everything SELF may read, as one JSON document.

Which fields appear is derived from the policy, not listed here: each document is shaped by
the decisions for the owner's own standing, so a field the owner may not read (a password
hash, internal bookkeeping) can never leak into an export, and a new readable field joins it
without a change here. The document is produced in chunks, section by section, so the HTTP
route can stream it in constant memory.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from authz.relations import Standing
from resolvers.export import SECTIONS, section_documents
from schema.enforcement.context import Context
from schema.enforcement.guard import access
from schema.enforcement.shapes import SHAPES

#: Bumped whenever a field is renamed or removed, so importers can tell formats apart.
SCHEMA_VERSION = 1


def shaped(type_name: str, doc: Mapping[str, Any], standing: Standing) -> dict[str, Any]:
    """A stored document as the API names it, with only the fields `standing` may read."""
    decisions = access(type_name, standing)
    out: dict[str, Any] = {}
    for field in SHAPES[type_name].by_python.values():
        decision = decisions.get(field.python_name)
        if not field.stored or decision is None or not decision.allowed:
            continue
        value = doc.get(field.key)
        if field.embedded and isinstance(value, list):
            value = [shaped(field.embedded, item, standing) for item in value]
        elif field.embedded and isinstance(value, Mapping):
            value = shaped(field.embedded, value, standing)
        out[field.graphql_name] = value
    return out


def _json(value: Any) -> str:
    return json.dumps(value, default=_encode, ensure_ascii=False, separators=(",", ":"))


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def readable_keys(type_name: str, standing: Standing) -> list[str]:
    """The stored keys of `type_name` that `standing` may read: all an export reads of it."""
    decisions = access(type_name, standing)
    return [
        field.key
        for field in SHAPES[type_name].by_python.values()
        if field.stored and (decision := decisions.get(field.python_name)) and decision.allowed
    ]


async def export_chunks(context: Context, account: str) -> AsyncIterator[str]:
    """The export of `account` for its owner (the context's caller), in JSON text chunks."""
    await context.standings.load([account])
    standing = context.standings.of(account)
    header = {"schemaVersion": SCHEMA_VERSION, "exportedAt": context.now}
    yield _json(header)[:-1]
    for section in SECTIONS:
        listing = section.listing
        fields = readable_keys(listing.type_name, standing)
        docs = section_documents(context.db, section, account, fields)
        if listing.one:
            [doc] = [item async for item in docs] or [{"_id": account}]
            yield f',"{listing.name}":' + _json(shaped(listing.type_name, doc, standing))
            continue
        yield f',"{listing.name}":['
        separator = ""
        async for item in docs:
            yield separator + _json(shaped(listing.type_name, item, standing))
            separator = ","
        yield "]"
    yield "}"
