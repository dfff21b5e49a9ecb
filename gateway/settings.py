"""Configuration from the environment (12-factor), validated once at start-up."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


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
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)
    # The header a trusted reverse proxy sets to the client's address (`X-Forwarded-For`);
    # unset, the connection's peer address is used, and no header can claim another one.
    trusted_proxy_header: str | None = None

    @property
    def production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"
