"""Settings from the environment (pydantic-settings); built once in create_app and passed down."""

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/articles.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    DATABASE_URL: str = DEFAULT_DATABASE_URL
    MAX_BODY_BYTES: int = Field(default=5 * 1024 * 1024, gt=0)
    MAX_METADATA_BYTES: int = Field(default=16 * 1024, gt=0)
    WEBHOOK_SECRETS: str = ""
    WEBHOOK_TOLERANCE_SECONDS: int = Field(default=300, gt=0, le=86400)
    RECEIPT_RETENTION_HOURS: int = Field(default=72, gt=0)
    WEB_CONCURRENCY: int = Field(default=1, gt=0)

    @field_validator("DATABASE_URL")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://"):
            # psycopg 3 is the installed driver; spare users the '+psycopg' spelling.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def webhook_secrets(self) -> list[str]:
        return [s.strip() for s in self.WEBHOOK_SECRETS.split(",") if s.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
