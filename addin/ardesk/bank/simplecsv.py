"""The plain bank CSV: a header row with date, amount, payer, reference.

Dates are ISO (YYYY-MM-DD); amounts use a decimal point and may be signed.
Other bank layouts are read through saved column-mapping profiles.
"""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from ..core.money import MoneyError, exponent, parse_amount
from .model import BankFileError, BankLine, Statement, fingerprint_lines

FORMAT = "ardesk simple CSV (date, amount, payer, reference)"
REQUIRED = ("date", "amount", "payer", "reference")


def read(path: Path, text: str, currency: str = "EUR") -> Statement:
    rows = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        raise BankFileError(f"{path.name}: the file is empty") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BankFileError(f"{path.name} line 1: missing column(s) {', '.join(missing)} "
                            f"(found: {', '.join(header)})")
    ix = {c: header.index(c) for c in header}
    e = exponent(currency)
    lines = []
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise BankFileError(f"{path.name} line {n}: {len(row)} fields, expected {len(header)}: {row!r}")
        raw_date, raw_amount = row[ix["date"]].strip(), row[ix["amount"]].strip()
        try:
            d = date.fromisoformat(raw_date)
        except ValueError:
            raise BankFileError(f"{path.name} line {n}, column date: {raw_date!r} is not a date (YYYY-MM-DD)") from None
        try:
            amount = parse_amount(raw_amount, e)
        except MoneyError:
            raise BankFileError(f"{path.name} line {n}, column amount: {raw_amount!r} is not an amount") from None
        cur = row[ix["currency"]].strip().upper() if "currency" in ix and row[ix["currency"]].strip() else currency
        lines.append(BankLine(
            booking_date=d, amount=amount, currency=cur,
            payer=row[ix["payer"]].strip(), reference=row[ix["reference"]].strip(),
            payer_account=row[ix["account"]].strip() if "account" in ix else "",
            source=path.name, line_no=n))
    return Statement(source=path.name, format=FORMAT, account="", currency=currency,
                     lines=fingerprint_lines(lines))
