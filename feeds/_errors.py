"""The `FeedError` hierarchy: every problem with an input names its file, row and field.

Rows are line numbers for CSV files (see `FeedError.row` for JSON).
"""

from __future__ import annotations


class FeedError(Exception):
    """An input (GTFS, GBFS, OSM, scenario) that cannot be read as it stands.

    Attributes
    ----------
    file : str | None
        The file (or URL) at fault, as the user named it or as inside an archive.
    row : int | None
        For CSV files: the line number (header = line 1, first data row = 2). For JSON
        files: the line of a syntax error, or the 0-based index of the item at fault in a
        JSON array (the field path then names it, e.g. ``data.stations[12].lat``).
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
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        super().__init__(str(self))

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
        """The error as a JSON-ready dict (for `--json` output and problem+json bodies)."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "file": self.file,
            "row": self.row,
            "field": self.field,
        }


class FeedMissingError(FeedError):
    """A required file, column or resource is absent (or a URL cannot be fetched)."""


class FeedFormatError(FeedError):
    """A value cannot be parsed: bad time, bad number, invalid JSON, truncated zip."""


class FeedIntegrityError(FeedError):
    """Values parse but contradict each other: unknown ids, duplicate ids."""


class FeedVersionError(FeedError):
    """A file of a different specification version than the one announced or expected."""


class FeedWarning(UserWarning):
    """A tolerable quirk of a real feed that was repaired (the message says how)."""
