"""The built-in demo city: real GTFS, GBFS and OSM files written by code, no download.

The writers live here, beside the readers of `maasmix.feeds`, because every demo file
is read back through those same readers (and the tests check that it reads cleanly).
"""

from maasmix.feeds.demo.city import SERVICE_DATE, DemoCity, write_demo_city
from maasmix.feeds.demo.diary import demo_diary_frame, write_demo_diary

__all__ = ["SERVICE_DATE", "DemoCity", "demo_diary_frame", "write_demo_city", "write_demo_diary"]
