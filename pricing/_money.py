"""Money at the boundaries: ISO 4217 codes, major units in scenario files, cents inside.

Scenario files let an analyst write prices in major units (``49.00`` euros). They are
converted here, once, to integer minor units (cents) for whole prices, or to float
minor units for per-unit rates (a per-minute price of 0.045 EUR is 4.5 cents).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

#: ISO 4217 minor-unit exponents for the currencies a scenario may use.
MINOR_UNIT_EXPONENT: dict[str, int] = {
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "CZK": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "HUF": 2,
    "ISK": 0,
    "JPY": 0,
    "KRW": 0,
    "NOK": 2,
    "NZD": 2,
    "PLN": 2,
    "SEK": 2,
    "SGD": 2,
    "USD": 2,
}


def minor_per_major(currency: str) -> int:
    """How many minor units make one major unit (100 for EUR, 1 for JPY)."""
    return int(10 ** MINOR_UNIT_EXPONENT[currency])


def to_minor(amount_major: float, currency: str) -> int:
    """A whole price in major units -> integer minor units (banker's rounding of the text).

    ``to_minor(49.0, "EUR") == 4900``.
    """
    scaled = Decimal(str(amount_major)) * minor_per_major(currency)
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def rate_to_minor(rate_major: float, currency: str) -> float:
    """A per-unit rate in major units -> float minor units (may be a fraction of a cent)."""
    return float(Decimal(str(rate_major)) * minor_per_major(currency))
