"""OpenStreetMap extracts: walking and cycling street graphs (`load_osm`)."""

from maasmix.feeds.osm.streets import StreetGraph, StreetNetwork, load_osm

__all__ = ["StreetGraph", "StreetNetwork", "load_osm"]
