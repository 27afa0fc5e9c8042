"""The one error hierarchy of maasmix, and the warning for repaired input quirks.

=====================  ===========================================================
error                  raised for
=====================  ===========================================================
`MaasmixError`         the base of everything below
`InputError`           a file, URL or document that cannot be used; names its
                       ``file``, ``row`` and ``field``
`FeedError`            ... a GTFS, GBFS or OSM input (and its four kinds below)
`ScenarioError`        ... a pricing scenario (`ScenarioMissingError`: no such file)
`QueryError`           a query parameter that cannot be used (an unknown stop, a
                       bad time, a negative limit); names the ``parameter``
`NoServiceError`       ... a service date on which the feed runs no trip; names the
                       feed's service period
=====================  ===========================================================

Rows are line numbers for CSV files (header = line 1); for JSON, the line of a syntax
error or the 0-based index of an array item (the field path then names it, e.g.
``data.stations[12].lat``).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping


class MaasmixError(Exception):
    """Base of every error maasmix raises on purpose."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(str(self))

    def to_dict(self) -> dict[str, object]:
        """The error as a JSON-ready dict (``--json`` output, problem+json extras)."""
        return {"type": type(self).__name__, "message": self.message}


class InputError(MaasmixError):
    """An input that cannot be read as it stands.

    Attributes
    ----------
    file : str | None
        The file (or URL) at fault, as the user named it or as inside an archive.
    row : int | None
        CSV: the line number; JSON: a syntax error's line or an array item's index.
    field : str | None
        Column or JSON field path at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.field = field
        super().__init__(message)

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None and not (self.field and f"[{self.row}]" in self.field):
            where.append(f"line {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, object]:
        """The error as a JSON-ready dict: type, message, file, row, field."""
        return {**super().to_dict(), "file": self.file, "row": self.row, "field": self.field}


class FeedError(InputError):
    """A GTFS, GBFS or OSM input that cannot be read as it stands."""


class FeedMissingError(FeedError):
    """A required file, column or resource is absent (or a URL cannot be fetched)."""


class FeedFormatError(FeedError):
    """A value cannot be parsed: bad time, bad number, invalid JSON, truncated zip."""


class FeedIntegrityError(FeedError):
    """Values parse but contradict each other: unknown ids, duplicate ids."""


class FeedVersionError(FeedError):
    """A file of a different specification version than the one announced or expected."""


class ScenarioError(InputError):
    """A pricing scenario that cannot be used (bad YAML, a bad or contradictory value)."""


class ScenarioMissingError(ScenarioError):
    """A scenario file or a named example scenario that does not exist."""


class DiaryError(InputError):
    """A trip diary that cannot be used (a missing column, a bad value in a row)."""


class DeploymentError(InputError):
    """A server deployment file that cannot be used (bad YAML, a missing file or field)."""


class QueryError(MaasmixError, ValueError):
    """A query parameter that cannot be used.

    Attributes
    ----------
    parameter : str | None
        The parameter at fault, as the interface names it (``"from"``, ``"at"``, ...).
    """

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        self.parameter = parameter
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.parameter}: {self.message}" if self.parameter else self.message

    def to_dict(self) -> dict[str, object]:
        """The error as a JSON-ready dict: type, message, parameter."""
        return {**super().to_dict(), "parameter": self.parameter}

    def renamed(self, names: Mapping[str, str]) -> QueryError:
        """This error with its parameter named as an interface calls it (``depart`` is
        ``--at`` on the command line); itself when the name needs no change."""
        if self.parameter is None or self.parameter not in names:
            return self
        clone = copy.copy(self)
        clone.parameter = names[self.parameter]
        clone.args = (str(clone),)
        return clone


class NoServiceError(QueryError):
    """No trip of the feed runs on the requested service date.

    Attributes
    ----------
    date : datetime.date
        The date asked for.
    period : tuple[datetime.date, datetime.date] | None
        First and last date on which the feed runs any trip (None: it never does).
    """

    def __init__(
        self, date: dt.date, period: tuple[dt.date, dt.date] | None, *, feed: str | None = None
    ) -> None:
        self.date = date
        self.period = period
        self.feed = feed
        span = f"{period[0]:%Y%m%d}..{period[1]:%Y%m%d}" if period else "none"
        source = f" of {feed}" if feed else ""
        super().__init__(
            f"no trip runs on {date:%Y%m%d} (service dates{source}: {span})", parameter="date"
        )

    def to_dict(self) -> dict[str, object]:
        """The error as a JSON-ready dict, with the service period as ISO dates."""
        period = [d.isoformat() for d in self.period] if self.period else None
        return {**super().to_dict(), "servicePeriod": period}


class FeedWarning(UserWarning):
    """A tolerable quirk of a real input that was repaired (the message says how)."""
