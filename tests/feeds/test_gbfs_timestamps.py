"""GBFS POSIX timestamps: converted exactly, whatever the floating-point error mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from maasmix.errors import FeedFormatError
from maasmix.feeds.gbfs import load_gbfs
from maasmix.feeds.gbfs._values import Column, timestamp_column

WHERE = Column("free_bike_status.json", "data.bikes", "last_reported")


def test_seconds_and_missing_values() -> None:
    got = timestamp_column([1640887163, None, 1640887163.5], WHERE)
    assert got.tolist()[0] == pd.Timestamp("2021-12-30T17:59:23Z")
    assert got.isna().tolist() == [False, True, False]
    assert got.iloc[2] - got.iloc[0] == pd.Timedelta(milliseconds=500)


def test_milliseconds_by_mistake_name_the_item() -> None:
    with pytest.raises(FeedFormatError, match=r"outside 1970 \.\. 2200") as info:
        timestamp_column([1640887163, 1640887163000], WHERE)
    assert info.value.field == "data.bikes[1].last_reported"


def test_loads_when_overflow_raises(dataset: Any) -> None:
    """A caller that makes numpy raise on overflow (np.errstate) still gets the snapshot."""
    folder: Path = dataset("gbfs-bay-area-baywheels")
    with np.errstate(over="raise", invalid="raise"):
        snapshot = load_gbfs(folder)
    assert len(snapshot.vehicles) == 720
