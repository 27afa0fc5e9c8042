"""Benchmark fixtures: the real-data folder, shared with the test suite."""

from tests.conftest import data_dir, dataset

__all__ = ["data_dir", "dataset"]
