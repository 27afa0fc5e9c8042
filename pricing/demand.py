"""The demand side behind one small interface: classes of travellers with usage and utilities.

`DemandClass` is all the optimiser asks of demand: a weighted group of travellers
(``size``), its monthly usage of each mode with and without the mode in a bundle, its
logit utility of a bundle at a price and of each competing offer, and its price
sensitivity (to turn utils into money for consumer surplus). The pay-as-you-go
alternative has utility 0.

`FiguresClass` implements it from the usage figures written in a scenario file; a later
implementation derives usage and savings from trips planned by the engine (a segment
described by a trip diary) and plugs in unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Protocol, runtime_checkable

from maasmix.money import minor_per_major
from maasmix.pricing.candidates import level_value
from maasmix.pricing.scenario import ChoiceModel, Scenario, Segment


@runtime_checkable
class DemandClass(Protocol):
    """A homogeneous class of travellers (a segment, or one latent class / draw of it)."""

    @property
    def segment(self) -> str:
        """The segment this class belongs to."""

    @property
    def name(self) -> str:
        """The class name (``""`` when the segment has a single class)."""

    @property
    def size(self) -> float:
        """Number of travellers in this class."""

    @property
    def price_sensitivity(self) -> float:
        """beta: utils per minor currency unit (per cent)."""

    def usage(self, mode: str, *, included: bool) -> float:
        """Monthly units of ``mode`` per traveller, with or without it in a bundle."""

    def bundle_utility(self, includes: Mapping[str, float], price_minor: float) -> float:
        """Utility of a bundle including ``includes`` units per mode at a monthly price."""

    def offer_utility(self, offer: str) -> float:
        """Utility of a competing offer."""


@dataclass(frozen=True)
class FiguresClass:
    """A `DemandClass` from scenario figures.

    Utility of a bundle: ``asc + sum_m taste[m] * min(level[m], usage(m, included=True))
    - beta * price`` with beta in utils per minor unit.
    """

    segment: str
    name: str
    size: float
    price_sensitivity: float
    asc: float
    taste: Mapping[str, float] = field(default_factory=dict)
    offers: Mapping[str, float] = field(default_factory=dict)
    usage_payg: Mapping[str, float] = field(default_factory=dict)
    usage_bundle: Mapping[str, float] = field(default_factory=dict)

    def usage(self, mode: str, *, included: bool) -> float:
        """Monthly units of ``mode`` per traveller (0 for a mode the segment never uses)."""
        if included:
            return self.usage_bundle.get(mode, self.usage_payg.get(mode, 0.0))
        return self.usage_payg.get(mode, 0.0)

    def bundle_utility(self, includes: Mapping[str, float], price_minor: float) -> float:
        """Logit utility (utils) of a bundle at ``price_minor`` per month."""
        value = self.asc - self.price_sensitivity * price_minor
        for mode, level in includes.items():
            if level > 0:
                value += self.taste.get(mode, 0.0) * min(level, self.usage(mode, included=True))
        return value

    def offer_utility(self, offer: str) -> float:
        """Logit utility (utils) of a competing offer."""
        return self.offers[offer]


def _mixed_draws(base: ChoiceModel, n: int, cv: float, sd: float) -> list[tuple[float, float]]:
    """(price_sensitivity, asc) at n equal-probability normal quantiles (deterministic).

    Price sensitivity is log-normal with the segment's value as mean and coefficient of
    variation ``cv``; the constant is normal with standard deviation ``sd``. The constant's
    quantiles are taken in a fixed golden-ratio scrambled order so the two are not
    perfectly correlated.
    """
    unit = NormalDist()
    q = [unit.inv_cdf((k + 0.5) / n) for k in range(n)]
    sigma = math.sqrt(math.log1p(cv * cv))
    order = sorted(range(n), key=lambda k: (k * 0.6180339887498949) % 1.0)
    return [
        (
            base.price_sensitivity * math.exp(sigma * q[k] - sigma * sigma / 2),
            base.asc + sd * q[order[k]],
        )
        for k in range(n)
    ]


def segment_classes(sid: str, seg: Segment, currency: str) -> list[FiguresClass]:
    """The `FiguresClass` es of one scenario segment (one, its latent classes, or draws)."""
    per_major = minor_per_major(currency)
    payg = {m: u.payg for m, u in seg.usage.items()}
    bundle = {m: (u.payg if u.bundle is None else u.bundle) for m, u in seg.usage.items()}
    ch = seg.choice

    def make(
        name: str,
        weight: float,
        beta: float,
        asc: float,
        taste: Mapping[str, float],
        offers: Mapping[str, float],
    ) -> FiguresClass:
        return FiguresClass(
            sid,
            name,
            seg.size * weight,
            beta / per_major,
            asc,
            dict(taste),
            dict(offers),
            payg,
            bundle,
        )

    if seg.classes is not None:
        return [
            make(
                c.name,
                c.weight,
                ch.price_sensitivity if c.price_sensitivity is None else c.price_sensitivity,
                ch.asc if c.asc is None else c.asc,
                {**ch.taste, **(c.taste or {})},
                {**ch.offers, **(c.offers or {})},
            )
            for c in seg.classes
        ]
    if seg.mixed is not None:
        n = seg.mixed.draws
        draws = _mixed_draws(ch, n, seg.mixed.price_sensitivity_cv, seg.mixed.asc_sd)
        return [
            make(f"draw{k + 1}", 1.0 / n, beta, asc, ch.taste, ch.offers)
            for k, (beta, asc) in enumerate(draws)
        ]
    return [make("", 1.0, ch.price_sensitivity, ch.asc, ch.taste, ch.offers)]


def demand_from_scenario(scenario: Scenario) -> list[FiguresClass]:
    """Every demand class of a scenario, segment by segment in file order."""
    return [
        c
        for sid, seg in scenario.segments.items()
        for c in segment_classes(sid, seg, scenario.currency)
    ]


def offer_includes(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Units included per mode by each competing offer (``math.inf`` = unlimited)."""
    return {
        oid: {m: v for m, lv in o.includes.items() if (v := level_value(lv)) > 0}
        for oid, o in scenario.offers.items()
    }
