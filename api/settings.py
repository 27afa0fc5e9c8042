"""Settings from the environment, prefixed ``MAASMIX_`` (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings.

    ``MAASMIX_DATA``: folder of real datasets (default ``../shared/data``).
    ``MAASMIX_CACHE_DIR``: where compiled inputs are cached (default ``~/.cache/maasmix``).
    """

    model_config = SettingsConfigDict(env_prefix="MAASMIX_")

    data: Path = Path("../shared/data")
    cache_dir: Path = Path.home() / ".cache" / "maasmix"


def get_settings() -> Settings:
    """Read the settings from the current environment."""
    return Settings()
