"""Opening a GTFS source (zip path, folder, URL or zip bytes) and reading its CSV files.

`read_source(source)` returns the source label, the ``*.txt`` members keyed by file name
(`Members`: each read only when asked for, within `maasmix.feeds.limits`), and the
names of other members. A zip whose files all sit in one
extra top-level folder is accepted with a `FeedWarning`; ``__MACOSX`` debris is ignored.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import IO

from maasmix.errors import FeedFormatError, FeedMissingError, FeedWarning
from maasmix.feeds import limits as feed_limits
from maasmix.feeds._http import fetch_cached, is_url
from maasmix.feeds.cache import content_hash

Source = str | os.PathLike[str] | bytes


def source_label(source: Source) -> str:
    """How a source is named in messages and in `GtfsFeed.source`."""
    if isinstance(source, bytes):
        return f"<{len(source)} bytes of zip>"
    return str(source)


MAX_NAME_BYTES = 255
"""Longest file or folder name (one path component) the file systems we run on hold."""


def usable_path(source: str | os.PathLike[str]) -> Path:
    """``source`` as a `Path`, or `FeedMissingError` for a name no file system can hold
    (a component over 255 bytes, a NUL) instead of an ``OSError`` later."""
    text = os.fspath(source)
    parts = text.replace("\\", "/").split("/")
    if "\0" in text or any(
        len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for p in parts
    ):
        shown = text if len(text) <= 80 else text[:80] + "..."
        raise FeedMissingError(
            f"not a usable path (a name longer than {MAX_NAME_BYTES} bytes, or a NUL)",
            file=shown,
        )
    return Path(text).expanduser()


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
        return fetch_cached(str(source))  # an unchanged zip is not downloaded again
    path = usable_path(source)
    try:
        exists = path.exists()
    except OSError as exc:
        raise FeedMissingError(f"not a usable path ({exc.strerror})", file=str(source)) from None
    if not exists:
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


class Members(Mapping[str, bytes]):
    """The ``*.txt`` files of a source by name, each read only when asked for.

    ``members[name]`` reads one file whole; ``chunks(name)`` streams it. Every read is
    checked against `maasmix.feeds.limits` first (uncompressed size, compression ratio,
    the total read from the source), from the sizes the zip declares, so a bomb is
    refused before it is inflated (a member whose data runs past its declared size fails
    its CRC check instead).
    """

    def __init__(
        self,
        label: str,
        entries: Mapping[str, zipfile.ZipInfo | Path],
        archive: bytes | Path | None,
    ) -> None:
        self.label = label
        self._entries = dict(entries)
        self._archive = archive
        self._read_total = 0
        self._checked_sizes: dict[str, int] = {}

    def __getitem__(self, name: str) -> bytes:
        return b"".join(self.chunks(name, whole=True))

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __contains__(self, name: object) -> bool:  # never read a member to answer this
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def size(self, name: str) -> int:
        """Uncompressed size of ``name`` in bytes (as the zip declares it)."""
        entry = self._entries[name]
        return entry.file_size if isinstance(entry, zipfile.ZipInfo) else entry.stat().st_size

    def _check(self, name: str) -> None:
        limits = feed_limits.current()
        entry = self._entries[name]
        size = self.size(name)
        self._checked_sizes[name] = size
        if size > limits.max_member_bytes:
            raise FeedFormatError(
                f"{size} bytes uncompressed, more than {limits.max_member_bytes} "
                "(feed limit max_member_bytes)",
                file=name,
            )
        if isinstance(entry, zipfile.ZipInfo) and size > limits.ratio_floor_bytes:
            ratio = size / max(entry.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise FeedFormatError(
                    f"compressed {ratio:.0f}:1 in {self.label}, more than "
                    f"{limits.max_compression_ratio:g}:1 (feed limit max_compression_ratio)",
                    file=name,
                )
        if self._read_total + size > limits.max_total_bytes:
            raise FeedFormatError(
                f"reading it would take the bytes read from {self.label} past "
                f"{limits.max_total_bytes} (feed limit max_total_bytes)",
                file=name,
            )
        self._read_total += size

    def chunks(self, name: str, *, whole: bool = False) -> Iterator[bytes]:
        """The bytes of ``name`` in pieces of at most 1 MiB (one piece if ``whole``)."""
        self._check(name)
        entry = self._entries[name]
        piece = -1 if whole else _PIECE
        try:
            if isinstance(entry, Path):
                # a file growing after its size was checked is read no further than that
                size = self._checked_sizes.get(name, 0)
                with entry.open("rb") as handle:
                    yield from _pieces(_Limited(handle, size), piece)
                    if handle.read(1):
                        raise FeedFormatError(
                            f"grew past its {size} bytes while it was read", file=name
                        )
                return
            assert self._archive is not None
            source = (
                io.BytesIO(self._archive) if isinstance(self._archive, bytes) else self._archive
            )
            with zipfile.ZipFile(source) as archive, archive.open(entry) as handle:
                yield from _pieces(handle, piece)
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            ValueError,
            NotImplementedError,
            RuntimeError,  # an encrypted member (refused when listed; kept as a backstop)
        ) as exc:
            raise FeedFormatError(
                f"truncated or corrupt zip member in {self.label} ({exc})", file=name
            ) from exc
        except OSError as exc:
            raise FeedFormatError(f"cannot be read ({exc.strerror or exc})", file=name) from exc


_PIECE = 1 << 20


class _Limited:
    """A binary reader giving at most ``limit`` bytes of ``handle``."""

    def __init__(self, handle: IO[bytes], limit: int) -> None:
        self.handle = handle
        self.left = limit

    def read(self, size: int = -1) -> bytes:
        want = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(want) if want > 0 else b""
        self.left -= len(data)
        return data


def _pieces(handle: IO[bytes] | _Limited, size: int) -> Iterator[bytes]:
    if size < 0:
        yield handle.read()
        return
    while piece := handle.read(size):
        yield piece


_EOCD = b"PK\x05\x06"  # end of central directory record
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD_SEARCH = 22 + 0xFFFF  # the record and the longest comment
_MAX_ENTRY_BYTES = 1024  # a directory entry: 46 bytes, its name, extra field and comment


def _declared_entries(handle: IO[bytes]) -> tuple[int, int] | None:
    """(entry count, central directory bytes) the zip's end record declares (zip64
    too), read from its last 64 KiB without building anything; None when it has none."""
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    start = max(0, size - _EOCD_SEARCH)
    handle.seek(start)
    tail = handle.read(size - start)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        return None
    count, directory = struct.unpack_from("<HI", tail, at + 10)
    locator = at - 20
    if locator >= 0 and tail[locator : locator + 4] == _EOCD64_LOCATOR:
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)
        if 0 <= offset <= size - 56:
            handle.seek(offset)
            record = handle.read(56)
            if record[:4] == b"PK\x06\x06":
                count, directory = struct.unpack_from("<QQ", record, 32)
    return int(count), int(directory)


def _check_entries(label: str, data: bytes | Path) -> None:
    """Refuse a zip declaring more entries than ``max_members`` before `zipfile` reads
    its central directory (a million entries are 750 MB of ZipInfo objects)."""
    limit = feed_limits.current().max_members
    try:
        if isinstance(data, bytes):
            declared = _declared_entries(io.BytesIO(data))
        else:
            with data.open("rb") as handle:
                declared = _declared_entries(handle)
    except OSError:
        return  # zipfile reports the unreadable file
    if declared is None:
        return
    count, directory = declared
    if count > limit:
        raise FeedFormatError(
            f"the zip holds {count} entries, more than {limit} (feed limit max_members)",
            file=label,
        )
    if directory > limit * _MAX_ENTRY_BYTES:  # zipfile reads it whole, whatever the count
        raise FeedFormatError(
            f"the zip's directory is {directory} bytes, room for more than {limit} entries "
            "(feed limit max_members)",
            file=label,
        )


def _open_zip(label: str, data: bytes | Path) -> zipfile.ZipFile:
    _check_entries(label, data)
    try:
        return zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise FeedFormatError(f"not a readable zip archive ({exc})", file=label) from exc
    except OSError as exc:
        raise FeedFormatError(
            f"not a readable zip archive ({exc.strerror or exc})", file=label
        ) from exc


def _read_zip(label: str, data: bytes | Path) -> tuple[Members, list[str]]:
    archive = _open_zip(label, data)
    with archive:
        infos = archive.infolist()
        limit = feed_limits.current().max_members
        if len(infos) > limit:
            raise FeedFormatError(
                f"the zip holds {len(infos)} entries, more than {limit} (feed limit max_members)",
                file=label,
            )
        members = [
            info
            for info in infos
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
    texts: dict[str, zipfile.ZipInfo | Path] = {}
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
        if path.name in texts:
            raise FeedFormatError(
                f"the zip holds {path.name} twice: which one is the feed's is ambiguous",
                file=label,
                field=path.name,
            )
        if info.flag_bits & _ENCRYPTED:
            raise FeedFormatError(
                f"{path.name} is encrypted in the zip (password-protected): not readable",
                file=label,
                field=path.name,
            )
        texts[path.name] = info
    return Members(label, texts, data), others


_ENCRYPTED = 0x1  # bit 0 of a zip entry's general purpose flags


def _read_folder(label: str, path: Path) -> tuple[Members, list[str]]:
    texts: dict[str, zipfile.ZipInfo | Path] = {}
    others: list[str] = []
    try:
        children = sorted(path.iterdir())
    except OSError as exc:
        raise FeedMissingError(
            f"cannot list the folder ({exc.strerror or exc})", file=label
        ) from None
    if len(children) > feed_limits.current().max_members:
        raise FeedFormatError(
            f"the folder holds {len(children)} entries, more than "
            f"{feed_limits.current().max_members} (feed limit max_members)",
            file=label,
        )
    for child in children:
        if child.suffix == ".txt" and child.is_symlink():
            # a link may point anywhere (another user's file, a device): never followed
            raise FeedFormatError(
                f"{child.name} is a symbolic link; copy the file into the feed folder",
                file=label,
                field=child.name,
            )
        if not child.is_file():
            continue
        if child.suffix == ".txt":
            texts[child.name] = child
        else:
            others.append(child.name)
    return Members(label, texts, None), others


def read_source(source: Source | ResolvedSource) -> tuple[str, Members, list[str]]:
    """(label, the ``*.txt`` files as `Members` (read on access), other file names).

    Raises
    ------
    FeedMissingError
        Path does not exist, URL unreachable.
    FeedFormatError
        Not a zip, truncated or corrupt zip; more entries than the feed limits allow
        (sizes and ratios are checked when a member is read).
    """
    opened = resolve_source(source)
    label, resolved = opened.label, opened.data
    if isinstance(resolved, bytes):
        return (label, *_read_zip(label, resolved))
    if resolved.is_dir():
        return (label, *_read_folder(label, resolved))
    if not resolved.is_file():
        # a FIFO would block the read, a device (/dev/zero) never end
        raise FeedFormatError("not a regular file (a pipe, socket or device)", file=label)
    return (label, *_read_zip(label, resolved))
