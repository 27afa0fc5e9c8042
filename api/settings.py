"""Settings from the environment, prefixed ``MAASMIX_`` (pydantic-settings): the one place
that reads the environment."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from maasmix.feeds import limits as feed_limits
from maasmix.feeds._http import FetchPolicy
from maasmix.feeds.cache import default_cache_dir
from maasmix.feeds.limits import FeedLimits
from maasmix.pricing.scenario import limits as scenario_limits
from maasmix.pricing.scenario.limits import ScenarioLimits


class Settings(BaseSettings):
    """Process-wide settings.

    ``MAASMIX_DATA``: the folder whose files HTTP clients may name (default
    ``../shared/data``). ``MAASMIX_CACHE_DIR``: where compiled inputs are cached
    (default: the platform's cache folder, ``$XDG_CACHE_HOME/maasmix`` or
    ``~/.cache/maasmix``). ``MAASMIX_REMOTE_SOURCES``: hosts whose http(s) URLs HTTP
    clients may ask the server to fetch, as a JSON list (default ``[]``: the server
    fetches no client-named URL). ``MAASMIX_ROUTERS_IN_MEMORY``: compiled routers the
    server keeps in memory (default 8). ``MAASMIX_DASK_ADDRESS``: the Dask scheduler that
    plans trip diaries (e.g. ``tcp://10.0.0.5:8786``; default: none, a local cluster).

    ``MAASMIX_FEED_LIMITS__<FIELD>`` overrides one of the bounds on reading inputs
    (`maasmix.feeds.limits.FeedLimits`, e.g. ``MAASMIX_FEED_LIMITS__MAX_MEMBER_BYTES``
    for giant feeds), ``MAASMIX_SCENARIO_LIMITS__<FIELD>`` one of the bounds on a pricing
    scenario's size (`maasmix.pricing.scenario.limits.ScenarioLimits`); `apply_settings` puts them
    in force for the process (the CLI and the app do so at start-up).
    """

    model_config = SettingsConfigDict(env_prefix="MAASMIX_", env_nested_delimiter="__")

    data: Path = Path("../shared/data")
    cache_dir: Path = Field(default_factory=default_cache_dir)
    remote_sources: list[str] = Field(default_factory=list)
    routers_in_memory: int = Field(default=8, ge=0, le=1024)
    dask_address: str | None = None
    feed_limits: FeedLimits = Field(default_factory=FeedLimits)
    scenario_limits: ScenarioLimits = Field(default_factory=ScenarioLimits)

    def fetch_policy(self) -> FetchPolicy:
        """How the server fetches for clients: only ``remote_sources``, never internal."""
        return FetchPolicy.allow_only(self.remote_sources)


def _environment() -> tuple[tuple[str, str], ...]:
    """The variables the settings read: ``MAASMIX_*`` (any case) and those of the cache
    folder's default (``XDG_CACHE_HOME``, ``HOME``)."""
    return tuple(
        sorted(
            (k, v)
            for k, v in os.environ.items()
            if k.upper().startswith("MAASMIX_") or k in ("XDG_CACHE_HOME", "HOME")
        )
    )


@functools.lru_cache(maxsize=8)
def _settings_of(environment: tuple[tuple[str, str], ...]) -> Settings:
    return Settings()


def get_settings() -> Settings:
    """The settings, read from the current environment (parsed once per distinct set of
    the variables they read, not on every request: about 1 ms saved per request; do not
    change the object returned)."""
    return _settings_of(_environment())


def apply_settings(settings: Settings | None = None) -> Settings:
    """Put the settings' limits in force for this process; returns the settings."""
    settings = settings or get_settings()
    feed_limits.configure(settings.feed_limits)
    scenario_limits.configure(settings.scenario_limits)
    return settings
