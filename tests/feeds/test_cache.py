"""DiskCache, content_hash, make_key and the cached `load_service_day`."""

from __future__ import annotations

import datetime as dt
import logging
import mmap
import pickle
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import maasmix
import maasmix.feeds.cache
import maasmix.feeds.gtfs
from maasmix.feeds.cache import (
    BUFFER_ALIGN,
    MAPPED_MIN_BYTES,
    DiskCache,
    code_version,
    content_hash,
    default_cache_dir,
    make_key,
    source_hash,
)
from maasmix.feeds.gtfs import load_service_day
from maasmix.feeds.gtfs.service_day import ServiceDay

from .test_gtfs import TINY, QuietHandler, serve, zip_folder

THURSDAY = dt.date(2024, 1, 4)


def assert_equal_days(a: ServiceDay, b: ServiceDay) -> None:
    assert (a.date, a.timezone) == (b.date, b.timezone)
    for name in ("stops", "routes", "trips", "stop_times", "transfers"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


class Counter:
    def __init__(self, value: object) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def test_get_or_build_builds_once(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c")
    key = make_key("abc", "test", {"x": 1}, 1)
    builder = Counter({"answer": 42})
    assert cache.get_or_build(key, builder) == {"answer": 42}
    assert cache.get_or_build(key, builder) == {"answer": 42}
    assert DiskCache(tmp_path / "c").get_or_build(key, builder) == {"answer": 42}
    assert builder.calls == 1
    assert cache.path_for(key).is_file()
    assert list((tmp_path / "c").glob("*.tmp")) == []  # no temp files left behind


def _mapped(array: np.ndarray) -> bool:
    """Whether ``array``'s memory is a view of a memory-mapped file."""
    base: object = array
    while base is not None:
        if isinstance(base, memoryview):
            return isinstance(base.obj, mmap.mmap)
        base = getattr(base, "base", None)
    return False


def test_large_arrays_come_back_memory_mapped(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    key = make_key("arrays", "test", {}, 1)
    big = np.arange(100_000, dtype=np.int32)
    small = np.arange(10, dtype=np.float64)
    frame = pd.DataFrame({"x": np.linspace(0, 1, 5_000), "name": [f"s{i}" for i in range(5_000)]})
    value = {"big": big, "small": small, "frame": frame, "2d": big.reshape(250, 400).T}
    assert cache.get_or_build(key, lambda: value) is not value  # the stored entry, mapped
    got = cache.get(key)
    assert got["big"].dtype == np.int32 and np.array_equal(got["big"], big)
    assert np.array_equal(got["small"], small) and np.array_equal(
        got["2d"], big.reshape(250, 400).T
    )
    pd.testing.assert_frame_equal(got["frame"], frame, check_exact=True)
    assert _mapped(got["big"]) and _mapped(got["2d"]) and _mapped(got["frame"]["x"].to_numpy())
    assert not _mapped(got["small"])  # under MAPPED_MIN_BYTES: inside the pickle
    assert small.nbytes < MAPPED_MIN_BYTES <= big.nbytes
    start = got["big"].__array_interface__["data"][0]
    assert start % BUFFER_ALIGN == 0
    # a write stays in this process (copy-on-write): the file and other loads keep the value
    got["big"][:10] = -1
    again = cache.get(key)
    assert np.array_equal(again["big"], big) and int(got["big"][0]) == -1


def test_an_entry_of_the_old_layout_is_rebuilt(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    key = make_key("old", "test", {}, 1)
    cache.path_for(key).write_bytes(pickle.dumps(("maasmix-cache", 1, key, "old value")))
    assert cache.get_or_build(key, Counter("new value")) == "new value"


def test_a_header_pointing_past_the_end_is_rebuilt(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    key = make_key("arrays", "test", {}, 1)
    path = cache.put(key, np.zeros(10_000))
    assert path is not None
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 8])  # the last buffer lost its end
    assert cache.get_or_build(key, Counter("rebuilt")) == "rebuilt"


def test_none_is_cached_like_any_value(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    builder = Counter(None)
    cache.get_or_build("k" * 64, builder)
    cache.get_or_build("k" * 64, builder)
    assert builder.calls == 1


@pytest.mark.parametrize(
    "damage",
    [
        b"",  # empty
        b"not a pickle at all",
        b"\x80\x05\x95",  # truncated pickle
    ],
)
def test_corrupt_entry_is_rebuilt(
    tmp_path: Path, damage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    cache = DiskCache(tmp_path)
    key = make_key("abc", "test", {}, 1)
    cache.put(key, [1, 2, 3])
    cache.path_for(key).write_bytes(damage)
    builder = Counter([4, 5])
    with caplog.at_level(logging.WARNING, logger="maasmix.feeds.cache"):
        assert cache.get_or_build(key, builder) == [4, 5]
    assert builder.calls == 1
    assert "rebuilding" in caplog.text
    assert cache.get(key) == [4, 5]  # the rebuilt entry replaced the bad one


def test_entry_of_another_key_is_not_trusted(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    a, b = make_key("a", "test", {}, 1), make_key("b", "test", {}, 1)
    cache.put(a, "value of a")
    shutil.copy(cache.path_for(a), cache.path_for(b))
    assert cache.get(b, "missing") == "missing"


def test_truncated_real_entry_is_rebuilt(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    key = make_key("abc", "test", {}, 1)
    path = cache.put(key, list(range(10_000)))
    assert path is not None
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert cache.get_or_build(key, Counter("rebuilt")) == "rebuilt"


def test_unwritable_cache_dir_is_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = DiskCache(blocker / "sub")  # a folder under a regular file cannot be made
    builder = Counter("v")
    assert cache.get_or_build("k" * 64, builder) == "v"
    assert cache.get_or_build("k" * 64, builder) == "v"
    assert builder.calls == 2


def test_keys_change_with_every_part() -> None:
    base = make_key("h", "kind", {"date": "2024-01-04"}, 1)
    assert len(base) == 64
    assert base == make_key("h", "kind", {"date": "2024-01-04"}, 1)
    others = {
        make_key("h2", "kind", {"date": "2024-01-04"}, 1),
        make_key("h", "other", {"date": "2024-01-04"}, 1),
        make_key("h", "kind", {"date": "2024-01-05"}, 1),
        make_key("h", "kind", {"date": "2024-01-04"}, 2),
    }
    assert base not in others and len(others) == 4
    # parameter order does not matter
    assert make_key("h", "k", {"a": 1, "b": 2}, 1) == make_key("h", "k", {"b": 2, "a": 1}, 1)


def test_key_follows_the_code() -> None:
    base = make_key("h", "kind", {"date": "2024-01-04"}, 1, code="0.1.0+aaa")
    assert base != make_key("h", "kind", {"date": "2024-01-04"}, 1, code="0.1.0+bbb")
    assert base != make_key("h", "kind", {"date": "2024-01-04"}, 1, code="0.2.0+aaa")
    # by default the key holds the package version and the hash of the building code
    assert make_key("h", "kind", {}, 1) == make_key("h", "kind", {}, 1, code=code_version())
    version, digest = code_version().split("+")
    assert version == maasmix.__version__ and len(digest) == 64


def test_source_hash_sees_every_module(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("X = 1\n")
    (tmp_path / "sub" / "b.py").write_text("Y = 2\n")
    first = source_hash([(tmp_path, True)])
    assert first == source_hash([(tmp_path, True)])
    (tmp_path / "sub" / "b.py").write_text("Y = 3\n")
    changed = source_hash([(tmp_path, True)])
    assert changed != first
    # a non-recursive root reads its own modules only; other files do not count
    top = source_hash([(tmp_path, False)])
    (tmp_path / "sub" / "b.py").write_text("Y = 2\n")
    assert source_hash([(tmp_path, False)]) == top
    assert source_hash([(tmp_path, True)]) == first
    (tmp_path / "notes.txt").write_text("not code")
    assert source_hash([(tmp_path, True)]) == first
    (tmp_path / "sub" / "b.py").rename(tmp_path / "sub" / "c.py")
    assert source_hash([(tmp_path, True)]) != first


def test_code_version_covers_feeds_engine_and_primitives() -> None:
    roots = maasmix.feeds.cache._code_roots()
    names = {(path.name, recursive) for path, recursive in roots}
    assert names == {("maasmix", False), ("feeds", True), ("engine", True)}
    for path, _ in roots:
        assert (path / "__init__.py").is_file()
    assert any((path / "network.py").is_file() for path, _ in roots)  # compile_network


def test_an_entry_built_by_other_code_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DiskCache(tmp_path)
    builder = Counter("v")
    monkeypatch.setattr(maasmix.feeds.cache, "code_version", lambda: "0.1.0+old")
    assert cache.get_or_build(make_key("h", "net", {}, 1), builder) == "v"
    assert cache.get_or_build(make_key("h", "net", {}, 1), builder) == "v"
    assert builder.calls == 1
    monkeypatch.setattr(maasmix.feeds.cache, "code_version", lambda: "0.1.0+new")
    assert cache.get_or_build(make_key("h", "net", {}, 1), builder) == "v"
    assert builder.calls == 2


def test_bad_keys_are_refused(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    for key in ("", "../escape", "a/b", ".hidden"):
        with pytest.raises(ValueError):
            cache.path_for(key)


def test_content_hash_of_bytes_file_and_folder(tmp_path: Path) -> None:
    (tmp_path / "f.bin").write_bytes(b"hello")
    assert content_hash(b"hello") == content_hash(tmp_path / "f.bin")
    assert content_hash(b"hello") != content_hash(b"hello!")
    folder = tmp_path / "feed"
    shutil.copytree(TINY, folder)
    first = content_hash(folder)
    assert first == content_hash(str(folder))
    (folder / "agency.txt").write_text((TINY / "agency.txt").read_text() + "\n")
    assert content_hash(folder) != first
    (folder / "agency.txt").write_text((TINY / "agency.txt").read_text())
    assert content_hash(folder) == first
    (folder / "agency.txt").rename(folder / "agency2.txt")
    assert content_hash(folder) != first


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAASMIX_CACHE_DIR", str(tmp_path / "env"))
    assert default_cache_dir() == tmp_path / "env"
    assert DiskCache().directory == tmp_path / "env"
    monkeypatch.delenv("MAASMIX_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_dir() == Path.home() / ".cache" / "maasmix"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "maasmix"


def forbid_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(source: object) -> None:
        raise AssertionError("cache miss: the feed was loaded again")

    monkeypatch.setattr(maasmix.feeds.gtfs, "load_gtfs", fail)


def test_load_service_day_second_call_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = zip_folder(TINY, tmp_path / "tiny.zip")
    cache_dir = tmp_path / "cache"
    first = load_service_day(source, THURSDAY, cache_dir=cache_dir)
    assert_equal_days(first, maasmix.feeds.gtfs.load_gtfs(source).service_day(THURSDAY))
    assert len(list(cache_dir.glob("*.pkl"))) == 1
    with monkeypatch.context() as patch:
        forbid_loading(patch)
        second = load_service_day(source, "20240104", cache_dir=cache_dir)
    assert_equal_days(first, second)
    # Another date is another entry.
    load_service_day(source, "20240105", cache_dir=cache_dir)
    assert len(list(cache_dir.glob("*.pkl"))) == 2


def test_load_service_day_rebuilds_a_corrupt_entry(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    first = load_service_day(TINY, THURSDAY, cache_dir=cache_dir)
    (entry,) = cache_dir.glob("*.pkl")
    entry.write_bytes(entry.read_bytes()[:100])
    again = load_service_day(TINY, THURSDAY, cache_dir=cache_dir)
    assert_equal_days(first, again)
    assert entry.stat().st_size > 100


def test_changed_input_gives_a_new_entry(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    shutil.copytree(TINY, folder)
    cache_dir = tmp_path / "cache"
    before = load_service_day(folder, THURSDAY, cache_dir=cache_dir)
    text = (
        (folder / "stop_times.txt")
        .read_text()
        .replace("T1,08:08:00,08:08:00", "T1,08:09:00,08:09:00")
    )
    (folder / "stop_times.txt").write_text(text)
    after = load_service_day(folder, THURSDAY, cache_dir=cache_dir)
    assert len(list(cache_dir.glob("*.pkl"))) == 2
    last = after.stop_times[after.stop_times["trip_key"] == "T1"]["arrival_s"].iloc[-1]
    assert last == 8 * 3600 + 9 * 60
    assert not before.stop_times.equals(after.stop_times)


def test_load_service_day_from_url_hashes_the_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = tmp_path / "www"
    served.mkdir()
    zip_folder(TINY, served / "tiny.zip")
    cache_dir = tmp_path / "cache"
    with serve(partial(QuietHandler, directory=str(served))) as base:
        url = f"{base}/tiny.zip"
        first = load_service_day(url, THURSDAY, cache_dir=cache_dir)
        with monkeypatch.context() as patch:
            forbid_loading(patch)
            second = load_service_day(url, THURSDAY, cache_dir=cache_dir)
        assert_equal_days(first, second)
        # Same bytes from a local path: same key, no new entry.
        load_service_day(served / "tiny.zip", THURSDAY, cache_dir=cache_dir)
        assert len(list(cache_dir.glob("*.pkl"))) == 1


@pytest.mark.slow
def test_milan_service_day_cache(tmp_path: Path, dataset: Callable[..., Path]) -> None:
    source = dataset("gtfs-milan", "milano_small_gtfs.zip")
    cache_dir = tmp_path / "cache"
    first = load_service_day(source, "20141020", cache_dir=cache_dir)
    with pytest.MonkeyPatch.context() as patch:
        forbid_loading(patch)
        second = load_service_day(source, "20141020", cache_dir=cache_dir)
    assert_equal_days(first, second)
    assert len(second.stop_times) > 10_000
