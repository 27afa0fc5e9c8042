"""On-disk cache for compiled inputs (service days, compiled timetables, ...), keyed by content.

API
---
``content_hash(source) -> str``
    sha256 hex digest of an input: the bytes themselves, a file's bytes, or for a folder
    the sorted (relative path, file sha256) pairs of every file below it.
``make_key(content, kind, params, version, code=None) -> str``
    The cache key: sha256 of the JSON of the content hash, a ``kind`` label (e.g.
    ``"gtfs-service-day"``, ``"raptor-network"``), a JSON-able mapping of build
    parameters, the builder's format ``version``, `CACHE_FORMAT` and the ``code`` that
    builds entries (default `code_version`). Any change to one of them gives a new key.
``code_version() -> str``
    The package version plus a sha256 of the source of every module that reads inputs
    or compiles them (`maasmix.feeds`, `maasmix.engine` and the root primitives), so an
    upgrade or an edit to that code never serves an entry built by other code, even
    when nobody bumped a ``version``. Computed once per process (about 1 MB read).
``source_hash(roots) -> str``
    sha256 of the ``.py`` files under (folder, recursive) roots: sorted relative paths
    and each file's bytes.
``default_cache_dir() -> Path``
    ``$MAASMIX_CACHE_DIR``, else the platform's cache folder: ``$XDG_CACHE_HOME/maasmix``
    or ``~/.cache/maasmix``.
``DiskCache(directory=None, max_bytes=None)``
    ``.get(key, default=None)``, ``.put(key, value)``, ``.get_or_build(key, builder)``,
    ``.path_for(key)``, ``.clear()``, ``.sweep()``, ``.size_bytes()``. Entries are files
    in ``directory`` named ``<key>.pkl``; writes go to a temporary file in the same folder
    then ``os.replace`` (atomic, so concurrent readers never see half a file). An entry
    that cannot be read (truncated, corrupt, written by another format, wrong key inside)
    is logged, deleted and rebuilt, never fatal; a cache folder that cannot be written
    only costs the rebuild.

Entry layout (`CACHE_FORMAT` 2): `FILE_MAGIC`, the length of a JSON header (8 bytes,
little-endian), the header (``key``, ``format``, the ``pickle`` stream's and each
out-of-band ``buffers``' ``[offset, length]``), a pickle (protocol 5) of the value, then
every contiguous buffer of at least `MAPPED_MIN_BYTES` (numpy arrays, the columns of
DataFrames) aligned to `BUFFER_ALIGN` bytes. `get` memory-maps the file
(``MAP_PRIVATE``, as ``np.load(mmap_mode="c")``) and hands those buffers to the
unpickler, so the arrays of an entry are views of the file's pages: processes that load
the same entry (a server's workers) share one copy in the page cache, and loading costs
no copy. A write to such an array stays private to its process (copy-on-write); the
file is never changed in place (a new entry is a new file, renamed over the old one).

Bounded: the folder holds at most ``max_bytes`` (default: the feed limit
``max_cache_bytes``, 8 GiB) of entries; after each write the least recently used
entries (a read refreshes an entry's time) are removed until it fits. A temporary file
left by a write that was killed (its process is gone, or it is older than an hour) is
removed by the next write or `sweep`. `get_or_build` builds a missing entry once across
threads and processes: later callers wait on a lock file and then read the entry.

Example (a compiled network)::

    key = make_key(content_hash(gtfs_zip), "raptor-network", {"date": "2022-02-22"}, 3)
    network = DiskCache().get_or_build(key, lambda: compile_network(...))

Pickles execute code when loaded: only point the cache at a folder you trust.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import json
import logging
import mmap
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from maasmix.feeds import limits as feed_limits

__all__ = [
    "BUFFER_ALIGN",
    "CACHE_FORMAT",
    "FILE_MAGIC",
    "MAPPED_MIN_BYTES",
    "DiskCache",
    "code_version",
    "content_hash",
    "default_cache_dir",
    "make_key",
    "source_hash",
]

CACHE_FORMAT = 2
"""Version of the entry layout written by `DiskCache` (part of every key and header)."""

FILE_MAGIC = b"maasmix-cache\x00v2\n"
"""The first bytes of every entry file."""
MAPPED_MIN_BYTES = 4096
"""Buffers at least this large are stored apart from the pickle and memory-mapped."""
BUFFER_ALIGN = 64
"""Alignment (bytes, from the file's start) of every memory-mapped buffer."""

_HEADER_MAX = 64 << 20
_CHUNK = 1 << 20
_STALE_TMP_S = 3600.0
logger = logging.getLogger(__name__)
T = TypeVar("T")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def content_hash(source: bytes | str | os.PathLike[str]) -> str:
    """sha256 hex digest of bytes, of a file's bytes, or of a folder's files.

    A folder's hash covers every regular file below it: sorted relative POSIX paths
    and the sha256 of each file, so renaming, adding or editing any file changes it.
    """
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    path = Path(source)
    if path.is_dir():
        digest = hashlib.sha256(b"folder\0")
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            rel = child.relative_to(path).as_posix()
            digest.update(rel.encode("utf-8") + b"\0" + _hash_file(child).encode() + b"\n")
        return digest.hexdigest()
    return _hash_file(path)


def source_hash(roots: Iterable[tuple[Path, bool]]) -> str:
    """sha256 hex digest of the ``.py`` files under each ``(folder, recursive)`` root:
    each file's path relative to its root (POSIX, sorted) and its bytes. A missing
    folder counts as empty."""
    digest = hashlib.sha256(b"code\0")
    for root, recursive in roots:
        folder = Path(root)
        files = folder.rglob("*.py") if recursive else folder.glob("*.py")
        digest.update(b"root\0")
        for path in sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts):
            rel = path.relative_to(folder).as_posix()
            digest.update(rel.encode("utf-8") + b"\0" + _hash_file(path).encode() + b"\n")
    return digest.hexdigest()


