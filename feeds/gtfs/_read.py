"""Opening a GTFS source (zip path, folder, URL or zip bytes) and reading its CSV files.

`read_source(source)` returns the source label, the raw bytes of every ``*.txt`` member
keyed by file name, and the names of other members. A zip whose files all sit in one
extra top-level folder is accepted with a `FeedWarning`; ``__MACOSX`` debris is ignored.
"""

from __future__ import annotations

import io
import os
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

from maasmix.errors import FeedFormatError, FeedMissingError, FeedWarning
from maasmix.feeds._http import fetch_bytes, is_url
from maasmix.feeds.cache import content_hash

Source = str | os.PathLike[str] | bytes


def source_label(source: Source) -> str:
    """How a source is named in messages and in `GtfsFeed.source`."""
    if isinstance(source, bytes):
        return f"<{len(source)} bytes of zip>"
    return str(source)


def source_bytes(source: Source) -> bytes | Path:
    """The zip bytes of a URL or bytes source, or the existing local path.

    Raises
    ------
    FeedMissingError
        The path does not exist, or the URL cannot be fetched.
    """
    if isinstance(source, bytes):
        return source
    if is_url(source):
        return fetch_bytes(str(source))
    path = Path(source).expanduser()
    if not path.exists():
        raise FeedMissingError("no such file or folder", file=str(source))
    return path


@dataclass(frozen=True, eq=False)
class ResolvedSource:
    """A GTFS source opened once: its label, its zip bytes or local path, its content hash.

    A URL is downloaded once; the content hash (`maasmix.feeds.cache.content_hash`) is
    taken once, on first use, and shared by every cache key built from this source.
    """

    label: str
    data: bytes | Path

    @cached_property
    def content(self) -> str:
        """sha256 hex digest of the zip bytes, the zip file, or the folder's files."""
        return content_hash(self.data)


def resolve_source(source: Source | ResolvedSource) -> ResolvedSource:
    """Open ``source`` once (see `ResolvedSource`); a resolved source passes through."""
    if isinstance(source, ResolvedSource):
        return source
    return ResolvedSource(source_label(source), source_bytes(source))


def _read_zip(label: str, data: bytes) -> tuple[dict[str, bytes], list[str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise FeedFormatError(f"not a readable zip archive ({exc})", file=label) from exc
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith("__MACOSX/")
            and not PurePosixPath(info.filename).name.startswith("._")
        ]
        paths = [PurePosixPath(info.filename) for info in members]
        top_level = [p for p in paths if len(p.parts) == 1]
        prefix: PurePosixPath | None = None
        if not any(p.suffix == ".txt" for p in top_level):
            folders = {p.parts[0] for p in paths if len(p.parts) == 2 and p.suffix == ".txt"}
            if len(folders) == 1:
                prefix = PurePosixPath(folders.pop())
                warnings.warn(
                    f"{label}: the GTFS files are inside the folder '{prefix}/' of the zip; "
                    "read them from there",
                    FeedWarning,
                    stacklevel=3,
                )
        texts: dict[str, bytes] = {}
        others: list[str] = []
        for info, path in zip(members, paths, strict=True):
            if prefix is not None:
                if path.parent != prefix:
                    continue
            elif len(path.parts) != 1:
                continue
            if path.suffix != ".txt":
                others.append(path.name)
                continue
            try:
                texts[path.name] = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
                raise FeedFormatError(
                    f"truncated or corrupt zip member in {label} ({exc})", file=path.name
                ) from exc
    return texts, others


def _read_folder(path: Path) -> tuple[dict[str, bytes], list[str]]:
    texts: dict[str, bytes] = {}
    others: list[str] = []
    for child in sorted(path.iterdir()):
        if not child.is_file():
            continue
        if child.suffix == ".txt":
            texts[child.name] = child.read_bytes()
        else:
            others.append(child.name)
    return texts, others


def read_source(source: Source | ResolvedSource) -> tuple[str, dict[str, bytes], list[str]]:
    """(label, {file name: bytes} of the ``*.txt`` files, other file names).

    Raises
    ------
    FeedMissingError
        Path does not exist, URL unreachable.
    FeedFormatError
        Not a zip, truncated or corrupt zip.
    """
    opened = resolve_source(source)
    label, resolved = opened.label, opened.data
    if isinstance(resolved, bytes):
        return (label, *_read_zip(label, resolved))
    if resolved.is_dir():
        return (label, *_read_folder(resolved))
    return (label, *_read_zip(label, resolved.read_bytes()))
