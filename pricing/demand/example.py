"""The shipped diary example runs as shipped: its input files are built when missing.

``pricing/examples/demo_diary.yaml`` names the demo city's GTFS, OSM and GBFS files and its
synthetic trip diary, relative to the scenario, as ``maasmix demo`` writes them beside a
copy of it. Run from the package instead (``maasmix bundles optimise
pricing/examples/demo_diary.yaml``), those files are not there: `example_inputs` then
builds them (`maasmix.feeds.demo`, seed 7, as ``maasmix demo``) once into the cache
folder, ``<cache>/demo-diary/<key>/``, beside a copy of the scenario, and returns that
copy, so the derived demand is stored there too and the package folder is never written.
The key follows the example's text and the code that writes the files
(`maasmix.feeds.cache.code_version`). Any other scenario is returned as it is.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from maasmix.feeds.cache import code_version, default_cache_dir
from maasmix.feeds.demo import write_demo_city, write_demo_diary

#: The shipped example whose inputs are built when missing.
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "demo_diary.yaml"
#: The files it names beside it (as ``maasmix demo`` writes them).
FILES = ("demo_city_gtfs.zip", "demo_city.osm.pbf", "gbfs", "demo_diary.csv")
SEED = 7


def example_inputs(scenario: str | os.PathLike[str], cache_dir: str | None = None) -> Path:
    """``scenario``'s path, or, for the shipped diary example whose files are missing
    beside it, a copy of it in the cache folder with the demo files built beside it."""
    path = Path(scenario).resolve()
    if path != EXAMPLE or all((path.parent / name).exists() for name in FILES):
        return path
    text = EXAMPLE.read_bytes()
    key = hashlib.sha256(text + b"\0" + code_version().encode()).hexdigest()[:16]
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    folder = root / "demo-diary" / key
    copy = folder / EXAMPLE.name
    if copy.is_file():
        return copy
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=folder.parent))
    try:
        write_demo_city(scratch, seed=SEED)
        write_demo_diary(scratch / "demo_diary.csv", seed=SEED)
        (scratch / EXAMPLE.name).write_bytes(text)  # last: its presence marks a full build
        try:
            scratch.rename(folder)
        except OSError:  # another process built it first
            if not copy.is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return copy
