"""The no-authorization floor: what a user writes without the gateway, over the same database.

Plain Strawberry on Starlette with PyMongo's async client, serving the shapes of
`bench/workload.py` with no authentication, no authorization, no disclosure records and no
limits, Strawberry's parser and validation caches on, on uvloop as `uvicorn.run` picks it when
installed (the gateway's loop; until 2026-12-02 the floor ran on asyncio's own loop, 2-3 % slower
on `{ __typename }`): one query per list, one `$in` query for a list's accounts, whole documents
read. The caller is whoever `X-Bench-Principal` names. It is the floor the gateway's cost is
measured against (issue 11), so it must stay straightforward, neither tuned nor deliberately
slow.

    .venv/bin/python bench/floor_app.py --uri mongodb://… [--database imoox] [--port 8001]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import strawberry
import uvicorn
import uvloop
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workload import FLOOR_PRINCIPAL_HEADER

NEWEST_FIRST = [("created_at", -1), ("_id", -1)]
PUBLIC_ITEMS = {"visibility": "PUBLIC", "kind": {"$nin": ["EMAIL", "COMMENT"]}}


@strawberry.type
class Content:
    id: strawberry.ID
    kind: str
    title: str | None
    visibility: str | None
    author: Account | None


@strawberry.type
class Account:
    id: strawberry.ID
    display_name: str | None
    email: str | None
    phone: str | None
    status: str | None

    @strawberry.field
    async def content(self, info: strawberry.Info) -> list[Content]:
        items = info.context["db"].content.find({"owner": self.id}).sort(NEWEST_FIRST)
        return [_content(doc, self) async for doc in items]


@strawberry.type
class ContentEdge:
    node: Content


@strawberry.type
class ContentConnection:
    edges: list[ContentEdge]


@strawberry.type
class AccountEdge:
    node: Account


@strawberry.type
class AccountConnection:
    edges: list[AccountEdge]


@strawberry.type
class Domain:
    id: strawberry.ID
    name: str

    @strawberry.field
    async def members(self, info: strawberry.Info, first: int = 20) -> AccountConnection:
        found = info.context["db"].accounts.find({"domain": self.id}).sort("_id").limit(first)
        return AccountConnection(edges=[AccountEdge(node=_account(doc)) async for doc in found])


@strawberry.type
class PartnerContact:
    consent_fields: list[str]
    account: Account | None


@strawberry.type
class Query:
    @strawberry.field
    async def me(self, info: strawberry.Info) -> Account | None:
        doc = await info.context["db"].accounts.find_one({"_id": info.context["principal"]})
        return _account(doc) if doc else None

    @strawberry.field
    async def public_feed(self, info: strawberry.Info, first: int = 20) -> ContentConnection:
        db = info.context["db"]
        items = await db.content.find(PUBLIC_ITEMS).sort(NEWEST_FIRST).limit(first).to_list()
        authors = await _accounts(db, [item["owner"] for item in items])
        return ContentConnection(
            edges=[ContentEdge(node=_content(item, authors.get(item["owner"]))) for item in items]
        )

    @strawberry.field
    async def domain(self, info: strawberry.Info, id: strawberry.ID) -> Domain | None:
        doc = await info.context["db"].domains.find_one({"_id": id})
        return Domain(id=doc["_id"], name=doc["name"]) if doc else None

    @strawberry.field
    async def partner_contacts(self, info: strawberry.Info) -> list[PartnerContact]:
        db, now = info.context["db"], datetime.now(UTC)
        consents = (
            await db.consents.find(
                {
                    "recipient": info.context["principal"],
                    "revoked_at": None,
                    "granted_at": {"$lte": now},
                    "$or": [{"expires_at": None}, {"expires_at": {"$gt": now}}],
                }
            )
            .sort("granted_at", 1)
            .to_list()
        )
        accounts = await _accounts(db, [consent["subject"] for consent in consents])
        return [
            PartnerContact(
                consent_fields=consent["fields"], account=accounts.get(consent["subject"])
            )
            for consent in consents
        ]


def _account(doc: dict[str, Any]) -> Account:
    return Account(
        id=doc["_id"],
        display_name=doc.get("display_name"),
        email=doc.get("email"),
        phone=doc.get("phone"),
        status=doc.get("status"),
    )


def _content(doc: dict[str, Any], author: Account | None) -> Content:
    return Content(
        id=doc["_id"],
        kind=doc["kind"],
        title=doc.get("title"),
        visibility=doc.get("visibility"),
        author=author,
    )


async def _accounts(db: AsyncDatabase[Any], ids: list[str]) -> dict[str, Account]:
    found = db.accounts.find({"_id": {"$in": list(set(ids))}})
    return {doc["_id"]: _account(doc) async for doc in found}


class FloorGraphQL(GraphQL[dict[str, Any], None]):
    """Strawberry's ASGI app; its context is the database and the caller the header names."""

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        # Strawberry's documented caches: a user who cares about speed turns them on, and the
        # floor is what such a user would get without the gateway.
        schema = strawberry.Schema(query=Query, extensions=[ParserCache, ValidationCache])
        super().__init__(schema, graphql_ide=None)
        self.db = db

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return {"db": self.db, "principal": request.headers.get(FLOOR_PRINCIPAL_HEADER)}


def create_app(db: AsyncDatabase[Any]) -> Starlette:
    return Starlette(routes=[Route("/graphql", FloorGraphQL(db))])


async def serve(uri: str, database: str, host: str, port: int) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    try:
        config = uvicorn.Config(
            create_app(client[database]),
            host=host,
            port=port,
            access_log=False,
            log_level="warning",
        )
        await uvicorn.Server(config).serve()
    finally:
        await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uri", required=True, help="MongoDB URI of the database to read")
    parser.add_argument("--database", default="imoox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    arguments = parser.parse_args()
    uvloop.run(serve(arguments.uri, arguments.database, arguments.host, arguments.port))
