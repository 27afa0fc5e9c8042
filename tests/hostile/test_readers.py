"""Absurd inputs for every reader behind the service (JSON, YAML, protobuf, Parquet, CSV,
zip): each ends in a `MaasmixError` naming the file (or a 4xx over HTTP), never a
traceback, and is refused before it costs memory or time."""

from __future__ import annotations

import json
import os
import shutil
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import app
from maasmix.api.deployment import MAX_FILE_BYTES, read_deployment
from maasmix.errors import (
    DeploymentError,
    DiaryError,
    FeedError,
    FeedWarning,
    InputError,
    MaasmixError,
)
from maasmix.feeds.diaries import read_diary
from maasmix.feeds.gbfs import load_gbfs
from maasmix.feeds.gtfs import load_gtfs
from maasmix.feeds.gtfs_rt import read_gtfs_rt
from maasmix.feeds.points import read_points

HEADER = {"last_updated": 1631517912, "ttl": 60, "version": "2.2"}


@pytest.fixture
def gbfs(dataset: Callable[..., Path], tmp_path: Path) -> Path:
    folder = tmp_path / "gbfs"
    shutil.copytree(dataset("gbfs-helsinki-hsl"), folder)
    return folder


# ---------------------------------------------------------------------- JSON (GBFS)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100_000, "nested too deeply"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "nested too deeply"),
        ('{"last_updated": ' + "9" * 5000 + ', "ttl": 60, "data": {}}', "invalid JSON"),
        ('{"last_updated": 1631517912, "ttl": NaN, "data": {"stations": []}}', "'ttl'"),
        ('{"last_updated": 1631517912, "ttl": Infinity, "data": {"stations": []}}', "'ttl'"),
    ],
)
def test_gbfs_json_beyond_reason_is_a_feed_error(gbfs: Path, text: str, words: str) -> None:
    (gbfs / "station_status.json").write_text(text)
    with pytest.raises(FeedError) as err:
        load_gbfs(gbfs)
    assert words in str(err.value) and "station_status.json" in str(err.value)


def test_a_ttl_of_ages_is_cut_to_a_year_with_a_warning(gbfs: Path) -> None:
    doc = json.loads((gbfs / "system_information.json").read_text())
    doc["ttl"] = 10**30
    (gbfs / "system_information.json").write_text(json.dumps(doc))
    with pytest.warns(FeedWarning, match="cut to 31536000 s"):
        snapshot = load_gbfs(gbfs)
    assert snapshot.system.ttl_s <= 365 * 86400
    assert snapshot.expires_at.year < 9999  # no overflow when the refresher asks


# ---------------------------------------------------------------------- YAML (deployment)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"a: &x [1, 2]\nb: *x\n", "aliases"),
        (b"networks: " + b"[" * 200_000, "nested more than 64"),
        (b"networks: " + b"{a: " * 65 + b"1" + b"}" * 65, "nested more than 64"),
        (b"networks:\n" + b"".join(b" " * i + b"a:\n" for i in range(1, 2000)), "larger than"),
        (b"networks: \xff\xfe\n", "not UTF-8"),
        (b"x" * (MAX_FILE_BYTES + 1), "larger than"),
        (b"- 1\n- 2\n", "mapping"),
    ],
)
def test_deployment_files_beyond_reason(tmp_path: Path, content: bytes, words: str) -> None:
    file = tmp_path / "deploy.yaml"
    file.write_bytes(content)
    with pytest.raises(DeploymentError) as err:
        read_deployment(file)
    assert words in str(err.value) and err.value.file == str(file)


# ---------------------------------------------------------------------- JSON over HTTP


def test_deeply_nested_json_over_http_is_422_or_400() -> None:
    client = TestClient(app)
    deep = client.get(
        "/v1/plan", params={"from": "60.1,24.9", "to": "60.2,24.9", "bundle": "[" * 3999}
    )
    assert deep.status_code == 422
    assert deep.json()["type"] == "/v1/problems/nested-too-deeply"
    for body in (b"[" * 500_000, b'{"a":' * 100_000):
        got = client.post(
            "/v1/bundles/optimise", content=body, headers={"Content-Type": "application/json"}
        )
        assert got.status_code in (400, 413, 422), got.text
        assert got.headers["content-type"] == "application/problem+json"


# ---------------------------------------------------------------------- protobuf (GTFS-RT)


@pytest.mark.parametrize(
    ("data", "as_json"),
    [
        (os.urandom(1) * 0 + bytes(range(256)) * 20, False),
        (b"\x0a\xff\xff\xff\xff\x0f", False),  # a field claiming 4 GiB
        (b'{"header":' * 3000 + b"1" + b"}" * 3000, True),
        (b'{"header": {"gtfs_realtime_version": "2.0", "timestamp": ' + b"9" * 5000 + b"}}", True),
        (b"", False),
    ],
)
def test_gtfs_rt_beyond_reason(data: bytes, as_json: bool) -> None:
    with pytest.raises(FeedError):
        read_gtfs_rt(data, json=as_json)


# ---------------------------------------------------------------------- Parquet and CSV


def test_corrupt_and_misshapen_parquet(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1" + bytes(1000) + b"PAR1")
    wrong = tmp_path / "wrong.parquet"
    pd.DataFrame({"x": [1, 2]}).to_parquet(wrong)
    nested = tmp_path / "nested.parquet"
    pd.DataFrame({"person_id": [{"a": 1}], "segment": [[1, 2]]}).to_parquet(nested)
    for path in (corrupt, wrong, nested):
        with warnings.catch_warnings(), pytest.raises(DiaryError) as err:
            warnings.simplefilter("ignore", FeedWarning)  # the unknown columns
            read_diary(path)
        assert err.value.file == str(path)
        with pytest.raises(InputError):
            read_points(path)


@pytest.mark.parametrize(
    "row",
    ["a,1e999,5", "a," + "9" * 5000 + ",5", 'a,"xxxxxxxx,5', "a,NaN,5", "a,,5"],
)
def test_points_csv_beyond_reason(tmp_path: Path, row: str) -> None:
    path = tmp_path / "points.csv"
    path.write_text("id,lat,lon\n" + row + "\n")
    with pytest.raises(InputError) as err:
        read_points(path)
    assert err.value.file == str(path)


# ---------------------------------------------------------------------- zip


def test_zips_beyond_reason(tmp_path: Path) -> None:
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as handle:
        for i in range(10_001):
            handle.writestr(f"f{i}.txt", "")
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 10)
    escaping = tmp_path / "escaping.zip"
    with zipfile.ZipFile(escaping, "w") as handle:
        handle.writestr("../../agency.txt", "agency_name\nx\n")
    for path in (many, garbage, escaping):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FeedWarning)
            with pytest.raises(MaasmixError):
                load_gtfs(path)
    assert not (tmp_path.parent / "agency.txt").exists()
