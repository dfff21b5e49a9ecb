"""The ASGI application: routes, and a lifespan that owns the one MongoDB client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, ExecutionTimeout
from pymongo.monitoring import _EventListener
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from authz.keys import (
    KeySet,
    RemoteKeySet,
    SigningKey,
    development_keys,
    key_material,
    load_signing_key,
    without_secrets,
)
from authz.tokens import TokenIssuer, TokenVerifier
from gateway.auth import Authenticator
from gateway.errors import ConfigurationError
from gateway.export import ExportEndpoint
from gateway.graphql import GatewayGraphQL, GraphQLEndpoint, Throttles
from gateway.health import healthz, readyz, unavailable
from gateway.ide import ide_assets
from gateway.metrics import CountRequests, metrics
from gateway.middleware import Edge
from gateway.pages import page_routes
from gateway.pages.operations import load_operations
from gateway.pages.public import PublicPages
from gateway.recovery import Reconnects
from gateway.settings import Settings
from gateway.telemetry import tracing_configured
from resolvers import jobs
from resolvers.background import closed
from resolvers.collections import ensure_schema
from resolvers.content import detach_comments
from resolvers.disclosures import DisclosureWriter, group_stored_records
from resolvers.pagination import CursorSeal
from resolvers.rate_counts import RateCounts
from resolvers.token_standing import TokenStanding
from schema import build_schema
from schema.enforcement.context import SessionPolicy
from schema.protections.limits import Limits
from schema.protections.persisted import QueryRegistry
from schema.protections.throttle import RateLimiter
from schema.rights import EXPORT_PATH


def create_app(settings: Settings, *, event_listeners: Sequence[_EventListener] = ()) -> Starlette:
    """The gateway; `event_listeners` go to the MongoDB client (metrics, tests counting queries)."""
    if not settings.mongodb_uri:
        raise ConfigurationError("No database: set MONGODB_URI, or start through `serve`.")
    uri = settings.mongodb_uri

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        reconnects = Reconnects()
        # Every operation, server selection included, ends within the bound: a dead or
        # stalled database fails a request with UNAVAILABLE instead of holding it.
        bound_ms = int(settings.database_timeout_seconds * 1000)
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            uri,
            tz_aware=True,
            timeoutMS=bound_ms,
            serverSelectionTimeoutMS=bound_ms,
            event_listeners=[*event_listeners, standing.local_writes, reconnects],
        )
        app.state.db = client[settings.database]
        app.state.disclosure_writer = DisclosureWriter(app.state.db)
        try:
            await prepare(app.state.db)
            async with (
                standing.following(uri, settings.database),
                rate_counts.flushing(uri, settings.database),
                jobs.resuming(uri, settings.database),
                reconnects.preparing_again(partial(prepare, app.state.db)),
            ):
                yield
                # Shutting down: in-flight requests have ended (the server waited for them);
                # records still being inserted are in before the client closes.
                await app.state.disclosure_writer.flush()
        finally:
            await closed(client)

    verifier, issuer = token_keys(settings)
    standing = TokenStanding()
    rate_counts = RateCounts(batch=settings.rate_batch)
    authenticator = Authenticator(verifier, standing, settings.trusted_proxy_header)
    sessions = SessionPolicy(
        issuer=issuer,
        cursors=cursor_seal(settings),
        access_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        refresh_ttl=timedelta(days=settings.refresh_token_ttl_days),
        sign_in_limiter=RateLimiter(
            rate_counts, "sign-in", settings.sign_in_rate_per_address_per_minute
        ),
        lockout_threshold=settings.lockout_threshold,
        lockout_base=timedelta(seconds=settings.lockout_base_seconds),
        lockout_longest=timedelta(seconds=settings.lockout_longest_seconds),
    )
    operations = load_operations()
    schema = build_schema(
        Limits(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_directives=settings.max_directives,
            max_cost=settings.max_cost,
            max_selections=settings.max_selections,
            max_operations=settings.max_operations,
        ),
        production=settings.production,
        # The pages' own operations are trusted documents beside the configured ones.
        persisted=operations.trusted(
            QueryRegistry.from_file(settings.persisted_queries_file)
            if settings.persisted_queries_file
            else None
        ),
        persisted_only=settings.persisted_queries_only,
        tracing=settings.otel and tracing_configured(),
    )
    graphql = GatewayGraphQL(
        schema,
        sessions,
        timeout=settings.execution_timeout_seconds,
        graphql_ide=None if settings.production else "graphiql",
    )
    throttles = Throttles(
        per_principal=RateLimiter(rate_counts, "principal", settings.rate_per_principal_per_minute),
        per_address=RateLimiter(rate_counts, "address", settings.rate_per_address_per_minute),
    )
    public = PublicPages(
        schema,
        authenticator,
        throttles,
        operations,
        base_url=settings.public_base_url,
        sitemap_since=settings.sitemap_since,
    )
    return Starlette(
        routes=[
            Route("/graphql", GraphQLEndpoint(graphql, authenticator, throttles)),
            *public.routes(),
            Route(EXPORT_PATH, ExportEndpoint(authenticator, sessions), methods=["GET"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            *page_routes(operations),
            *([] if settings.production else [ide_assets()]),
        ],
        middleware=[
            Middleware(CountRequests),
            Middleware(
                Edge,
                production=settings.production,
                max_bytes=settings.max_body_bytes,
                cors_origins=settings.cors_origins,
            ),
        ],
        exception_handlers={ConnectionFailure: unavailable, ExecutionTimeout: unavailable},
        lifespan=lifespan,
    )


async def prepare(db: AsyncDatabase[Any]) -> None:
    """What a database needs before requests, at start-up and again after an outage: indexes
    (idempotent), stored data in today's shapes, and every job a crash interrupted finished."""
    await ensure_schema(db)
    await detach_comments(db)
    await group_stored_records(db)
    await jobs.resume(db)


