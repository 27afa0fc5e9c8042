"""Verdicts of the paired A/B comparison on synthetic timings (`benchmarks.verdict`)."""

from __future__ import annotations

import math

import pytest

from benchmarks import verdict as v


def _rounds(base: float, factors: list[float]) -> list[float]:
    return [base * f for f in factors]


def test_identical_rounds_are_within_noise_with_a_zero_width_interval() -> None:
    a = [1.0, 1.1, 0.9, 1.05]
    got = v.paired_ratio(a, list(a))
    assert (got.n, got.ratio, got.low, got.high, got.spread) == (4, 1.0, 1.0, 1.0, 0.0)
    assert got.verdict() == v.NOISE


def test_a_steady_30_percent_slowdown_under_changing_load_is_regressed() -> None:
    # the machine load moves both sides of each pair alike (1x to 2x)
    load = [1.0, 1.8, 1.2, 2.0, 1.4]
    a = _rounds(0.5, load)
    b = [x * 1.3 * f for x, f in zip(a, [1.02, 0.99, 1.01, 0.98, 1.0], strict=True)]
    got = v.paired_ratio(a, b)
    assert got.verdict(0.15) == v.REGRESSED
    assert 1.15 < got.low < 1.3 < got.high < 1.36
    assert got.ratio == pytest.approx(1.3, abs=0.01)


def test_the_same_slowdown_with_noisy_pairs_is_within_noise_not_a_false_alarm() -> None:
    a = [1.0, 1.0, 1.0, 1.0, 1.0]
    b = [1.0, 1.7, 0.9, 1.6, 1.3]  # mean ratio ~1.27, but the pairs disagree
    got = v.paired_ratio(a, b)
    assert got.low < 1.15 < got.ratio
    assert got.verdict(0.15) == v.NOISE


def test_improved_mirrors_regressed_and_the_threshold_decides() -> None:
    a = [1.0, 2.0, 1.5, 1.2]
    b = [x / 1.3 for x in a]
    got = v.paired_ratio(a, b)
    assert got.verdict(0.15) == v.IMPROVED
    assert got.verdict(0.40) == v.NOISE  # a benchmark's own wider band
    slower = v.paired_ratio(a, [x * 1.1 for x in a])
    assert slower.verdict(0.15) == v.NOISE  # 10 % is under the 15 % threshold
    assert slower.verdict(0.05) == v.REGRESSED


def test_the_interval_is_the_t_interval_of_the_log_ratios() -> None:
    a = [1.0, 1.0, 1.0]
    b = [math.e**0.1, math.e**0.2, math.e**0.3]  # log-ratios 0.1, 0.2, 0.3: sd 0.1
    got = v.paired_ratio(a, b)
    half = 4.302652729911275 * 0.1 / math.sqrt(3)  # t(0.975, 2)
    assert got.ratio == pytest.approx(math.e**0.2)
    assert got.low == pytest.approx(math.exp(0.2 - half))
    assert got.high == pytest.approx(math.exp(0.2 + half))
    assert got.spread == pytest.approx(0.1)


def test_unequal_lengths_pair_the_common_rounds_and_too_few_pairs_give_no_verdict() -> None:
    got = v.paired_ratio([1.0, 1.0, 1.0, 5.0], [2.0, 2.0, 2.0])
    assert got.n == 3 and got.ratio == pytest.approx(2.0)
    assert got.verdict() == v.REGRESSED
    two = v.paired_ratio([1.0, 1.0], [2.0, 2.0])
    assert two.verdict() == v.TOO_FEW
    one = v.paired_ratio([1.0], [2.0])
    assert (one.n, one.high) == (1, math.inf) and one.verdict() == v.TOO_FEW
    assert v.paired_ratio([], []).verdict() == v.TOO_FEW
