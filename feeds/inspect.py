"""Recognise what kind of input a path or URL is, and summarise it.

`detect_kind` looks at the name and, for folders and zips, at the files inside:

========  ==============================================================
kind      recognised by
========  ==============================================================
``osm``   a name ending ``.osm.pbf``, ``.pbf``, ``.osm`` or ``.osm.bz2``
``gbfs``  a name ending ``.json`` (a ``gbfs.json`` auto-discovery file), or a
          folder holding ``gbfs.json`` or ``system_information.json``, or only
          ``station_information.json`` (read with a warning, as `plan` reads it:
          one detection, `maasmix.feeds.gbfs._source.gbfs_folder`)
``gtfs``  a ``.zip`` file, a URL (not ``.json``), or a folder holding ``stops.txt``
========  ==============================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from maasmix.errors import FeedFormatError, FeedMissingError
from maasmix.feeds._http import is_url
from maasmix.feeds.gbfs._source import gbfs_folder
from maasmix.feeds.gtfs._read import usable_path

Kind = Literal["gtfs", "gbfs", "osm"]

_OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2")


def detect_kind(source: str | Path) -> Kind:
    """Tell whether ``source`` is a GTFS feed, a GBFS system or an OSM extract."""
    if not is_url(str(source)):
        usable_path(source)  # a name no file system holds: FeedMissingError, not OSError
    name = str(source).lower().split("?", 1)[0]
    if name.endswith(_OSM_SUFFIXES):
        return "osm"
    if name.endswith(".json"):
        return "gbfs"
    if is_url(str(source)):
        return "gtfs"
    path = Path(source)
    if not path.exists():
        raise FeedMissingError("no such file or folder", file=str(source))
    if path.is_dir():
        if gbfs_folder(path) is not None:
            return "gbfs"
        if (path / "stops.txt").exists() or any(path.glob("*/stops.txt")):
            return "gtfs"
        raise FeedFormatError(
            "folder is neither GTFS (no stops.txt) nor GBFS (no gbfs.json, "
            "system_information.json or station_information.json)",
            file=str(source),
        )
    if name.endswith(".zip"):
        return "gtfs"
    raise FeedFormatError(
        "unrecognised input: expected a GTFS .zip or folder, a GBFS gbfs.json or folder, "
        "or an OpenStreetMap .osm.pbf",
        file=str(source),
    )


def inspect_source(source: str | Path) -> dict[str, Any]:
    """Load ``source`` with the matching loader and return its JSON-ready summary.

    The summary carries ``kind`` (``"gtfs"``, ``"gbfs"`` or ``"osm"``), ``source`` and the
    loader's own figures (see ``GtfsFeed.summary``, ``GbfsSnapshot.summary``,
    ``StreetNetwork.summary``).
    """
    kind = detect_kind(source)
    summary: dict[str, Any]
    if kind == "gtfs":
        from maasmix.feeds.gtfs.feed import load_gtfs

        summary = load_gtfs(source).summary()
    elif kind == "gbfs":
        from maasmix.feeds.gbfs.snapshot import load_gbfs

        summary = load_gbfs(source).summary()
    else:
        from maasmix.feeds.osm.streets import load_osm

        summary = load_osm(source).summary()
    return {"kind": kind, "source": str(source), **summary}
