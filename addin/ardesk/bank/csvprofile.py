"""Bank CSV exports read through saved column-mapping profiles.

Every bank lays out its CSV export differently, so a :class:`CsvProfile` says
how to read one bank's file: delimiter, encoding, date format(s), decimal comma,
whether there is a header row and how many lines come before it, which column
holds the date, the amount (or separate debit and credit columns), the payer,
the reference, the text and the counterparty account, and how amounts are
signed.  Columns are named by their header text, or by 1-based position
("1", "2", ...) when the file has no header row.

A few profiles are built in (:data:`BUILTIN_PROFILES`); a clerk's own profiles
live in a JSON file read by :func:`load_profiles`::

    {"profiles": [{"name": "mybank", "delimiter": ";", "decimal_comma": true,
                   "date_formats": ["%d.%m.%Y"], "date_column": "Buchungstag",
                   "amount_column": "Betrag", "payer_column": "Name"}]}

Amounts are read with :func:`ardesk.core.money.parse_amount` (half-up to the
currency's minor unit); no amount passes through a float.
"""
from __future__ import annotations

import csv
import functools
import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..core.money import MoneyError, exponent, parse_amount
from .common import Item, join_texts
from .model import BankFileError, BankLine, Statement

SIGN_CONVENTIONS = ("signed", "inverted", "direction")


class ProfileError(ValueError):
    """A column-mapping profile that cannot be used; the message names the setting and value."""


@dataclass(frozen=True)
class CsvProfile:
    name: str
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    decimal_comma: bool = False
    header_row: bool = True           # the first line read is a header
    skip_rows: int = 0                # lines before the header (or the first data line)
    date_column: str = "date"
    amount_column: str = ""           # one signed amount column ...
    debit_column: str = ""            # ... or money out and money in in two columns
    credit_column: str = ""
    payer_column: str = ""
    reference_column: str = ""
    text_columns: tuple[str, ...] = ()
    account_column: str = ""          # counterparty account / IBAN
    currency_column: str = ""
    value_date_column: str = ""
    bank_ref_column: str = ""
    check_no_column: str = ""
    sign: str = "signed"              # signed: as written; inverted: money in is negative in the file;
                                      # direction: sign taken from direction_column
    direction_column: str = ""
    debit_values: tuple[str, ...] = ("D", "DR", "DEBIT", "AF", "S", "-")
    currency: str = ""                # currency when the file has no currency column
    our_account: str = ""             # the account the export is for, for fingerprints

    def __post_init__(self) -> None:
        if not self.name:
            raise ProfileError("a profile needs a name")
        if self.sign not in SIGN_CONVENTIONS:
            raise ProfileError(f"profile {self.name}: sign {self.sign!r} is not one of {', '.join(SIGN_CONVENTIONS)}")
        if not self.amount_column and not (self.debit_column and self.credit_column):
            raise ProfileError(f"profile {self.name}: needs amount_column, or both debit_column and credit_column")
        if self.sign == "direction" and not self.direction_column:
            raise ProfileError(f"profile {self.name}: sign 'direction' needs direction_column")
        if len(self.delimiter) != 1:
            raise ProfileError(f"profile {self.name}: delimiter {self.delimiter!r} is not one character")
        if self.skip_rows < 0:
            raise ProfileError(f"profile {self.name}: skip_rows {self.skip_rows!r} is negative")
        if not self.date_formats:
            raise ProfileError(f"profile {self.name}: date_formats is empty")

    @property
    def required_columns(self) -> tuple[str, ...]:
        cols = [self.date_column]
        cols += [self.amount_column] if self.amount_column else [self.debit_column, self.credit_column]
        if self.sign == "direction":
            cols.append(self.direction_column)
        return tuple(cols)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CsvProfile:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ProfileError(f"profile {data.get('name', '?')}: unknown setting(s) {', '.join(unknown)}")
        values = dict(data)
        for key in ("date_formats", "text_columns", "debit_values"):
            if key in values:
                v = values[key]
                values[key] = (v,) if isinstance(v, str) else tuple(v)
        return cls(**values)


