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

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Sequence

import numpy as np

# ISO 4217 minor-unit exponents that differ from 2.
_EXPONENT = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

_QUANT = {0: Decimal(1), 2: Decimal("0.01"), 3: Decimal("0.001")}

# ISO 4217 active alphabetic codes (list one, as published by the maintenance agency, SIX), with the
# fund and precious-metal codes a billing desk never invoices in left out.
ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD
HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VED VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
""".split())

# No amount in a billing workbook comes near this; beyond it Decimal arithmetic would lose digits.
HARD_LIMIT = Decimal(10) ** 15


# Withdrawn codes (ISO 4217 list three) that old statements still carry, e.g. DEM in MT940 samples.
ISO_4217_HISTORIC = frozenset("""
ATS BEF CYP DEM EEK ESP FIM FRF GRD HRK IEP ITL LTL LUF LVL MTL NLG PTE SIT SKK XEU
""".split())


def is_currency(code: str, *, historic: bool = False) -> bool:
    """True for an ISO 4217 code in use (``EUR``, ``JPY``), or once in use with ``historic``; any case."""
    c = (code or "").strip().upper()
    return c in ISO_4217 or (historic and c in ISO_4217_HISTORIC)


class MoneyError(ValueError):
    """A value that cannot be read as an amount of money."""


def exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (ISO 4217)."""
    return _EXPONENT.get((currency or "").upper(), 2)


def round_half_up(value: Decimal, exp: int = 2) -> int:
    """``value`` (major units) rounded half-up to minor units, as an int."""
    return int((value * (10 ** exp)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def minor_from_decimal(value: Decimal, exp: int = 2, shown: object = None, *, vanishing_ok: bool = True) -> int:
    """Minor units of ``value``; refused when not finite or absurdly large, and (for a value from a cell or
    a file, ``vanishing_ok=False``) when it is not zero but rounds to 0, which would drop it unseen."""
    shown = value if shown is None else shown
    if not value.is_finite():
        raise MoneyError(f"{shown!r} is not a finite amount")
    if abs(value) >= HARD_LIMIT:
        raise MoneyError(f"{shown!r} is not a plausible amount (1,000,000,000,000,000 or more)")
    minor = round_half_up(value, exp)
    if minor == 0 and value != 0 and not vanishing_ok:
        raise MoneyError(f"{shown!r} rounds to 0 at {exp} decimals: not an amount that can be posted")
    return minor


@lru_cache(maxsize=1 << 16)
def _minor_from_float(value: float, exp: int) -> int:
    # repr() gives the shortest decimal that round-trips: the number the cell shows.
    return minor_from_decimal(Decimal(repr(value)), exp, value, vanishing_ok=False)


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


# Below this many minor units a float holds every decimal of its magnitude to well within half a
# minor unit (see exact_minor); it is also below HARD_LIMIT in every exponent.
_EXACT_BELOW = 2 ** 49


def exact_minor(values: Sequence[object], exp: "int | np.ndarray") -> tuple[np.ndarray, np.ndarray]:
    """A column of cells as minor units at once, where that is provably what :func:`to_minor` gives.

    ``exp`` is the exponent of every cell's currency (one int, or one per cell).  Returns the minor
    units (int64) and a mask of the cells they are right for; every other cell (not a float, NaN,
    too many decimals, huge...) must still go through :func:`to_minor`, which names it.

    Why a float cell ``v`` with ``m = round(v * 10**e)`` is ``to_minor(v, e) == m`` when
    ``|m| < 2**49`` and ``m / 10**e == v`` (IEEE division, correctly rounded):

    - ``m`` and ``10**e`` are integers below 2**53, so exact floats; the division is then the float
      nearest the decimal ``d = m / 10**e`` (at most ``e`` places).  It equals ``v``, so ``d`` rounds
      to ``v``: ``|d - v| <= ulp(v) / 2``.
    - ``to_minor`` rounds ``s = Decimal(repr(v))`` half-up to ``e`` places; ``repr`` gives a decimal
      that also rounds to ``v``, so ``|s - v| <= ulp(v) / 2`` and ``|s - d| <= ulp(v)``.
    - ``|v| <= |d| (1 + 2**-53) < 2**50 / 10**e``, so ``ulp(v) <= 2**-52 |v| < 0.25 * 10**-e``:
      ``s`` lies strictly within a quarter minor unit of ``d``, which is a whole number of minor
      units, so ``s`` rounds to the nearest minor unit, ``m``, with no tie to break.
    - ``|s| < |d| + 10**-e <= 2**49 / 10**e < 10**15`` (HARD_LIMIT), and ``m == 0`` only when ``v == 0``, so
      ``to_minor`` refuses none of these cells.

    How ``m`` was found does not matter (numpy's half-even rounding of ``v * 10**e``): a wrong
    ``m`` fails the check and its cell goes to :func:`to_minor`.
    """
    if set(map(type, values)) == {float}:
        x = np.array(values, dtype=np.float64)
    else:
        x = np.fromiter((v if type(v) is float else np.nan for v in values), np.float64, len(values))
    scale = np.power(10.0, exp)
    with np.errstate(invalid="ignore", over="ignore"):
        m = np.round(x * scale)
        ok = (np.abs(m) < _EXACT_BELOW) & (m / scale == x)
    return np.where(ok, m, 0).astype(np.int64), ok


# What an amount in a file may look like: digits, thousands grouped by threes, one decimal mark.
_PLAIN = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
_GROUPED = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$")
_GROUPED_COMMA = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?$")
_PLAIN_COMMA = re.compile(r"^[0-9]+(?:,[0-9]+)?$")


def parse_amount(text: str, exp: int = 2, *, decimal_comma: bool = False) -> int:
    """Money from text in a file (CSV, XML): '1,234.56', '-12.5', '1.234,56' with decimal_comma.

    Only ASCII digits, thousands separators in groups of three and one
    decimal mark are read: '12,34' where the dot is the decimal mark, '1e3',
    '1_000' and digits of other scripts are refused, naming the text.
    """
    s = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("-"):
        negative, s = True, s[:-1]
    elif s.startswith(("-", "+")):
        negative, s = s[0] == "-", s[1:]
    if decimal_comma:
        ok = _PLAIN_COMMA.match(s) or _GROUPED_COMMA.match(s)
        s = s.replace(".", "").replace(",", ".")
    else:
        ok = _PLAIN.match(s) or _GROUPED.match(s)
        s = s.replace(",", "")
    if not ok:
        mark = "comma" if decimal_comma else "dot"
        raise MoneyError(f"{text!r} is not an amount written with a decimal {mark} (digits 0-9, thousands in "
                         "groups of three)")
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise MoneyError(f"{text!r} is not an amount") from None
    minor = minor_from_decimal(d, exp, text, vanishing_ok=False)
    return -minor if negative else minor


def to_decimal(minor: int, exp: int = 2) -> Decimal:
    """Exact decimal value of an amount in minor units, for writing out."""
    return Decimal(minor).scaleb(-exp)


def fmt(minor: int, exp: int = 2) -> str:
    """'1,234.56' (with a leading minus when negative), for messages and reports."""
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 10 ** exp)
    return f"{sign}{units:,}.{cents:0{exp}d}" if exp else f"{sign}{units:,}"
