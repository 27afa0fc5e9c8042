"""Money: ISO 4217 currencies and integer minor units.

Exponents come from the ISO 4217 list as packaged by `iso4217` (maintained, dated
releases), not from a hand table: BRL and EUR have 2 decimals, JPY 0, KWD 3. Amounts
cross public boundaries as integer minor units plus the currency code; per-unit rates
(0.045 EUR a minute) may be fractions of a minor unit, as floats.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from iso4217 import Currency

__all__ = [
    "Money",
    "currency_codes",
    "currency_exponent",
    "format_minor",
    "is_currency",
    "minor_per_major",
    "rate_to_minor",
    "to_minor",
]


@functools.cache
def currency_exponent(code: str) -> int:
    """Decimals of the ISO 4217 currency ``code`` (2 for EUR and BRL, 0 JPY, 3 KWD).

    Raises
    ------
    ValueError
        Not an active ISO 4217 code, or a code without minor units (XAU, XDR, ...).
    """
    try:
        exponent = Currency(str(code)).exponent
    except ValueError:
        raise ValueError(f"not an ISO 4217 currency code: {code!r}") from None
    if exponent is None:
        raise ValueError(f"{code} has no minor unit (not a currency for prices)")
    return int(exponent)


def is_currency(code: object) -> bool:
    """Whether ``code`` is an ISO 4217 code usable for prices."""
    try:
        currency_exponent(str(code))
    except ValueError:
        return False
    return True


@functools.cache
def currency_codes() -> tuple[str, ...]:
    """Every code `is_currency` accepts, sorted (the active ISO 4217 codes with a minor
    unit; the scenario JSON Schema's ``currency`` enum)."""
    return tuple(sorted({c.value for c in Currency if is_currency(c.value)}))


def minor_per_major(currency: str) -> int:
    """How many minor units make one major unit (100 for EUR, 1 for JPY, 1000 for KWD)."""
    return 10 ** currency_exponent(currency)


def to_minor(amount_major: float | str | Decimal, currency: str) -> int:
    """A whole price in major units -> integer minor units (banker's rounding of the text).

    ``to_minor(49.0, "EUR") == 4900``; ``to_minor("1.234", "KWD") == 1234``.

    Raises
    ------
    ValueError
        Not a finite number, or not a currency.
    """
    try:
        scaled = Decimal(str(amount_major)) * minor_per_major(currency)
        return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    except (InvalidOperation, OverflowError):
        raise ValueError(f"not a finite amount: {amount_major!r}") from None


def rate_to_minor(rate_major: float | str | Decimal, currency: str) -> float:
    """A per-unit rate in major units -> float minor units (may be a fraction of a cent)."""
    try:
        return float(Decimal(str(rate_major)) * minor_per_major(currency))
    except InvalidOperation:
        raise ValueError(f"not a finite rate: {rate_major!r}") from None


def format_minor(amount_minor: int, currency: str, *, grouping: bool = True) -> str:
    """``"12.50 EUR"``, ``"1,250 JPY"``, ``"1.234 KWD"`` from integer minor units."""
    exponent = currency_exponent(currency)
    value = Decimal(int(amount_minor)).scaleb(-exponent)
    text = f"{value:,.{exponent}f}" if grouping else f"{value:.{exponent}f}"
    return f"{text} {currency}"


@dataclass(frozen=True, order=True)
class Money:
    """An amount in integer minor units of one ISO 4217 currency.

    Adding two amounts of different currencies raises `ValueError`: they are listed
    side by side, never summed.
    """

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        currency_exponent(self.currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __str__(self) -> str:
        return format_minor(self.amount_minor, self.currency)
