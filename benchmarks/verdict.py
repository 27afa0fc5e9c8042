"""Verdicts of a paired A/B benchmark comparison (used by `benchmarks.compare`).

For one benchmark, A (the reference) and B (the working tree) ran the same number of
rounds, alternately (`benchmarks.baton`), so round ``i`` of A and round ``i`` of B saw the
same machine load. The figure is the paired log-ratio ``d_i = ln(b_i / a_i)``; its mean
``m`` estimates the log of the typical ratio B / A, and the two-sided t-interval

    m +- t(1 - alpha/2, n - 1) * s / sqrt(n)      (s: standard deviation of the d_i)

bounds it with confidence ``1 - alpha`` (95 % by default). With a threshold ``h``
(15 %, or a benchmark's own band):

- ``regressed`` when the whole interval lies above ``ln(1 + h)``: B is slower by more
  than ``h`` with that confidence;
- ``improved`` when the whole interval lies below ``-ln(1 + h)``;
- ``within noise`` otherwise, shown with the interval; a noisy benchmark then gets a
  wide interval and no verdict, never a false alarm from one slow round.

Fewer than `MIN_PAIRS` pairs give no interval (``too few rounds``), which is not a pass
either: `benchmarks.compare` exits with 2 then.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_THRESHOLD = 0.15
DEFAULT_CONFIDENCE = 0.95
MIN_PAIRS = 3

REGRESSED = "regressed"
IMPROVED = "improved"
NOISE = "within noise"
TOO_FEW = "too few rounds"


@dataclass(frozen=True)
class PairedRatio:
    """The ratio B / A of one benchmark: point estimate and confidence interval."""

    n: int
    ratio: float  # exp(mean log-ratio): the geometric mean of b_i / a_i
    low: float
    high: float
    spread: float  # standard deviation of the log-ratios

    def verdict(self, threshold: float = DEFAULT_THRESHOLD) -> str:
        if self.n < MIN_PAIRS:
            return TOO_FEW
        if self.low > 1.0 + threshold:
            return REGRESSED
        if self.high < 1.0 / (1.0 + threshold):
            return IMPROVED
        return NOISE


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile (scipy)."""
    from scipy.stats import t

    return float(t.ppf(p, df))


def paired_ratio(
    a: Sequence[float], b: Sequence[float], confidence: float = DEFAULT_CONFIDENCE
) -> PairedRatio:
    """The paired ratio B / A over the first ``min(len(a), len(b))`` rounds of each."""
    n = min(len(a), len(b))
    logs = [math.log(y / x) for x, y in zip(a[:n], b[:n], strict=True) if x > 0 and y > 0]
    n = len(logs)
    if n == 0:
        return PairedRatio(0, math.nan, math.nan, math.nan, math.nan)
    mean = sum(logs) / n
    if n < 2:
        return PairedRatio(n, math.exp(mean), 0.0, math.inf, math.nan)
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (n - 1))
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * sd / math.sqrt(n)
    return PairedRatio(n, math.exp(mean), math.exp(mean - half), math.exp(mean + half), sd)