BUILTIN_PROFILES: dict[str, CsvProfile] = {p.name: p for p in (
    # The plain ardesk CSV: date, amount, payer, reference (ISO dates, decimal point).
    CsvProfile(name="simple", date_column="date", amount_column="amount", payer_column="payer",
               reference_column="reference", account_column="account", currency_column="currency"),
    # Continental European export: semicolons, decimal comma, day-first dates.
    CsvProfile(name="european", delimiter=";", date_formats=("%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y"),
               decimal_comma=True, date_column="Booking date", value_date_column="Value date",
               amount_column="Amount", payer_column="Counterparty", account_column="IBAN",
               reference_column="Reference", text_columns=("Description",), currency_column="Currency"),
    # Debit and credit in separate columns, US dates.
    CsvProfile(name="debit-credit", date_formats=("%m/%d/%Y", "%Y-%m-%d"), date_column="Date",
               debit_column="Debit", credit_column="Credit", payer_column="Payee",
               reference_column="Reference", text_columns=("Description",), check_no_column="Check Number"),
)}


def load_profiles(path: str | Path) -> dict[str, CsvProfile]:
    """Profiles from the clerk's JSON file: ``{"profiles": [...]}``, a list, or ``{name: settings}``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{path}: cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{path.name} line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if isinstance(data, dict) and "profiles" in data:
        data = data["profiles"]
    if isinstance(data, dict):
        data = [{"name": k, **v} for k, v in data.items()]
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ProfileError(f"{path.name}: expected a list of profiles")
    out: dict[str, CsvProfile] = {}
    for d in data:
        try:
            p = CsvProfile.from_dict(d)
        except TypeError as exc:
            raise ProfileError(f"{path.name}: profile {d.get('name', '?')}: {exc}") from None
        except ProfileError as exc:
            raise ProfileError(f"{path.name}: {exc}") from None
        out[p.name] = p
    return out


def matches(profile: CsvProfile, text: str) -> bool:
    """True when the text's header row has every column the profile requires."""
    if not profile.header_row:
        return False
    # only the header line is read: detection tries every profile on the same file
    lines = (ln for ln in text.splitlines()[profile.skip_rows:] if ln.strip())
    first = next(lines, None)
    if first is None:
        return False
    header = next(csv.reader([first], delimiter=profile.delimiter), [])
    names = {h.strip().lower() for h in header}
    return all(c.lower() in names for c in profile.required_columns)


def _rows(name: str, lines: Iterable[str], profile: CsvProfile) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each record after the skipped lines, read as they come."""
    lines = iter(lines)
    for _ in zip(range(profile.skip_rows), lines):
        pass
    reader = csv.reader(lines, delimiter=profile.delimiter)
    try:
        for row in reader:
            yield profile.skip_rows + reader.line_num, row
    except csv.Error as exc:
        raise BankFileError(f"{name} line {profile.skip_rows + reader.line_num}: {exc}") from None


@functools.lru_cache(maxsize=4096)      # a statement's lines share a few dozen dates
def _parse_date(raw: str, formats: tuple[str, ...]) -> date:
    for f in formats:
        try:
            return datetime.strptime(raw, f).date()
        except ValueError:
            continue
    raise ValueError(raw)


def _cell(row: list[str], i: int | None) -> str:
    """The record's field at ``i`` (None: a column the profile does not map), stripped; "" past its end."""
    return row[i].strip() if i is not None and i < len(row) else ""


def _money(name: str, n: int, column: str, raw: str, e: int, decimal_comma: bool) -> int:
    if not raw:
        return 0
    try:
        return parse_amount(raw, e, decimal_comma=decimal_comma)
    except MoneyError:
        raise BankFileError(f"{name} line {n}, column {column}: {raw!r} is not an amount") from None


def _day(name: str, n: int, column: str, raw: str, formats: tuple[str, ...], required: bool) -> date | None:
    if not raw:
        if required:
            raise BankFileError(f"{name} line {n}, column {column}: no date")
        return None
    try:
        return _parse_date(raw, formats)
    except ValueError:
        raise BankFileError(f"{name} line {n}, column {column}: {raw!r} is not a date "
                            f"({' or '.join(formats)})") from None


