"""The JSON shape of money and emissions on plans (`maasmix.engine.plan_money`).

A leg gets ``fare`` (``price``: amounts charged at this leg; ``priced``: False when no
fare rule or pricing plan gives it; ``fareProducts``: the product use ids it rides on;
``outOfPocket`` / ``covered``: the traveller's part and the bundle's; ``rule``) and
``co2e`` (grams). An itinerary gets ``fareProducts`` (each product use once, with the
leg indices that ride on it, as OpenTripPlanner's ``fareProducts``), ``fare`` (totals per
currency, never added across currencies) and ``co2e``. Amounts: ``amountMinor`` (integer
minor units), ``currency`` (ISO 4217) and ``text`` (``"2.50 EUR"``).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from maasmix.engine.fares import FareProductUse
from maasmix.engine.plan_money import ItineraryMoney, LegMoney, fare_text
from maasmix.money import Money

__all__ = [
    "FareProductOut",
    "ItineraryFareOut",
    "LegFareOut",
    "MoneyOut",
    "fare_products_out",
    "itinerary_fare_out",
    "leg_fare_out",
    "money_out",
]


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class MoneyOut(_Out):
    """An amount of one currency."""

    amount_minor: int = Field(alias="amountMinor", description="integer minor units")
    currency: str = Field(description="ISO 4217 code")
    text: str = Field(description="e.g. 2.50 EUR")


class LegFareOut(_Out):
    """What one leg costs and who pays it."""

    price: list[MoneyOut] = Field(
        description="charged at this leg (empty: nothing, or unknown when not priced)"
    )
    priced: bool = Field(description="False: no fare rule or pricing plan gives the price")
    status: str = Field(description="priced, free, or unpriced (the price is unknown)")
    fare_products: list[str] = Field(alias="fareProducts", description="product use ids")
    out_of_pocket: list[MoneyOut] = Field(alias="outOfPocket")
    covered: list[MoneyOut] = Field(description="the part the bundle covers")
    rule: str | None = Field(None, description="the bundle rule applied")
    pricing_plan_id: str | None = Field(None, alias="pricingPlanId")


class FareProductOut(_Out):
    """One use of a fare product (OTP's fareProducts), listed once per itinerary."""

    id: str = Field(description="use id, referenced by the legs' fareProducts")
    product_id: str = Field(alias="productId")
    name: str
    price: MoneyOut
    legs: list[int] = Field(description="indices of the legs that ride on it")
    rider_category_id: str | None = Field(None, alias="riderCategoryId")
    fare_media_id: str | None = Field(None, alias="fareMediaId")


class ItineraryFareOut(_Out):
    """An itinerary's money, per currency."""

    totals: list[MoneyOut]
    out_of_pocket: list[MoneyOut] = Field(alias="outOfPocket")
    covered: list[MoneyOut]
    complete: bool = Field(description="False: some leg's price is unknown")
    unpriced_legs: list[int] = Field(alias="unpricedLegs")
    status: str = Field(
        description="priced, free, unpriced (no leg's price known, totals empty) or "
        "partly-unpriced (totals hold the priced legs only)"
    )
    text: str = Field(description='the total as shown: "2.80 EUR", "free", "unpriced", ...')


def money_out(m: Money) -> MoneyOut:
    """One amount."""
    return MoneyOut(amountMinor=m.amount_minor, currency=m.currency, text=str(m))


def _many(items: Iterable[Money]) -> list[MoneyOut]:
    return [money_out(m) for m in items]


def leg_fare_out(lm: LegMoney) -> LegFareOut:
    """The ``fare`` member of a leg."""
    return LegFareOut(
        price=_many(lm.price),
        priced=lm.priced,
        status="unpriced" if not lm.priced else "priced" if lm.price else "free",
        fareProducts=list(lm.fare_products),
        outOfPocket=_many(lm.out_of_pocket),
        covered=_many(lm.covered),
        rule=lm.rule or None,
        pricingPlanId=lm.pricing_plan_id,
    )


def fare_products_out(products: Iterable[FareProductUse]) -> list[FareProductOut]:
    """The itinerary's product uses."""
    return [
        FareProductOut(
            id=u.use_id,
            productId=u.product_id,
            name=u.name,
            price=money_out(u.amount),
            legs=list(u.legs),
            riderCategoryId=u.rider_category_id or None,
            fareMediaId=u.fare_media_id or None,
        )
        for u in products
    ]


def itinerary_fare_out(m: ItineraryMoney) -> ItineraryFareOut:
    """The ``fare`` member of an itinerary."""
    return ItineraryFareOut(
        totals=_many(m.totals),
        outOfPocket=_many(m.out_of_pocket),
        covered=_many(m.covered),
        complete=m.complete,
        unpricedLegs=list(m.unpriced),
        status=m.status,
        text=fare_text(m.totals, len(m.unpriced)),
    )
