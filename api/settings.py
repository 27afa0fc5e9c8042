"""Settings from the environment, prefixed ``MAASMIX_`` (pydantic-settings): the one place
that reads the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from maasmix.feeds.cache import default_cache_dir


class Settings(BaseSettings):
    """Process-wide settings.

    ``MAASMIX_DATA``: the folder whose files HTTP clients may name (default
    ``../shared/data``). ``MAASMIX_CACHE_DIR``: where compiled inputs are cached.
    ``MAASMIX_REMOTE_SOURCES``: hosts whose http(s) URLs HTTP clients may ask the server
    to fetch, as a JSON list (default ``[]``: the server fetches no client-named URL).
    """

    model_config = SettingsConfigDict(env_prefix="MAASMIX_")

    data: Path = Path("../shared/data")
    cache_dir: Path = Field(default_factory=default_cache_dir)
    remote_sources: list[str] = Field(default_factory=list)


def get_settings() -> Settings:
    """The settings, read from the current environment."""
    return Settings()
