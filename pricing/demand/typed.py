"""The demand side behind one small interface: classes of travellers with usage and utilities.

`DemandClass` is all the optimiser asks of demand: a weighted group of travellers
(``size``), its monthly usage of each mode with and without the mode in a bundle, its
logit utility of a bundle at a price and of each competing offer, and its price
sensitivity (to turn utils into money for consumer surplus). The pay-as-you-go
alternative has utility 0.

`FiguresClass` implements it from the figures written in a scenario file: typed usage
and tastes, or ``derived`` figures per bundle and offer (usage while subscribed and the
product's money value), which is what planning a trip diary produces
(`maasmix.pricing.demand.diaries`): a diary segment is optimised as the plain segment its
planning wrote, so the bridge adds no modelling the file does not show.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Protocol, runtime_checkable

from maasmix.errors import ScenarioError
from maasmix.money import minor_per_major, to_minor
from maasmix.pricing.scenario import ChoiceModel, Scenario, Segment
from maasmix.pricing.scenario.candidates import level_value


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

    def usage_with(self, mode: str, includes: Mapping[str, float]) -> float:
        """Monthly units of ``mode`` per traveller holding a product that includes
        ``includes`` units per mode (``{}``: paying as you go)."""

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
    derived: Mapping[ProductKey, DerivedFigures] = field(default_factory=dict)
    offer_keys: Mapping[str, ProductKey] = field(default_factory=dict)
    offer_prices: Mapping[str, float] = field(default_factory=dict)

    def usage(self, mode: str, *, included: bool) -> float:
        """Monthly units of ``mode`` per traveller (0 for a mode the segment never uses)."""
        if included:
            return self.usage_bundle.get(mode, self.usage_payg.get(mode, 0.0))
        return self.usage_payg.get(mode, 0.0)

    def usage_with(self, mode: str, includes: Mapping[str, float]) -> float:
        """Derived usage for this product when there is one, else typed usage."""
        figures = self.derived.get(product_key(includes)) if includes else None
        if figures is not None:
            return figures.usage.get(mode, 0.0)
        return self.usage(mode, included=includes.get(mode, 0.0) > 0)

    def bundle_utility(self, includes: Mapping[str, float], price_minor: float) -> float:
        """Logit utility (utils) of a bundle at ``price_minor`` per month."""
        value = self.asc - self.price_sensitivity * price_minor
        figures = self.derived.get(product_key(includes))
        if figures is not None:
            return value + self.price_sensitivity * figures.value_minor
        for mode, level in includes.items():
            if level > 0:
                value += self.taste.get(mode, 0.0) * min(level, self.usage(mode, included=True))
        return value

    def offer_utility(self, offer: str) -> float:
        """Logit utility (utils) of a competing offer (typed, plus its derived value less
        its price when the offer's use was derived)."""
        key = self.offer_keys.get(offer)
        figures = self.derived.get(key) if key is not None else None
        typed = self.offers.get(offer, 0.0)
        if figures is None:
            return self.offers[offer]
        return typed + self.price_sensitivity * (figures.value_minor - self.offer_prices[offer])


ProductKey = tuple[tuple[str, float], ...]
"""What a bundle or offer includes, as sorted (mode, level) pairs of positive levels."""


def product_key(includes: Mapping[str, float]) -> ProductKey:
    """The `ProductKey` of ``includes`` (levels of 0 dropped; ``math.inf`` = unlimited)."""
    return tuple(sorted((m, float(v)) for m, v in includes.items() if v > 0))


@dataclass(frozen=True)
class DerivedFigures:
    """Usage per mode while holding a product, and its value in minor units per month."""

    usage: Mapping[str, float]
    value_minor: float


def derived_figures(
    scenario: Scenario, seg: Segment
) -> tuple[dict[ProductKey, DerivedFigures], dict[str, ProductKey]]:
    """A segment's ``derived`` figures keyed by what each named product includes, and the
    key of every offer.

    Raises
    ------
    ScenarioError
        A name in ``derived`` is neither a candidate bundle nor an offer.
    """
    from maasmix.pricing.scenario.candidates import candidate_bundles

    includes: dict[str, dict[str, float]] = {
        b.name: dict(b.includes) for b in candidate_bundles(scenario)
    }
    offers = offer_includes(scenario)
    for oid, inc in offers.items():
        includes.setdefault(oid, inc)
    offer_keys = {oid: product_key(inc) for oid, inc in offers.items()}
    # a generated name in another mode order ("bike:60+transit:unlimited") names the same
    by_parts = {frozenset(name.split("+")): name for name in includes}
    per_major = minor_per_major(scenario.currency)
    out: dict[ProductKey, DerivedFigures] = {}
    for written, figures in (seg.derived or {}).items():
        name = written if written in includes else by_parts.get(frozenset(written.split("+")), "")
        if not name:
            sid = next(k for k, v in scenario.segments.items() if v is seg)
            raise ScenarioError(
                f"{written!r} is neither a candidate bundle nor an offer",
                field=f"segments.{sid}.derived.{written}",
            )
        out[product_key(includes[name])] = DerivedFigures(
            dict(figures.usage), figures.value * per_major
        )
    return out, offer_keys


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


def segment_classes(
    sid: str, seg: Segment, currency: str, scenario: Scenario | None = None
) -> list[FiguresClass]:
    """The `FiguresClass` es of one scenario segment (one, its latent classes, or draws).

    ``scenario`` is needed when the segment has ``derived`` figures (to key them by what
    each product includes).

    Raises
    ------
    ScenarioError
        The segment is described by a diary that was not planned yet (plan it with
        `maasmix.pricing.demand.diaries.derive_demand`).
    """
    if seg.diary is not None or seg.usage is None or seg.size is None:
        raise ScenarioError(
            "the segment's diary must be planned first (maasmix bundles demand)",
            field=f"segments.{sid}.diary",
        )
    per_major = minor_per_major(currency)
    payg = {m: u.payg for m, u in seg.usage.items()}
    bundle = {m: (u.payg if u.bundle is None else u.bundle) for m, u in seg.usage.items()}
    derived: dict[ProductKey, DerivedFigures] = {}
    offer_keys: dict[str, ProductKey] = {}
    offer_prices: dict[str, float] = {}
    if seg.derived is not None:
        if scenario is None:
            raise ScenarioError("derived figures need their scenario", field=f"segments.{sid}")
        derived, offer_keys = derived_figures(scenario, seg)
        offer_prices = {
            oid: float(to_minor(o.price, currency)) for oid, o in scenario.offers.items()
        }
    size = seg.size
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
            size * weight,
            beta / per_major,
            asc,
            dict(taste),
            dict(offers),
            payg,
            bundle,
            derived,
            offer_keys,
            offer_prices,
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
        for c in segment_classes(sid, seg, scenario.currency, scenario)
    ]


def offer_includes(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Units included per mode by each competing offer (``math.inf`` = unlimited)."""
    return {
        oid: {m: v for m, lv in o.includes.items() if (v := level_value(lv)) > 0}
        for oid, o in scenario.offers.items()
    }
