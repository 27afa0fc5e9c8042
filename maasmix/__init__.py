"""maasmix: a Mobility-as-a-Service engine.

One import namespace over four layers, whose folders sit at the repository's top level
and are mapped in by the distribution (``package-dir`` in ``pyproject.toml``):

- `maasmix.feeds` reads the outside world (GTFS, GBFS, OSM, the disk cache);
- `maasmix.engine` computes on arrays (timetables, RAPTOR, journeys), no I/O;
- `maasmix.pricing` designs subscription bundles;
- `maasmix.api` wires them to people and programs (CLI, HTTP).

The modules of this root package are the shared primitives every layer may import:
`maasmix.errors`, `maasmix.geodesy`, `maasmix.money`, `maasmix.servicetime` and
`maasmix.defaults`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("maasmix")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
