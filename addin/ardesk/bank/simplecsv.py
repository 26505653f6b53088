"""The plain bank CSV: a header row with date, amount, payer, reference.

Dates are ISO (YYYY-MM-DD); amounts use a decimal point and may be signed.
Optional columns: account (the counterparty's), currency.  This is the
built-in "simple" column-mapping profile; other bank layouts are read through
their own profiles (:mod:`ardesk.bank.csvprofile`).
"""
from __future__ import annotations

from typing import Iterable, Iterator

from .common import Item
from .csvprofile import BUILTIN_PROFILES, stream as stream_with_profile

FORMAT = "ardesk simple CSV (date, amount, payer, reference)"
REQUIRED = ("date", "amount", "payer", "reference")


def stream(name: str, lines: Iterable[str], currency: str = "EUR") -> Iterator[Item]:
    return stream_with_profile(name, lines, BUILTIN_PROFILES["simple"], currency, fmt=FORMAT)
