"""The ASGI application: routes, and a lifespan that owns the one MongoDB client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import AsyncMongoClient
from pymongo.monitoring import _EventListener
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authz.keys import KeySet, RemoteKeySet, development_keys
from authz.tokens import TokenVerifier
from gateway.graphql import GatewayGraphQL, GraphQLEndpoint
from gateway.health import healthz, readyz
from gateway.settings import Settings
from resolvers.collections import ensure_schema
from schema import build_schema


class ConfigurationError(RuntimeError):
    """The settings cannot make a working gateway; the message says what to set."""


def create_app(settings: Settings, *, event_listeners: Sequence[_EventListener] = ()) -> Starlette:
    """The gateway; `event_listeners` go to the MongoDB client (metrics, tests counting queries)."""
    if not settings.mongodb_uri:
        raise ConfigurationError("No database: set MONGODB_URI, or start through `serve`.")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            settings.mongodb_uri,
            tz_aware=True,
            serverSelectionTimeoutMS=5000,
            event_listeners=list(event_listeners),
        )
        app.state.db = client[settings.database]
        try:
            await ensure_schema(app.state.db)
            yield
        finally:
            await client.close()

    graphql = GatewayGraphQL(
        build_schema(), graphql_ide=None if settings.production else "graphiql"
    )
    return Starlette(
        routes=[
            Route("/graphql", GraphQLEndpoint(graphql, token_verifier(settings))),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        lifespan=lifespan,
    )


def token_verifier(settings: Settings) -> TokenVerifier:
    """Verify with the configured JWKS; development alone falls back to its own key pair."""
    if settings.jwks_url:
        keys: KeySet = RemoteKeySet(settings.jwks_url)
    elif settings.jwks_file:
        keys = KeySet.from_file(settings.jwks_file)
    elif settings.production:
        raise ConfigurationError("Production needs IMOOX_JWKS_FILE or IMOOX_JWKS_URL.")
    else:
        keys = KeySet(development_keys(settings.keys_dir)[1])
    return TokenVerifier(
        keys, settings.jwt_issuer, settings.jwt_audience, settings.jwt_leeway_seconds
    )


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
