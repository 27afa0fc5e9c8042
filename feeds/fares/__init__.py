"""GTFS fares as typed tables: Fares v1 (fare_attributes, fare_rules) and Fares v2.

>>> from maasmix.feeds.gtfs import load_gtfs
>>> from maasmix.feeds.fares import read_fares
>>> fares = read_fares(load_gtfs("bart.zip"))
>>> fares.attributes.head()          # fare_id, price_minor, currency, ...
>>> fares.features()                 # which fare features the feed uses

Amounts are integer minor units with their ISO 4217 currency (`maasmix.money`). The
computation of a journey's fare is `maasmix.engine.fares`.
"""

from maasmix.feeds.fares.tables import FareFeatures, FareTables, read_fares

__all__ = ["FareFeatures", "FareTables", "read_fares"]
