"""GBFS 1.x to 3.0: one normalised `GbfsSnapshot` of a shared-mobility system."""

from maasmix.feeds.gbfs.snapshot import (
    GbfsFile,
    GbfsSnapshot,
    SystemInfo,
    load_gbfs,
    load_gbfs_cached,
)

__all__ = ["GbfsFile", "GbfsSnapshot", "SystemInfo", "load_gbfs", "load_gbfs_cached"]
