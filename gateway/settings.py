"""Configuration from the environment (12-factor), validated once at start-up."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schema.protections.persisted import PersistedOnly


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    """`auto`: readable lines for a person when stderr is a terminal, JSON lines otherwise."""

    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class Settings(BaseSettings):
    """Every knob of the gateway; each reads `IMOOX_<NAME>` (and `MONGODB_URI` for the URI)."""

    model_config = SettingsConfigDict(env_prefix="IMOOX_", extra="ignore", frozen=True)

    env: Environment = Environment.DEVELOPMENT
    mongodb_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("MONGODB_URI", "IMOOX_MONGODB_URI")
    )
    database: str = "imoox"
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # Worker processes sharing the port and the database (`serve --workers`).
    workers: int = Field(default=1, ge=1, le=64)

    jwt_issuer: str = "imoox-gateway"
    jwt_audience: str = "imoox-api"
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    # Verifying keys: a JWKS file or URL from an identity provider; development falls back to
    # the key pair kept under the data dir.
    jwks_file: Path | None = None
    jwks_url: str | None = None
    # The key `signIn` signs access tokens with (Ed25519 or P-256 PEM); development falls back
    # to the development key pair. Without one in production, only the identity provider signs.
    signing_key_file: Path | None = None
    # The secret list cursors are sealed with (32+ characters, the same on every replica);
    # unset, it is derived from the signing key (production without one must set it).
    cursor_secret: SecretStr | None = Field(default=None, min_length=32)
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)
    # The header a trusted reverse proxy sets to the client's address (`X-Forwarded-For`);
    # unset, the connection's peer address is used, and no header can claim another one.
    trusted_proxy_header: str | None = None

    # Hardening (defaults are safe; see README "Hardening").
    max_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=2_000, ge=10)
    max_directives: int = Field(default=20, ge=0)
    max_cost: int = Field(default=800_000, ge=1)
    max_selections: int = Field(default=5_000, ge=1)
    max_operations: int = Field(default=5, ge=1, description="operations per batched request")
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    execution_timeout_seconds: float = Field(default=10.0, gt=0)
    cors_origins: list[str] = []
    rate_per_principal_per_minute: int = Field(default=600, ge=1)
    rate_per_address_per_minute: int = Field(default=1_200, ge=1)
    sign_in_rate_per_address_per_minute: int = Field(default=20, ge=1)
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_base_seconds: int = Field(default=60, ge=1)
    lockout_longest_seconds: int = Field(default=900, ge=1)
    persisted_queries_file: Path | None = None
    # Whose operations must be registered documents: off, first-party (IMOOX's own apps'
    # callers; partners, processors and authorities send their own) or all.
    persisted_queries_only: PersistedOnly = PersistedOnly.OFF
    # Replicas (issue 13): requests a process admits per rate-limited key before it must
    # have sent their count to the database (README "Several replicas").
    rate_batch: int = Field(default=16, ge=1)

    # Faults (see README "Outages"): how long one database operation may take before the
    # request fails with `UNAVAILABLE` (a dead, restarting or stalled database); the longest
    # wait between restarts of a dead embedded database; how long SIGTERM lets in-flight
    # requests finish before they are cancelled.
    database_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    database_restart_max_backoff_seconds: float = Field(default=30.0, gt=0)
    shutdown_grace_seconds: int = Field(default=20, ge=0)

    # Public pages (issue 14): the site's own address in canonical and sitemap URLs (unset:
    # the request's, fine behind a proxy that sets `Host`), and the first day a sitemap lists.
    public_base_url: str | None = None
    sitemap_since: date = date(2026, 1, 1)
    # Identity provider (docs/identity.md): how long keys fetched from `jwks_url` are trusted,
    # the least time between two fetches (a token naming an unknown `kid` asks for one), and
    # how long one fetch may take.
    jwks_lifespan_seconds: float = Field(default=300.0, gt=0, le=86_400)
    jwks_refetch_seconds: float = Field(default=30.0, gt=0, le=3_600)
    jwks_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # OpenTelemetry traces (`pip install '.[otel]'`): spans per operation and resolver, sent
    # where the standard OTEL_* variables say (OTLP over HTTP by default).
    otel: bool = False
    # Log lines (README "Logs"): JSON, or coloured lines for a person (`NO_COLOR` respected).
    log_format: LogFormat = LogFormat.AUTO
    # One line for each request answered (uvicorn's access line, in `log_format`); off where a
    # proxy in front already logs every request: a line costs about 55 µs of CPU a request.
    access_log: bool = True

    @field_validator("persisted_queries_only", mode="before")
    @classmethod
    def _persisted_only_as_before(cls, value: object) -> object:
        """`true` and `false`, the setting's values before issue 14, still mean all and off."""
        if isinstance(value, bool):
            return PersistedOnly.ALL if value else PersistedOnly.OFF
        if isinstance(value, str) and value.lower() in _BOOLEAN_WORDS:
            return _BOOLEAN_WORDS[value.lower()]
        return value

    @property
    def production(self) -> bool:
        return self.env == Environment.PRODUCTION

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"


#: Pydantic's words for a boolean (which `persisted_queries_only` was), and what each means now.
_BOOLEAN_WORDS = {
    **dict.fromkeys(("true", "1", "yes", "on", "t", "y"), PersistedOnly.ALL),
    **dict.fromkeys(("false", "0", "no", "f", "n"), PersistedOnly.OFF),
}
