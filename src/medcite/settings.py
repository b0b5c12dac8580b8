"""One Settings object, built once (from defaults, a preset and MEDCITE_* variables) and passed down.

Nothing else in medcite reads the environment. Nested groups are set with a double underscore,
e.g. ``MEDCITE_INGEST__BATCH_SIZE=1000``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseModel):
    """How sources are read and split into passages."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Records written per transaction (and per checkpoint).",
    )
    passage_chars: int = Field(
        default=1200, ge=200, le=20_000, description="Target maximum passage length in characters."
    )
    max_file_bytes: int = Field(
        default=2_000_000_000, ge=1, description="Files larger than this are refused."
    )
    workers: int = Field(
        default=1, ge=0, le=1,
        description="1: parse PubMed files in a separate process while writing; 0: in-process.",
    )
    max_record_chars: int = Field(
        default=500_000, ge=1000, description="Records with more text than this are rejected."
    )


class Settings(BaseSettings):
    """All of medcite's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="MEDCITE_", env_nested_delimiter="__", extra="forbid"
    )

    home: Path = Field(
        default=Path("medcite-data"), description="Data directory (store, caches). MEDCITE_HOME."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default: a SQLite file in the data directory.",
    )
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Ingestion.")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value

    @property
    def store_url(self) -> str:
        """The store's URL, defaulting to ``<home>/medcite.db``."""
        return self.database_url or f"sqlite:///{(self.home / 'medcite.db').as_posix()}"

    @property
    def digest(self) -> str:
        """Short hash of the settings, recorded with everything they produce."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


def get_settings(settings: Settings | None = None) -> Settings:
    """The given settings, or fresh ones from the environment."""
    return settings if settings is not None else Settings()