def _code_roots() -> list[tuple[Path, bool]]:
    """The folders of the code that builds cached entries: the root primitives (top-level
    modules of `maasmix` only), `maasmix.feeds` and `maasmix.engine` (located, not imported)."""
    import maasmix

    roots = [(Path(maasmix.__file__).resolve().parent, False)]
    roots.append((Path(__file__).resolve().parent, True))  # maasmix.feeds
    spec = importlib.util.find_spec("maasmix.engine")
    for location in (spec.submodule_search_locations or []) if spec else []:
        roots.append((Path(location).resolve(), True))
    return roots


@functools.cache
def code_version() -> str:
    """``"<package version>+<sha256 of the feeds, engine and primitives sources>"``: part
    of every cache key, so entries follow the code that builds them."""
    from maasmix import __version__

    return f"{__version__}+{source_hash(_code_roots())}"


def make_key(
    content: str,
    kind: str,
    params: Mapping[str, Any],
    version: int | str,
    code: str | None = None,
) -> str:
    """Cache key (64 hex chars) for ``content`` built as ``kind`` with ``params`` by the
    builder's format ``version`` and ``code`` (default: `code_version`)."""
    payload = json.dumps(
        {
            "content": content,
            "kind": kind,
            "params": dict(params),
            "version": version,
            "format": CACHE_FORMAT,
            "code": code_version() if code is None else code,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def default_cache_dir() -> Path:
    """``$MAASMIX_CACHE_DIR``, else ``$XDG_CACHE_HOME/maasmix``, else ``~/.cache/maasmix``."""
    configured = os.environ.get("MAASMIX_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "maasmix"


class _LayoutError(ValueError):
    """An entry file that is not a whole entry of this format and key."""


def _aligned(offset: int) -> int:
    return -(-offset // BUFFER_ALIGN) * BUFFER_ALIGN


def _write_entry(handle: Any, key: str, value: Any) -> None:
    """Write ``value`` as an entry of ``key`` (the layout of the module docstring)."""
    buffers: list[pickle.PickleBuffer] = []

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:
        try:
            size = buffer.raw().nbytes
        except BufferError:  # not contiguous: keep it in the pickle
            return True
        if size < MAPPED_MIN_BYTES:
            return True
        buffers.append(buffer)
        return False

    stream = pickle.dumps(value, protocol=5, buffer_callback=out_of_band)
    sizes = [b.raw().nbytes for b in buffers]
    # the header's length depends on the offsets it holds: grow until it fits
    reserve = 256 + 48 * len(sizes)
    while True:
        start = _aligned(len(FILE_MAGIC) + 8 + reserve)
        spans, offset = [], _aligned(start + len(stream))
        for size in sizes:
            spans.append([offset, size])
            offset = _aligned(offset + size)
        header = json.dumps(
            {"key": key, "format": CACHE_FORMAT, "pickle": [start, len(stream)], "buffers": spans}
        ).encode()
        if len(header) <= reserve:
            break
        reserve = len(header)
    handle.write(FILE_MAGIC + len(header).to_bytes(8, "little") + header)
    position = len(FILE_MAGIC) + 8 + len(header)
    for (target, _), chunk in zip(
        [[start, 0], *spans], [memoryview(stream), *(b.raw() for b in buffers)], strict=True
    ):
        handle.write(b"\0" * (target - position))
        handle.write(chunk)
        position = target + chunk.nbytes


def _span(item: Any, size: int) -> tuple[int, int]:
    if (
        not isinstance(item, list)
        or len(item) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in item)
    ):
        raise _LayoutError("bad span in the header")
    offset, length = item
    if offset < 0 or length < 0 or offset + length > size:
        raise _LayoutError("truncated")
    return offset, length


def _read_entry(path: Path, key: str) -> Any:
    """The value of the entry file ``path`` of ``key``, its buffers memory-mapped."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        lead = handle.read(len(FILE_MAGIC) + 8)
        if len(lead) < len(FILE_MAGIC) + 8 or not lead.startswith(FILE_MAGIC):
            raise _LayoutError("not an entry of this format")
        length = int.from_bytes(lead[len(FILE_MAGIC) :], "little")
        if length > min(_HEADER_MAX, size):
            raise _LayoutError("truncated")
        header = json.loads(handle.read(length))
        if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
            raise _LayoutError("another format")
        if header.get("key") != key:
            raise _LayoutError("the entry of another key")
        start, count = _span(header.get("pickle"), size)
        spans = header.get("buffers")
        if not isinstance(spans, list):
            raise _LayoutError("bad buffer list")
        buffers = [_span(item, size) for item in spans]
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
    view = memoryview(mapped)
    return pickle.loads(view[start : start + count], buffers=[view[o : o + n] for o, n in buffers])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class DiskCache:
    """A folder of pickled entries keyed by `make_key` keys (see the module docstring)."""

    def __init__(
        self, directory: str | os.PathLike[str] | None = None, *, max_bytes: int | None = None
    ) -> None:
        self.directory = Path(directory).expanduser() if directory else default_cache_dir()
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"DiskCache({str(self.directory)!r})"

    def path_for(self, key: str) -> Path:
        """The file holding ``key``'s entry."""
        if not key or any(c in key for c in "/\\\0") or key.startswith("."):
            raise ValueError(f"not a usable cache key: {key!r}")
        return self.directory / f"{key}.pkl"

    def get(self, key: str, default: Any = None) -> Any:
        """The cached value (its large arrays memory-mapped from the entry file), or
        ``default`` when absent or unreadable (then deleted)."""
        path = self.path_for(key)
        try:
            value = _read_entry(path, key)
        except FileNotFoundError:
            return default
        except _LayoutError as exc:
            logger.warning("cache entry %s has an unexpected layout (%s); rebuilding", path, exc)
            self._discard(path)
            return default
        except Exception as exc:  # a damaged entry must never be fatal
            logger.warning("cache entry %s unreadable (%s); rebuilding", path, exc)
            self._discard(path)
            return default
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        return value

    def put(self, key: str, value: Any) -> Path | None:
        """Store ``value`` atomically; returns the path, or None if it could not be written."""
        path = self.path_for(key)
        tmp_name: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.sweep()
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{key[:16]}.{os.getpid()}.", suffix=".tmp", dir=self.directory
            )
            with os.fdopen(fd, "wb") as handle:
                _write_entry(handle, key, value)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
            tmp_name = None
            self._evict(keep=path)
            return path
        except OSError as exc:
            logger.warning("cannot write cache entry %s (%s)", path, exc)
            return None
        finally:
            if tmp_name is not None:
                self._discard(Path(tmp_name))

    def get_or_build(self, key: str, builder: Callable[[], T]) -> T:
        """The cached value of ``key``, or ``builder()`` stored then returned.

        One build per key at a time: a caller that finds the entry missing takes the
        key's lock file; others wait for it and then read what it stored. The builder's
        caller also gets the stored entry (memory-mapped, as every later caller does);
        the built value only when it could not be stored.
        """
        missing = object()
        value = self.get(key, missing)
        if value is not missing:
            return value
        with self._lock(key):
            value = self.get(key, missing)
            if value is not missing:
                return value
            built = builder()
            if self.put(key, built) is None:
                return built
        # what the next process will load: the stored entry, its arrays mapped (the
        # built value and its private memory are dropped)
        stored = self.get(key, missing)
        return built if stored is missing else stored

    @contextlib.contextmanager
    def _lock(self, key: str) -> Any:
        handle = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = open(self.directory / f".{key}.lock", "a+b")  # noqa: SIM115
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        except OSError:
            if handle is not None:
                handle.close()
            handle = None  # an unwritable folder: build without the lock
        try:
            yield
        finally:
            if handle is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                handle.close()

    def size_bytes(self) -> int:
        """Bytes held by the entries."""
        total = 0
        for path in self.directory.glob("*.pkl"):
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def sweep(self) -> int:
        """Remove temporary files of writes that were killed; returns how many."""
        removed = 0
        now = time.time()
        for tmp in self.directory.glob(".*.tmp"):
            parts = tmp.name.split(".")
            pid = int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else None
            try:
                age = now - tmp.stat().st_mtime
            except OSError:
                continue
            if (pid is not None and pid != os.getpid() and not _alive(pid)) or (age > _STALE_TMP_S):
                self._discard(tmp)
                removed += 1
        return removed

    def _evict(self, keep: Path) -> None:
        cap = (
            self.max_bytes if self.max_bytes is not None else feed_limits.current().max_cache_bytes
        )
        entries = []
        for path in self.directory.glob("*.pkl"):
            with contextlib.suppress(OSError):
                info = path.stat()
                entries.append((info.st_mtime, info.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries, key=lambda e: e[0]):
            if total <= cap:
                break
            if path == keep:
                continue
            logger.info("cache over %d bytes: evicting %s", cap, path.name)
            self._discard(path)
            self._discard(self.directory / f".{path.stem}.lock")
            total -= size

    def clear(self) -> int:
        """Delete every entry; returns how many were deleted."""
        if not self.directory.is_dir():
            return 0
        removed = 0
        for path in self.directory.glob("*.pkl"):
            self._discard(path)
            removed += 1
        for path in self.directory.glob(".*.lock"):
            self._discard(path)
        return removed

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()
