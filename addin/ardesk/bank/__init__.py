"""Bank statement and card-processor importers.

``read_statement(path)`` detects the format (or takes ``fmt``) and returns a
:class:`~ardesk.bank.model.Statement`; a broken file raises
:class:`~ardesk.bank.model.BankFileError` naming the line or element.
"""
from __future__ import annotations

from pathlib import Path

from .model import BankFileError, BankLine, Statement, check_balances, fingerprint_lines

__all__ = ["BankFileError", "BankLine", "Statement", "read_statement", "check_balances", "fingerprint_lines"]


def read_statement(path: str | Path, fmt: str | None = None, currency: str = "EUR") -> Statement:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BankFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if fmt in (None, "simple", "csv"):
        from . import simplecsv
        return simplecsv.read(path, text, currency)
    raise BankFileError(f"{path.name}: unknown format {fmt!r}")
