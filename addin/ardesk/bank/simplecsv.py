"""The plain bank CSV: a header row with date, amount, payer, reference.

Dates are ISO (YYYY-MM-DD); amounts use a decimal point and may be signed.
Optional columns: account (the counterparty's), currency.  This is the
built-in "simple" column-mapping profile; other bank layouts are read through
their own profiles (:mod:`ardesk.bank.csvprofile`).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .csvprofile import BUILTIN_PROFILES, read as read_with_profile
from .model import Statement

FORMAT = "ardesk simple CSV (date, amount, payer, reference)"
REQUIRED = ("date", "amount", "payer", "reference")


def read(path: Path, text: str, currency: str = "EUR") -> Statement:
    st = read_with_profile(path, text, BUILTIN_PROFILES["simple"], currency)
    return replace(st, format=FORMAT)