def token_keys(settings: Settings) -> tuple[TokenVerifier, TokenIssuer | None]:
    """The verifier (the configured JWKS plus the gateway's own key) and sign-in's issuer.

    With no keys configured at all, development falls back to its own key pair under the data
    dir; with an identity provider's JWKS, only that provider's keys (and a configured signing
    key) are trusted.
    """
    external = settings.jwks_url or settings.jwks_file
    signing = None
    if settings.signing_key_file:
        signing = _signing_key(settings.signing_key_file)
    elif not settings.production and not external:
        signing = development_keys(settings.keys_dir)
    if settings.jwks_url:
        if not _is_http_url(settings.jwks_url):
            raise ConfigurationError(
                f"IMOOX_JWKS_URL {without_secrets(settings.jwks_url)} is not an http(s) URL:"
                " set it to the identity provider's JWKS endpoint (docs/identity.md)."
            )
        keys: KeySet = RemoteKeySet(
            settings.jwks_url,
            lifespan=settings.jwks_lifespan_seconds,
            refetch_interval=settings.jwks_refetch_seconds,
            timeout=settings.jwks_timeout_seconds,
        )
    elif settings.jwks_file:
        keys = _jwks_file(settings.jwks_file)
    elif signing is None:
        raise ConfigurationError(
            "Production needs IMOOX_JWKS_FILE, IMOOX_JWKS_URL or IMOOX_SIGNING_KEY_FILE"
            " (docs/identity.md)."
        )
    else:
        keys = KeySet({"keys": []})
    issuer = None
    if signing is not None:
        keys.add(signing[1])
        issuer = TokenIssuer(signing[0], settings.jwt_issuer, settings.jwt_audience)
    verifier = TokenVerifier(
        keys, settings.jwt_issuer, settings.jwt_audience, settings.jwt_leeway_seconds
    )
    return verifier, issuer


def cursor_seal(settings: Settings) -> CursorSeal:
    """The cursor key, alike on every replica: derived from `IMOOX_CURSOR_SECRET`, else from
    the signing key (configured, or the development key pair)."""
    if settings.cursor_secret is not None:
        return CursorSeal(settings.cursor_secret.get_secret_value().encode())
    if settings.signing_key_file:
        signing, _ = _signing_key(settings.signing_key_file)
    elif not settings.production:
        signing, _ = development_keys(settings.keys_dir)
    else:
        raise ConfigurationError(
            "Production needs IMOOX_CURSOR_SECRET or IMOOX_SIGNING_KEY_FILE to seal cursors."
        )
    return CursorSeal(key_material(signing))


def check_configuration(settings: Settings) -> None:
    """Refuse now what `create_app` would refuse, before a database is started for nothing;
    and production without its public address, which pages would otherwise take from each
    request's `Host`."""
    token_keys(settings)
    cursor_seal(settings)
    if settings.production and settings.public_base_url is None:
        raise ConfigurationError(
            "Production needs IMOOX_PUBLIC_BASE_URL (e.g. https://imoox.example): public pages"
            " and sitemaps must not name whatever Host a client sends."
        )


def _signing_key(path: Path) -> tuple[SigningKey, dict[str, Any]]:
    try:
        return load_signing_key(path)
    except (OSError, ValueError, TypeError) as error:
        raise ConfigurationError(
            f"IMOOX_SIGNING_KEY_FILE {path} cannot be used: {_why(error)}. It must be an"
            " unencrypted Ed25519 or P-256 private key in PEM (docs/identity.md)."
        ) from None


def _jwks_file(path: Path) -> KeySet:
    try:
        keys = KeySet.from_file(path)
    except (OSError, ValueError) as error:
        raise ConfigurationError(
            f"IMOOX_JWKS_FILE {path} cannot be used: {_why(error)}. It must be the identity"
            " provider's JWKS, a JSON object with a `keys` list (docs/identity.md)."
        ) from None
    if not len(keys):
        raise ConfigurationError(
            f"IMOOX_JWKS_FILE {path} holds no EdDSA or ES256 signing key with a `kid`"
            " (docs/identity.md)."
        )
    return keys


def _why(error: Exception) -> str:
    """The reason an error gives, in one line (an OSError's without its errno and path)."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return " ".join(reason.split()).rstrip(".")


def _is_http_url(url: str) -> bool:
    try:
        return httpx.URL(url).scheme in ("http", "https")
    except httpx.InvalidURL:
        return False
