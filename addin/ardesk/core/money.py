"""Money in integer minor units (cents), and the one place outside values become money.

Every amount in the core is an ``int`` count of the currency's minor unit
(cents for EUR/USD, yen for JPY).  Values arrive from cells, CSV and XML as
floats, Decimals, ints or text; they are turned into minor units here, once,
rounding half-up (the rule invoices use) on the *decimal* value the clerk sees:
a cell showing 1.005 is 1.01, not the 1.00 that binary floating point and
Python's half-even ``round`` would give.

Going out, :func:`to_decimal` gives an exact ``Decimal`` for the workbook.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

# ISO 4217 minor-unit exponents that differ from 2.
_EXPONENT = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

_QUANT = {0: Decimal(1), 2: Decimal("0.01"), 3: Decimal("0.001")}


class MoneyError(ValueError):
    """A value that cannot be read as an amount of money."""


def exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (ISO 4217)."""
    return _EXPONENT.get((currency or "").upper(), 2)


def round_half_up(value: Decimal, exp: int = 2) -> int:
    """``value`` (major units) rounded half-up to minor units, as an int."""
    return int((value * (10 ** exp)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def minor_from_decimal(value: Decimal, exp: int = 2) -> int:
    if not value.is_finite():
        raise MoneyError(f"{value} is not a finite amount")
    return round_half_up(value, exp)


@lru_cache(maxsize=1 << 16)
def _minor_from_float(value: float, exp: int) -> int:
    # repr() gives the shortest decimal that round-trips: the number the cell shows.
    return minor_from_decimal(Decimal(repr(value)), exp)


def to_minor(value: object, exp: int = 2) -> int:
    """Money from a cell value: int, float or Decimal.  Text and booleans are refused.

    Raises MoneyError naming the value.
    """
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"{value!r} is not an amount")
    if isinstance(value, int):
        return value * (10 ** exp)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MoneyError(f"{value!r} is not a finite amount")
        return _minor_from_float(value, exp)
    if isinstance(value, Decimal):
        return minor_from_decimal(value, exp)
    raise MoneyError(f"{value!r} is text, not an amount")


def parse_amount(text: str, exp: int = 2, *, decimal_comma: bool = False) -> int:
    """Money from text in a file (CSV, XML): '1,234.56', '-12.5', '1.234,56' with decimal_comma."""
    s = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if decimal_comma:
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("-"):
        negative, s = True, s[:-1]
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise MoneyError(f"{text!r} is not an amount") from None
    minor = minor_from_decimal(d, exp)
    return -minor if negative else minor


def to_decimal(minor: int, exp: int = 2) -> Decimal:
    """Exact decimal value of an amount in minor units, for writing out."""
    return Decimal(minor).scaleb(-exp)


def fmt(minor: int, exp: int = 2) -> str:
    """'1,234.56' (with a leading minus when negative), for messages and reports."""
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 10 ** exp)
    return f"{sign}{units:,}.{cents:0{exp}d}" if exp else f"{sign}{units:,}"