def stream(name: str, lines: Iterable[str], profile: CsvProfile, currency: str = "EUR",
           fmt: str = "") -> Iterator[Item]:
    """Read a bank CSV with ``profile``, a record at a time; a bad row refuses the file, naming line,
    column and value.  Without a header row, columns are numbered from 1 and a record too short for
    a required column is refused with its line."""
    rows = _rows(name, lines, profile)
    if profile.header_row:
        first = next(rows, None)
        if first is None:
            raise BankFileError(f"{name}: the file is empty")
        header_line, header = first
        index = {h.strip().lower(): i for i, h in enumerate(header)}

        def col(column: str) -> int | None:
            return index.get(column.strip().lower()) if column else None
        found = ", ".join(index)
    else:
        header_line, found = 0, "columns numbered from 1"

        def col(column: str) -> int | None:
            c = column.strip()
            return int(c) - 1 if c.isdigit() and int(c) >= 1 else None

    missing = [c for c in profile.required_columns if col(c) is None]
    if missing:
        raise BankFileError(f"{name} line {header_line or 1}: missing column(s) {', '.join(missing)} for profile "
                            f"{profile.name} (found: {found})")
    default_ccy = (profile.currency or currency).upper()
    # every column's position found once, not per record
    required = [(c, col(c)) for c in profile.required_columns]
    at_date, at_value_date, at_currency = col(profile.date_column), col(profile.value_date_column), \
        col(profile.currency_column)
    at_amount, at_debit, at_credit = col(profile.amount_column), col(profile.debit_column), col(profile.credit_column)
    at_payer, at_reference, at_account = col(profile.payer_column), col(profile.reference_column), \
        col(profile.account_column)
    at_texts = [col(c) for c in profile.text_columns]
    at_bank_ref, at_check_no, at_direction = col(profile.bank_ref_column), col(profile.check_no_column), \
        col(profile.direction_column)
    formats = tuple(profile.date_formats)
    debit_flags = {v.upper() for v in profile.debit_values}
    decimal_comma = profile.decimal_comma
    for n, row in rows:
        if not any(c.strip() for c in row):
            continue
        for c, i in required:
            if i is not None and i >= len(row):
                raise BankFileError(f"{name} line {n}: {len(row)} fields, column {c} is missing: {row!r}")
        ccy = (_cell(row, at_currency) or default_ccy).upper()
        e = exponent(ccy)
        booking = _day(name, n, profile.date_column, _cell(row, at_date), formats, required=True)
        assert booking is not None
        if profile.amount_column:
            amount = _money(name, n, profile.amount_column, _cell(row, at_amount), e, decimal_comma)
        else:
            amount = abs(_money(name, n, profile.credit_column, _cell(row, at_credit), e, decimal_comma)) - \
                abs(_money(name, n, profile.debit_column, _cell(row, at_debit), e, decimal_comma))
        if profile.sign == "inverted":
            amount = -amount
        elif profile.sign == "direction":
            amount = -abs(amount) if _cell(row, at_direction).upper() in debit_flags else abs(amount)
        check_no = _cell(row, at_check_no)
        yield BankLine(
            booking_date=booking,
            value_date=_day(name, n, profile.value_date_column, _cell(row, at_value_date), formats, required=False),
            amount=amount, currency=ccy,
            payer=join_texts(_cell(row, at_payer)), payer_account=_cell(row, at_account).replace(" ", ""),
            reference=join_texts(_cell(row, at_reference)),
            text=join_texts(*(_cell(row, i) for i in at_texts)),
            bank_ref=_cell(row, at_bank_ref), check_no=check_no, kind="check" if check_no else "transfer",
            account=profile.our_account, source=name, line_no=n)
    yield Statement(source=name, format=fmt or f"bank CSV (profile {profile.name})", account=profile.our_account,
                    currency=default_ccy, lines=())
