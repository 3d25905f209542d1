"""Settings from the environment (pydantic-settings); built once in create_app and passed down.

Every value is checked when the settings are built, so a bad one stops the
server at start-up with a message naming the variable.
"""

import base64
import binascii
from functools import lru_cache
from typing import Literal

import limits
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/articles.db"
WEBHOOK_SECRET_PREFIX = "whsec_"
MIN_WEBHOOK_SECRET_BYTES = 16
MAX_DELIVERY_CONCURRENCY = 64  # requests one delivery worker has in flight


class Settings(BaseSettings):
    # hide_input_in_errors: a refused value (a secret, a URL with a password) is never echoed.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=True, hide_input_in_errors=True
    )

    DATABASE_URL: str = DEFAULT_DATABASE_URL
    # Connections an API process keeps open. Requests past it get connections that are
    # closed after one use: on PostgreSQL, 8 concurrent readers with 5 kept opened
    # 163 connections per 1,000 requests and served 30 % fewer.
    DATABASE_POOL_SIZE: int = Field(default=10, ge=1, le=1000)
    MAX_BODY_BYTES: int = Field(default=5 * 1024 * 1024, gt=0)
    MAX_METADATA_BYTES: int = Field(default=16 * 1024, gt=0)
    MAX_JSON_DEPTH: int = Field(default=32, ge=2, le=200)
    MAX_HTML_DEPTH: int = Field(default=256, ge=8, le=900)
    MAX_BLOCKS: int = Field(default=50_000, gt=0)
    # Markdown's parser (markdown-it) spends 5–10 µs a byte on hostile input: 5 MB of
    # nested brackets or one-line paragraphs held a worker 23–49 s. Articles are far
    # smaller (the corpus's largest is 13 KB); HTML and text take the whole body limit.
    MAX_MARKDOWN_BYTES: int = Field(default=512 * 1024, gt=0)
    BODY_READ_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    WEBHOOK_SECRETS: str = ""
    WEBHOOK_TOLERANCE_SECONDS: int = Field(default=300, gt=0, le=86400)
    RECEIPT_RETENTION_HOURS: int = Field(default=72, gt=0)
    HOUSEKEEPING_INTERVAL_SECONDS: int = Field(default=3600, gt=0)
    WEB_CONCURRENCY: int = Field(default=1, gt=0)
    AUTH_REQUIRED_FOR_WRITES: bool = False
    AUTH_REQUIRED_FOR_READS: bool = False
    RATE_LIMIT: str = "600/minute"
    RATE_LIMIT_ANONYMOUS: str = "120/minute"
    RATE_LIMIT_STORAGE_URI: str = "memory://"
    CORS_ORIGINS: str = ""
    LOG_FORMAT: Literal["json", "text"] = "json"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Outbound notifications. The delivery worker runs inside the API process when
    # DELIVERY_WORKER is "inline" ("auto": inline on SQLite only); on PostgreSQL run
    # `python -m app worker` processes instead.
    DELIVERY_WORKER: Literal["auto", "inline", "off"] = "auto"
    DELIVERY_RETRY_SECONDS: str = "5,30,120,600,3600"  # waits after each failure; then dead
    DELIVERY_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=300)
    DELIVERY_LEASE_SECONDS: float = Field(default=60.0, gt=0)
    DELIVERY_CONCURRENCY: int = Field(default=4, ge=1, le=MAX_DELIVERY_CONCURRENCY)
    DELIVERY_POLL_SECONDS: float = Field(default=1.0, gt=0)
    DELIVERY_PAUSE_AFTER_SECONDS: int = Field(default=86400, gt=0)
    DELIVERY_RETENTION_DAYS: int = Field(default=30, gt=0)
    SECRET_ROTATION_GRACE_HOURS: float = Field(default=24.0, ge=0)
    BLOCK_PRIVATE_TARGETS: bool = False

    @field_validator("DATABASE_URL")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://"):
            # psycopg 3 is the installed driver; spare users the '+psycopg' spelling.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("WEBHOOK_SECRETS")
    @classmethod
    def _valid_secrets(cls, value: str) -> str:
        for n, secret in enumerate(_split(value), 1):
            _check_secret(n, secret)
        return value

    @field_validator("RATE_LIMIT", "RATE_LIMIT_ANONYMOUS")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        if value.strip():
            try:
                limits.parse(value)
            except ValueError:
                raise ValueError(
                    "must look like '600/minute' or '10/second;1000/hour' (empty: no limit)"
                ) from None
        return value.strip()

    @field_validator("DELIVERY_RETRY_SECONDS")
    @classmethod
    def _valid_retries(cls, value: str) -> str:
        try:
            waits = [float(s) for s in _split(value)]
        except ValueError:
            raise ValueError("must be seconds separated by commas, like '5,30,600'") from None
        if any(not 0 <= w <= 7 * 86400 for w in waits):
            raise ValueError("each wait must be between 0 and 604800 seconds (a week)")
        return value

    @model_validator(mode="after")
    def _lease_outlasts_timeout(self) -> "Settings":
        if self.DELIVERY_LEASE_SECONDS <= self.DELIVERY_TIMEOUT_SECONDS:
            raise ValueError(
                "DELIVERY_LEASE_SECONDS must be longer than DELIVERY_TIMEOUT_SECONDS: a "
                "claim must outlast the request it covers"
            )
        return self

    @property
    def delivery_retry_seconds(self) -> tuple[float, ...]:
        return tuple(float(s) for s in _split(self.DELIVERY_RETRY_SECONDS))

    @property
    def webhook_secrets(self) -> list[str]:
        return _split(self.WEBHOOK_SECRETS)

    @property
    def cors_origins(self) -> list[str]:
        return _split(self.CORS_ORIGINS)


def _split(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


def _check_secret(n: int, secret: str) -> None:
    """A Standard Webhooks secret: 'whsec_' and base64 of at least 16 random bytes."""
    where = f"entry {n} of the comma-separated list"
    if not secret.startswith(WEBHOOK_SECRET_PREFIX):
        raise ValueError(f"{where} does not start with '{WEBHOOK_SECRET_PREFIX}'")
    encoded = secret.removeprefix(WEBHOOK_SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{where} is not base64 after '{WEBHOOK_SECRET_PREFIX}'") from None
    if len(key) < MIN_WEBHOOK_SECRET_BYTES:
        raise ValueError(
            f"{where} holds {len(key)} bytes; use at least {MIN_WEBHOOK_SECRET_BYTES} "
            "random bytes (the README shows how to make one)"
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
