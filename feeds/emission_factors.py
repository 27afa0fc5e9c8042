"""Emission factors (g CO2e per passenger-km) read from YAML: the packaged defaults or a file.

The defaults are ``maasmix/emission_factors.yaml`` (UK DESNZ greenhouse gas conversion
factors 2025, with the source, year and row of every factor written in the file). A
user file of the same shape overrides rows with the same ``(mode, propulsion)`` and
adds new ones. The computation per leg is `maasmix.engine.emissions`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from maasmix.errors import InputError
from maasmix.feeds.bounds import bounded_yaml
from maasmix.feeds.gtfs._read import usable_path

__all__ = ["DEFAULT_FACTORS_FILE", "EmissionFactors", "load_emission_factors"]

DEFAULT_FACTORS_FILE = "emission_factors.yaml"
"""Name of the packaged defaults inside the ``maasmix`` package."""


@dataclass(frozen=True)
class EmissionFactors:
    """``factors[(mode, propulsion)]`` = grams CO2e per passenger-km.

    ``propulsion`` ``"any"`` is the factor used when a leg's propulsion has no row of
    its own. ``basis`` names the source row of each factor; ``sources`` the files'
    ``source`` and ``year`` entries, defaults first.
    """

    factors: dict[tuple[str, str], float]
    basis: dict[tuple[str, str], str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()


def _parse(
    data: Any, file: str
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], str], str]:
    if not isinstance(data, dict) or not isinstance(data.get("factors"), list):
        raise InputError("expected a mapping with a 'factors' list", file=file, field="factors")
    factors: dict[tuple[str, str], float] = {}
    basis: dict[tuple[str, str], str] = {}
    for i, row in enumerate(data["factors"]):
        where = f"factors[{i}]"
        if not isinstance(row, dict):
            raise InputError("expected a mapping", file=file, row=i, field=where)
        mode, propulsion = row.get("mode"), row.get("propulsion", "any")
        if not isinstance(mode, str) or not mode:
            raise InputError(
                "mode must be a non-empty string", file=file, row=i, field=f"{where}.mode"
            )
        if not isinstance(propulsion, str) or not propulsion:
            raise InputError(
                "propulsion must be a non-empty string",
                file=file,
                row=i,
                field=f"{where}.propulsion",
            )
        value = row.get("g_per_pkm")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise InputError(
                f"g_per_pkm must be a number >= 0, got {value!r}",
                file=file,
                row=i,
                field=f"{where}.g_per_pkm",
            )
        key = (mode.lower(), propulsion.lower())
        factors[key] = float(value)
        basis[key] = str(row.get("basis", ""))
    source = f"{data.get('source', file)} ({data.get('year', 'year not given')})"
    return factors, basis, source


#: Largest emission factors file read, bytes (the shipped one is some 10 KiB).
MAX_FACTORS_BYTES = 1 << 20


def _read_text(path: Path) -> str:
    """The file's text: at most `MAX_FACTORS_BYTES`, UTF-8 (errors name the file)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FACTORS_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=str(path)) from None
    if len(data) > MAX_FACTORS_BYTES:
        raise InputError(
            f"larger than {MAX_FACTORS_BYTES} bytes (MAX_FACTORS_BYTES)", file=str(path)
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=str(path)
        ) from None


def _read_yaml(text: str, file: str) -> Any:
    """The data of a factors file, bounded like every user YAML (`feeds.bounds`)."""
    data, _root = bounded_yaml(text, file=file, error=_input_error)
    return data


def _input_error(message: str, file: str | None, row: int | None) -> InputError:
    return InputError(message, file=file, row=row)


def load_emission_factors(path: str | os.PathLike[str] | None = None) -> EmissionFactors:
    """The packaged defaults, overridden by the YAML file ``path`` when given.

    Raises
    ------
    InputError
        The file is missing, not YAML, or a row is malformed (file, row and field named).
    """
    text = resources.files("maasmix").joinpath(DEFAULT_FACTORS_FILE).read_text(encoding="utf-8")
    factors, basis, source = _parse(_read_yaml(text, DEFAULT_FACTORS_FILE), DEFAULT_FACTORS_FILE)
    sources = [source]
    if path is not None:
        p = usable_path(path)  # a NUL or an over-long name: FeedMissingError (an InputError)
        if not p.is_file():
            raise InputError("emission factors file not found", file=str(p))
        more, more_basis, more_source = _parse(_read_yaml(_read_text(p), str(p)), str(p))
        factors.update(more)
        basis.update(more_basis)
        sources.append(more_source)
    return EmissionFactors(factors=factors, basis=basis, sources=tuple(sources))
