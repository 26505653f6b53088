"""Tables in, typed records out, with every bad cell reported.

Each reader takes a :class:`~ardesk.io.port.Table` (raw cell values as any
workbook adapter returns them) and returns ``(records, problems)``.  A reader
never stops at the first bad cell: the clerk gets the whole list, each
problem naming sheet, row, column and value.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from math import isfinite
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .. import schema
from ..io.port import Table
from .model import (Allocation, Charge, Customer, Invoice, InvoiceLine, Payment, Problem,
                    Receipt, Settings, DEFAULT_ACCOUNTS)
from .ledger.journal_lines import Journal
from .money import MoneyError, exact_minor, exponent, fmt, is_currency, to_minor
from .periods import parse_period


class CellError(ValueError):
    pass


def as_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))       # an ID typed as a number: 1001.0 -> '1001'
    if isinstance(v, (datetime, date)):
        return v.isoformat()[:10]
    return str(v).strip()


def as_int(v: Any) -> int:
    if isinstance(v, bool):
        raise CellError("is not a whole number")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():
        return int(v)
    raise CellError("is text, not a whole number" if isinstance(v, str) else "is not a whole number")


def as_decimal(v: Any) -> Decimal:
    if isinstance(v, bool):
        raise CellError("is not a number")
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise CellError("is not a finite number")
        return Decimal(repr(v))
    if isinstance(v, Decimal):
        return v
    raise CellError("is text, not a number" if isinstance(v, str) else "is not a number")


def as_date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        raise CellError("is text, not a date (type a date such as 2026-10-31)")
    if isinstance(v, time):
        raise CellError("is a time of day or a number too large for a date (after year 9999), not a date")
    raise CellError("is not a date")


class choice:
    """A converter to one of ``options``, in lower case (a cell holding ' Monthly' is 'monthly')."""

    __slots__ = ("options",)

    def __init__(self, options: Sequence[str]):
        self.options = options

    def __call__(self, v: Any) -> str:
        t = as_text(v).lower()
        if t not in self.options:
            raise CellError(f"is not one of {', '.join(self.options)}")
        return t


class RowReader:
    """Iterates a table's non-blank rows, converting named columns and collecting problems."""

    def __init__(self, table: Table, tdef: schema.TableDef, problems: list[Problem], step: str = ""):
        self.table, self.tdef, self.problems, self.step = table, tdef, problems, step
        missing = [c.name for c in tdef.columns if c.required and c.name not in table.header]
        if missing:
            problems.append(Problem(f"the table {table.name} lacks column(s) {', '.join(missing)}",
                                    table.sheet, step=step))
        self.ok = not missing

    def error(self, rownum: int, column: str, value: Any, message: str) -> None:
        letter = self.table.col_letter(column) if column in self.table.header else ""
        self.problems.append(Problem(message, self.table.sheet, rownum,
                                     f"{column} ({letter})" if letter else column, value, self.step))

    def rows(self, columns: Sequence[tuple[str, Callable[[Any], Any] | None, bool]]
             ) -> Iterator[tuple[int, list[Any]]]:
        """Yield (row number, converted values) for rows without errors: :meth:`columns` row by row."""
        if not self.ok:
            return
        rownums, cols = self.columns(columns)
        yield from zip(rownums, map(list, zip(*cols)))

    def columns(self, columns: Sequence[tuple[str, Callable[[Any], Any] | None, bool]]
                ) -> tuple[list[int], list[list[Any]]]:
        """The row numbers and converted columns of the rows without errors.

        ``columns``: (name, converter or None for text, required).  A row with a
        bad cell is reported and left out; problems come in row order, then column order.

        The table is converted column by column (:func:`_column`): the usual cell of each
        column (text, a date, a number) is taken in one pass, and only the others go cell by
        cell through the converter.  Ledgers of hundreds of thousands of rows are read so.
        """
        if not self.ok:
            return [], [[] for _c in columns]
        t = self.table
        rownums, table_cols = nonblank_columns(t)
        if not rownums:
            return [], [[] for _c in columns]
        cols, errors = [], []
        for k, (name, conv, req) in enumerate(columns):
            ix = t.header.index(name) if name in t.header else None
            values = table_cols[ix] if ix is not None else [None] * len(rownums)
            out, bad = _column(values, conv, req)
            for i, v, message in bad:
                errors.append((i, k, name, v, message))
            cols.append(out)
        skip = set()
        for i, _k, name, v, message in sorted(errors, key=lambda e: (e[0], e[1])):
            self.error(rownums[i], name, v, message)
            skip.add(i)
        return _without(rownums, cols, skip)

    def report(self, rownums: Sequence[int], errors: Sequence[tuple[int, str, Any, str]]) -> None:
        """Report (row index, column, value, message) in row order (stable within a row)."""
        for i, name, v, message in sorted(errors, key=lambda e: e[0]):
            self.error(rownums[i], name, v, message)


def _without(rownums: list[int], cols: list[list], skip: set[int]) -> tuple[list[int], list[list]]:
    """The row numbers and columns without the rows at the indexes in ``skip``."""
    if not skip:
        return rownums, cols
    keep = [i for i in range(len(rownums)) if i not in skip]
    return [rownums[i] for i in keep], [[col[i] for i in keep] for col in cols]


def nonblank_columns(t: Table) -> tuple[list[int], list[Sequence[Any]]]:
    """The row numbers of the table's non-blank rows, and its columns (one per header name) of them."""
    width = len(t.header)
    rows = t.rows
    if rows and min(map(len, rows)) >= width:
        cols = list(islice(zip(*rows), width))
        first = cols[0]
        stripped = _stripped(first)
        if stripped is not None and tuple(stripped) == first and "" not in stripped:
            return list(range(t.first_row, t.first_row + len(rows))), cols     # no row is blank
    kept = [(t.first_row + i, raw) for i, raw in enumerate(rows) if not _blank(raw, t)]
    raws = [r for _n, r in kept]
    return [n for n, _r in kept], [[r[ix] if ix < len(r) else None for r in raws] for ix in range(width)]


def _stripped(values: Sequence[Any]) -> list[str] | None:
    """Every cell stripped of surrounding white space when all are text; else None."""
    try:
        return list(map(str.strip, values))
    except TypeError:
        return None


def _blank(raw: Sequence[Any], t: Table) -> bool:
    v = raw[0] if raw else None
    if v is not None and (type(v) is not str or (v and not v[0].isspace() and not v[-1].isspace())):
        return False                            # the usual row: its first cell holds something
    return t.is_blank(raw)


_MISSING = object()


def _whole(values: Sequence[float]) -> list[int] | None:
    """Float cells as ints when every one is a whole number within int64; else None."""
    x = np.array(values, dtype=np.float64)
    if not (np.abs(x) < 2.0 ** 62).all() or not (x == np.floor(x)).all():
        return None
    return x.astype(np.int64).tolist()


def _column(values: list, conv: Callable[[Any], Any] | None, required: bool
            ) -> tuple[list, list[tuple[int, Any, str]]]:
    """One column's cells converted as :meth:`RowReader.columns` does, and its bad cells (index, value, message).

    A column left empty, or whose every cell is the converter's usual type (:data:`_USUAL`), is taken whole;
    otherwise the usual cells are taken in one pass (a number or a choice typed in many rows converted once)
    and the others go one by one through the converter."""
    M = _MISSING
    out = None
    empty = "" if conv is None else None
    if values and values[0] is None and values.count(None) == len(values):        # a column left empty
        return [empty] * len(values), [(i, None, "is required") for i in range(len(values))] if required else []
    if conv is None:                                    # the whole column at once
        out = _stripped(values)
    elif set(map(type, values)) == {_USUAL.get(conv, M)}:
        out = _whole(values) if conv is as_int else list(values)
    if out is not None:
        todo: Sequence[int] = ()
    else:
        if conv is None:
            out = [v.strip() if type(v) is str else M for v in values]
        elif conv is as_date:
            out = [v if type(v) is date else v.date() if type(v) is datetime else M for v in values]
        elif conv is RAW and not required:         # the journal's debit or credit: a number or blank
            out = [v if type(v) is float or type(v) is int else None if v == "" else M for v in values]
        elif conv is RAW:
            out = [v if type(v) is float or type(v) is int else M for v in values]
        elif conv is as_int:
            out = [v if type(v) is int else int(v) if type(v) is float and v.is_integer() else M for v in values]
        elif conv is as_decimal:                   # each number typed once converted (not 0.0 and -0.0, equal keys)
            ints = {v: Decimal(v) for v in {v for v in values if type(v) is int}}
            floats = {v: Decimal(repr(v)) for v in {v for v in values if type(v) is float and v and isfinite(v)}}
            out = [ints[v] if type(v) is int else floats.get(v, M) if type(v) is float else M for v in values]
        elif type(conv) is choice:                 # each text typed once looked up
            texts = {v for v in values if type(v) is str}
            known = {v: t for v in texts if (t := v.strip().lower()) and t in conv.options}
            out = [known.get(v, M) if type(v) is str else M for v in values]
        else:
            out = [M] * len(values)
        todo = [i for i, o in enumerate(out) if o is M]
    bad = []
    for i in todo:
        v = values[i]
        if v is None or (isinstance(v, str) and not v.strip()):
            out[i] = empty
            if required:
                bad.append((i, None, "is required"))
        elif conv is None:
            out[i] = as_text(v)
        else:
            try:
                out[i] = conv(v)
            except (CellError, MoneyError) as exc:
                bad.append((i, v, f"{v!r} {exc}" if isinstance(exc, CellError) else str(exc)))
    if conv is None and required and "" in out:
        bad += [(i, None, "is required") for i, o in enumerate(out) if o == "" and type(values[i]) is str]
    return out, bad


def _money_row(values: list, money_ix: Sequence[int], cur_ix: int, base: str, reader: RowReader,
               rownum: int, names: Sequence[str]) -> list | None:
    """Convert raw money values once the row's currency is known."""
    cur = (values[cur_ix] or base).upper() if cur_ix is not None else base
    e = exponent(cur)
    out = list(values)
    for k, name in zip(money_ix, names):
        v = values[k]
        if v is None:
            out[k] = 0
            continue
        try:
            out[k] = to_minor(v, e)
        except MoneyError as exc:
            reader.error(rownum, name, v, str(exc))
            return None
    if cur_ix is not None:
        out[cur_ix] = cur
    return out


def _money_columns(cols: list[list], money: Sequence[tuple[int, str]], cur_ix: int | None, base: str
                   ) -> list[tuple[int, str, Any, str]]:
    """:func:`_money_row` for whole columns: converts the money columns ``money`` ((index, name) in
    column order) of ``cols`` in place to minor units in each row's currency, and its currency
    column to upper case; returns (row index, column, value, message) of the first bad money cell
    of each row, as :func:`_money_row` reports it.  Those rows' cells are left as they were.

    The usual cell, a float with no more decimals than the currency has, is converted for the whole
    column at once (:func:`~ardesk.core.money.exact_minor`); every other cell goes through
    :func:`~ardesk.core.money.to_minor`, which names what is wrong with it.
    """
    upper = {base: base.upper()}
    if cur_ix is not None:
        column = cols[cur_ix]
        upper = {c: (c or base).upper() for c in set(column)}
        if any(c != u for c, u in upper.items()):
            cols[cur_ix] = [upper[c] for c in column]
    of = {u: exponent(u) for u in upper.values()}
    if len(set(of.values())) <= 1:
        exp = next(iter(of.values()), 2)                          # one exponent for every row
        exp_of = lambda _i: exp  # noqa: E731
    else:
        exp = np.array([of[c] for c in cols[cur_ix]], dtype=np.int64)
        exp_of = exp.tolist().__getitem__
    bad: dict[int, tuple[int, str, Any, str]] = {}
    for k, name in money:
        values = cols[k]
        if None in values:                                      # a blank money cell is 0
            values = [0.0 if v is None else v for v in values]
        minor, ok = exact_minor(values, exp)
        out = minor.tolist()
        for i in np.flatnonzero(~ok).tolist():
            if i in bad:
                continue
            v = values[i]
            if type(v) is int:              # a whole amount, as the remote engine sends one: what to_minor makes
                out[i] = v * 10 ** exp_of(i)
                continue
            try:
                out[i] = to_minor(v, exp_of(i))
            except MoneyError as exc:
                bad[i] = (i, name, v, str(exc))
        cols[k] = out
    return sorted(bad.values())


RAW = lambda v: v  # noqa: E731  money columns are converted once the row's currency is known

# The type of the usual cell of a column, per converter, taken whole by _column (text: when every cell is).
_USUAL = {as_date: date, RAW: float, as_int: float}


def read_settings(raw: dict[str, Any]) -> tuple[Settings, list[Problem]]:
    problems: list[Problem] = []
    kw: dict[str, Any] = {}

    def get(name, conv, default=None):
        v = raw.get(name)
        if v is None or (isinstance(v, str) and not v.strip()):
            return default
        try:
            return conv(v)
        except (CellError, ValueError) as exc:
            label = schema.SETTINGS_BY_NAME[name].label
            problems.append(Problem(f"setting {label} ({name}) {v!r}: {exc}", "Settings", None, name, v))
            return default

    kw["company"] = get("CompanyName", as_text, "")
    kw["company_address"] = get("CompanyAddress", as_text, "")
    kw["base_currency"] = get("BaseCurrency", as_text, "EUR").upper()
    kw["invoice_format"] = get("InvoiceFormat", as_text, "INV-{year}-{seq:05d}")
    kw["next_invoice_number"] = get("NextInvoiceNumber", as_int, 1)
    from .reports.aging import parse_buckets
    kw["aging_buckets"] = get("AgingBuckets", lambda v: parse_buckets(as_text(v)), (30, 60, 90))
    basis = get("AgingBasis", as_text, "due").lower()
    if basis not in ("due", "invoice"):
        problems.append(Problem(f"setting Age by (AgingBasis) {basis!r}: use 'due' or 'invoice'",
                                "Settings", None, "AgingBasis", basis))
        basis = "due"
    kw["aging_basis"] = basis
    kw["tolerance_abs"] = get("ToleranceAbs", as_decimal, Decimal("0.50"))
    kw["tolerance_pct"] = get("TolerancePct", as_decimal, Decimal("0.005"))
    kw["auto_post_threshold"] = get("AutoPostThreshold", as_decimal, Decimal("0.90"))
    kw["locked_through"] = get("LockedThrough", as_date, None)
    kw["period"] = get("Period", as_text, "")
    kw["as_of"] = get("AsOfDate", as_date, None)
    kw["bank_inbox"] = get("BankInbox", as_text, "")
    months = get("CEIMonths", as_int, 1)
    if not 1 <= months <= 36:
        problems.append(Problem(f"setting CEI over (months) (CEIMonths) {months!r}: use 1 to 36 months",
                                "Settings", None, "CEIMonths", months))
        months = 1
    kw["cei_months"] = months
    from .reports.metrics import MONTH_DAYS
    month_days = get("DSOMonthDays", as_text, "calendar").lower()
    if month_days not in MONTH_DAYS:
        problems.append(Problem(f"setting Count-back DSO month days (DSOMonthDays) {month_days!r}: use "
                                "'calendar' or '30'", "Settings", None, "DSOMonthDays", month_days))
        month_days = "calendar"
    kw["dso_month_days"] = month_days
    kw["bank_csv_profile"] = get("BankCsvProfile", as_text, "")
    kw["max_amount"] = get("MaxAmount", as_decimal, Decimal(10_000_000))
    kw["date_window_days"] = get("DateWindowDays", as_int, 400)
    kw["max_bank_file_mb"] = get("MaxBankFileMB", as_decimal, Decimal(20))
    for name, key, lo, hi in (("MaxAmount", "max_amount", 1, 10 ** 14), ("DateWindowDays", "date_window_days", 1, 36_500),
                              ("MaxBankFileMB", "max_bank_file_mb", Decimal("0.001"), 100_000),
                              ("ToleranceAbs", "tolerance_abs", 0, 1_000_000), ("TolerancePct", "tolerance_pct", 0, 1),
                              ("AutoPostThreshold", "auto_post_threshold", 0, 1000),
                              ("NextInvoiceNumber", "next_invoice_number", 1, 10 ** 12)):
        if not lo <= kw[key] <= hi:
            label = schema.SETTINGS_BY_NAME[name].label
            problems.append(Problem(f"setting {label} ({name}) {raw.get(name)!r} must lie between {lo} and {hi}",
                                    "Settings", None, name, raw.get(name)))
            kw[key] = schema.SETTINGS_BY_NAME[name].default
    if not is_currency(kw["base_currency"]):
        problems.append(Problem(f"setting Base currency {raw.get('BaseCurrency')!r} is not an ISO 4217 currency "
                                "code such as EUR", "Settings", None, "BaseCurrency", raw.get("BaseCurrency")))
        kw["base_currency"] = "EUR"
    if kw["period"]:
        try:
            parse_period(kw["period"])
        except ValueError as exc:
            problems.append(Problem(f"setting Current period {raw.get('Period')!r}: {exc}", "Settings", None,
                                    "Period", raw.get("Period")))
            kw["period"] = ""
    accounts = dict(DEFAULT_ACCOUNTS)
    for role in DEFAULT_ACCOUNTS:
        accounts[role] = get(f"Acct{role}", as_text, DEFAULT_ACCOUNTS[role])
    kw["accounts"] = accounts
    form = kw["invoice_format"]
    try:
        if len(form) > 60 or re.search(r":[^}]*\d{3}", form):
            raise ValueError("an invoice number is at most 40 characters long")
        first, second = form.format(year=2026, seq=1, month=1), form.format(year=2026, seq=2, month=1)
        why = "" if first != second else "it has no {seq}, so every invoice of a year would get the same number"
        if len(first) > 40:
            why = f"it makes numbers of {len(first)} characters; at most 40"
    except (KeyError, ValueError, IndexError, AttributeError, TypeError) as exc:
        why = str(exc)
    if why:
        problems.append(Problem(f"setting Invoice number format {form!r} cannot be used ({why}); "
                                "use {year} and {seq}, e.g. INV-{year}-{seq:05d}", "Settings", None,
                                "InvoiceFormat", raw.get("InvoiceFormat")))
        kw["invoice_format"] = "INV-{year}-{seq:05d}"
    return Settings(**kw), problems


def date_window(settings: Settings) -> tuple[date, date]:
    """The dates a receipt or bank line may carry: DateWindowDays around the current period."""
    from datetime import timedelta
    if settings.period:
        start, end = parse_period(settings.period)
    else:
        start, end = date(2000, 1, 1), date(2099, 12, 31)
    pad = timedelta(days=settings.date_window_days)
    lo = start - pad if start > date.min + pad else date.min
    hi = end + pad if end < date.max - pad else date.max
    return lo, hi


class Implausible:
    """Why a receipt or bank line cannot be right ('' when it can): a date far from the period, a huge amount.

    The date window (:func:`date_window`) is worked out once, and each currency's largest plausible
    amount (Settings MaxAmount) once when first asked: make one for all the lines of a run."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.lo, self.hi = date_window(settings)
        self._largest: dict[str, int] = {}

    def largest(self, currency: str) -> int:
        """MaxAmount in the currency's minor units."""
        m = self._largest.get(currency)
        if m is None:
            m = self._largest[currency] = self.settings.max_minor(currency)
        return m

    def __call__(self, when: date, minor: int, currency: str) -> str:
        s = self.settings
        if not self.lo <= when <= self.hi:
            return (f"the date {when} lies outside {self.lo}..{self.hi} ({s.date_window_days} days around the period "
                    f"{s.period or '(none set)'}, Settings DateWindowDays)")
        if abs(minor) > self.largest(currency):
            e = exponent(currency)
            return (f"the amount {currency} {fmt(minor, e)} is above the largest plausible amount "
                    f"{fmt(self.largest(currency), e)} (Settings MaxAmount)")
        return ""


def _first_rows(keys: list) -> dict:
    """The index of the first row holding each key."""
    return dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))


def _kept(cols: Sequence[list], keep: Sequence[int] | None) -> Sequence[list]:
    """The columns of the rows at the indexes ``keep`` (all rows when None)."""
    return cols if keep is None else [[col[i] for i in keep] for col in cols]


def read_customers(t: Table, settings: Settings, step: str = "") -> tuple[dict[str, Customer], list[Problem]]:
    """Customers by ID.  Each check below is made for the whole column; a row that fails one is looked at
    again on its own, in row order, so its problems come as a row-by-row reading would give them."""
    problems: list[Problem] = []
    r = RowReader(t, schema.CUSTOMERS, problems, step)
    cols = [("CustomerID", None, True), ("Name", None, True), ("Email", None, False),
            ("Address", None, False), ("PostalCode", None, False), ("Country", None, False),
            ("TermsDays", as_int, True), ("TaxRate", as_decimal, True), ("Currency", None, False),
            ("CreditLimit", RAW, False), ("Status", choice(schema.CUSTOMER_STATUS), False),
            ("BankAccount", None, False), ("City", None, False), ("Locale", None, False),
            ("Delivery", choice(schema.DELIVERY_CHANNELS), False), ("EInvoice", choice(schema.EINVOICE_FORMATS), False),
            ("VatID", None, False), ("BuyerReference", None, False), ("PeppolEndpoint", None, False)]
    rownums, c = r.columns(cols)
    ids, names, email, addr, pc, country, terms, rate, cur, limit, status, bank = c[:12]
    upper = {x: (x or settings.base_currency).upper() for x in set(cur)}
    cur = [upper[x] for x in cur]
    valid = {u: is_currency(u) for u in upper.values()}
    exp = {u: exponent(u) for u in upper.values()}
    credit_limit: list[int | None] = [None] * len(ids)
    limit_error: dict[int, str] = {}
    for i, v in enumerate(limit):
        if v is not None:
            try:
                credit_limit[i] = to_minor(v, exp[cur[i]])
            except MoneyError as exc:
                limit_error[i] = str(exc)
    first = _first_rows(ids)
    suspect = [i for i, (cid, days, tax, cu) in enumerate(zip(ids, terms, rate, cur))
               if first[cid] != i or not 0 <= days <= 3650 or not 0 <= tax < 1 or not valid[cu] or i in limit_error]
    keep = None
    if suspect:
        looked_at = set(suspect)
        accepted = {cid: i for cid, i in first.items() if i not in looked_at}
        for i in suspect:
            cid, days, tax, cu, rownum = ids[i], terms[i], rate[i], cur[i], rownums[i]
            bad = False
            if cid in accepted:
                r.error(rownum, "CustomerID", cid,
                        f"duplicate customer ID {cid!r} (first on row {rownums[accepted[cid]]})")
                bad = True
            if days < 0:
                r.error(rownum, "TermsDays", days, f"payment terms {days} days cannot be negative")
                bad = True
            if tax < 0 or tax >= 1:
                r.error(rownum, "TaxRate", tax, f"tax rate {tax} is outside 0%..100%: type 20% (0.2), not 20")
                bad = True
            if not valid[cu]:
                r.error(rownum, "Currency", cu, f"currency {cu!r} is not an ISO 4217 code such as EUR")
                bad = True
            if days > 3650:
                r.error(rownum, "TermsDays", days, f"payment terms of {days} days are more than ten years")
                bad = True
            if i in limit_error:
                r.error(rownum, "CreditLimit", limit[i], limit_error[i])
                bad = True
            if not bad:
                accepted[cid] = i
        keep = sorted(accepted.values())
    status = [s or "active" for s in status]
    delivery, einvoice = [x or "" for x in c[14]], [x or "" for x in c[15]]
    kept = _kept([ids, names, terms, rate, cur, status, email, addr, pc, country, credit_limit, bank, rownums,
                  c[12], c[13], delivery, einvoice, c[16], c[17], c[18]], keep)
    return dict(zip(kept[0], map(Customer, *kept))), problems


def read_charges(t: Table, customers: dict[str, Customer], step: str = "", settings: Settings = Settings()
                 ) -> tuple[list[Charge], list[Problem]]:
    """Charges in row order; checked as :func:`read_customers` checks customers."""
    problems: list[Problem] = []
    r = RowReader(t, schema.CHARGES, problems, step)
    cols = [("ChargeID", None, True), ("CustomerID", None, True), ("Item", None, True),
            ("Description", None, False), ("Quantity", as_decimal, True), ("UnitPrice", as_decimal, True),
            ("Frequency", choice(schema.FREQUENCIES), True), ("StartDate", as_date, True), ("EndDate", as_date, False),
            ("IssueDate", as_date, False)]
    rownums, c = r.columns(cols)
    chids, cids, item, desc, qty, price, freq, start, end, issued = c
    first = _first_rows(chids)
    most = settings.max_amount
    bad = []
    if chids and (len(first) < len(chids) or not customers.keys() >= set(cids) or min(qty) < 0 or min(price) < 0
                  or max(qty) * max(price) > most or any(e is not None and e < s for s, e in zip(start, end))
                  or issued.count(None) < len(issued)):    # the whole table passes each check, or some row fails
        rows = zip(chids, cids, qty, price, freq, start, end, issued)
        bad = [i for i, (chid, cid, q, p, f, s, e, d) in enumerate(rows)
               if first[chid] != i or cid not in customers or q < 0 or p < 0 or q * p > most
               or (e is not None and e < s) or (d is not None and f != "once")]
    for i in bad:
        rownum, chid, cid, q, p, f, s, e, d = rownums[i], chids[i], cids[i], qty[i], price[i], freq[i], start[i], \
            end[i], issued[i]
        if first[chid] != i:
            r.error(rownum, "ChargeID", chid, f"duplicate charge ID {chid!r} (first on row {rownums[first[chid]]})")
        if cid not in customers:
            r.error(rownum, "CustomerID", cid, f"unknown customer {cid!r}: not on the Customers sheet")
        if q < 0:
            r.error(rownum, "Quantity", q, f"quantity {q} is negative; use a credit note to give money back")
        if p < 0:
            r.error(rownum, "UnitPrice", p, f"unit price {p} is negative; use a credit note instead")
        if q * p > most:
            r.error(rownum, "Quantity", q, f"quantity {q} x unit price {p} = {q * p} is above the "
                    f"largest plausible amount {most} (Settings MaxAmount)")
        if e is not None and e < s:
            r.error(rownum, "EndDate", e, f"end date {e} is before the start date {s}")
        if d is not None and f != "once":
            r.error(rownum, "IssueDate", d, f"an issue date of its own is for one-off charges; this one is {f}")
    skip = set(bad)
    kept = _kept([chids, cids, item, qty, price, freq, start, end, desc, rownums, issued],
                 [i for i in range(len(chids)) if i not in skip] if bad else None)
    return list(map(Charge, *kept)), problems


def read_receipts(t: Table, settings: Settings, customers: dict[str, Customer], step: str = ""
                  ) -> tuple[list[Receipt], list[Problem]]:
    """Receipts typed on the Receipts tab, in row order; checked as :func:`read_customers` checks customers."""
    problems: list[Problem] = []
    r = RowReader(t, schema.RECEIPTS, problems, step)
    cols = [("Date", as_date, True), ("Method", choice(schema.METHODS), True), ("Payer", None, False),
            ("CustomerID", None, False), ("Reference", None, False), ("CheckNo", None, False),
            ("Amount", RAW, True), ("Currency", None, False), ("PaymentID", None, False)]
    rownums, c = r.columns(cols)
    d, method, payer, cid, ref, check, amount, cur, pid = c
    base = settings.base_currency
    c[7] = cur = [(cu or (customers[ci].currency if ci in customers else base)).upper() for cu, ci in zip(cur, cid)]
    amount_error = {i: message for i, _name, _v, message in _money_columns(c, ((6, "Amount"),), 7, base)}
    minor = c[6]
    implausible = Implausible(settings)
    lo, hi = implausible.lo, implausible.hi
    valid = {u: is_currency(u) for u in set(cur)}
    largest = {u: implausible.largest(u) for u in valid}
    suspect = [i for i, (day, m, cu, ci) in enumerate(zip(d, minor, cur, cid))
               if m <= 0 or not valid[cu] or not lo <= day <= hi or abs(m) > largest[cu] or (ci and ci not in customers)
               or i in amount_error]
    skip = set()
    for i in suspect:
        rownum, m, cu, ci = rownums[i], minor[i], cur[i], cid[i]
        if i in amount_error:
            r.error(rownum, "Amount", amount[i], amount_error[i])
            skip.add(i)
            continue
        bad = False
        if m <= 0:
            r.error(rownum, "Amount", amount[i], f"a receipt of {amount[i]} must be positive; refunds are credit notes")
            bad = True
        if not valid[cu]:
            r.error(rownum, "Currency", cu, f"currency {cu!r} is not an ISO 4217 code such as EUR")
            skip.add(i)
            continue
        why = implausible(d[i], m, cu)
        if why:
            r.error(rownum, "Date" if why.startswith("the date") else "Amount",
                    d[i] if why.startswith("the date") else amount[i], why)
            bad = True
        if ci and ci not in customers:
            r.error(rownum, "CustomerID", ci, f"unknown customer {ci!r}: not on the Customers sheet")
            bad = True
        if bad:
            skip.add(i)
    kept = _kept([d, method, minor, cur, payer, cid, ref, check, rownums, pid],
                 [i for i in range(len(d)) if i not in skip] if skip else None)
    return list(map(Receipt, *kept)), problems


def read_invoices(inv: Table, lines: Table | None, step: str = "") -> tuple[list[Invoice], list[Problem]]:
    """Issued invoices from the ledger (lines attached when the lines table is given)."""
    problems: list[Problem] = []
    r = RowReader(inv, schema.INVOICES, problems, step)
    cols = [("InvoiceNo", None, True), ("Kind", None, True), ("CustomerID", None, True),
            ("IssueDate", as_date, True), ("DueDate", as_date, True), ("Period", None, False),
            ("Currency", None, True), ("Net", RAW, True), ("Tax", RAW, True), ("Total", RAW, True),
            ("CreditorRef", None, False), ("RelatesTo", None, False)]
    by_no: dict[str, list[InvoiceLine]] = {}
    if lines is not None:
        for ln in read_invoice_lines(lines, problems, step):
            by_no.setdefault(ln.invoice_no, []).append(ln)
    rownums, c = r.columns(cols)
    errors = _money_columns(c, ((7, "Net"), (8, "Tax"), (9, "Total")), 6, "EUR")
    skip = {e[0] for e in errors}
    seen: set[str] = set()
    for i, no in enumerate(c[0]):
        if i in skip:
            continue
        if no in seen:
            errors.append((i, "InvoiceNo", no, f"invoice number {no} appears twice in the ledger"))
            skip.add(i)
            continue
        seen.add(no)
    errors += [(i, "Total", total, f"net + tax ({net + tax}) does not equal total ({total}) in minor units")
               for i, net, tax, total in zip(range(len(rownums)), c[7], c[8], c[9])
               if net + tax != total and i not in skip]
    r.report(rownums, errors)
    rownums, c = _without(rownums, c, skip)
    no, kind, cid, issued, due, period, cur, net, tax, total, rf, rel = c
    attached = [tuple(by_no.get(n, ())) for n in no] if by_no else [()] * len(no)
    return list(map(Invoice, no, cid, issued, due, cur, net, tax, total, kind, period, rf, rel, attached)), problems


def read_invoice_lines(t: Table, problems: list[Problem], step: str = "") -> list[InvoiceLine]:
    r = RowReader(t, schema.INVOICE_LINES, problems, step)
    cols = [("InvoiceNo", None, True), ("LineNo", as_int, True), ("ChargeID", None, False),
            ("Item", None, False), ("Description", None, False), ("Quantity", as_decimal, False),
            ("UnitPrice", as_decimal, False), ("ServiceFrom", as_date, False), ("ServiceTo", as_date, False),
            ("Factor", as_decimal, False), ("Net", RAW, True), ("Currency", None, False),
            ("BillingKey", None, False)]
    rownums, c = r.columns(cols)
    errors = _money_columns(c, ((10, "Net"),), 11, "EUR")
    r.report(rownums, errors)
    _rownums, c = _without(rownums, c, {e[0] for e in errors})
    return list(map(InvoiceLine, *c))


def billing_keys(t: Table) -> set[str]:
    """Billing keys already issued (fast path: no full line parsing)."""
    ix = t.header.index("BillingKey") if "BillingKey" in t.header else None
    if ix is None:
        return set()
    return {as_text(row[ix]) for row in t.rows if ix < len(row) and row[ix]}


def read_payments(t: Table, step: str = "") -> tuple[list[Payment], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.PAYMENTS, problems, step)
    cols = [("PaymentID", None, True), ("Date", as_date, True), ("Amount", RAW, True),
            ("Currency", None, True), ("Fingerprint", None, True), ("Source", None, False),
            ("Method", None, False), ("Payer", None, False), ("CustomerID", None, False),
            ("Reference", None, False), ("CheckNo", None, False), ("PayerAccount", None, False)]
    rownums, c = r.columns(cols)
    errors = _money_columns(c, ((2, "Amount"),), 3, "EUR")
    r.report(rownums, errors)
    _rownums, c = _without(rownums, c, {e[0] for e in errors})
    return list(map(Payment, *c)), problems


def read_allocations(t: Table, step: str = "") -> tuple[list[Allocation], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.ALLOCATIONS, problems, step)
    cols = [("AllocationID", None, True), ("Date", as_date, True), ("Kind", None, True),
            ("Amount", RAW, True), ("Currency", None, True), ("PaymentID", None, False),
            ("InvoiceNo", None, False), ("CustomerID", None, False), ("Rule", None, False),
            ("Reason", None, False)]
    rownums, c = r.columns(cols)
    errors = _money_columns(c, ((3, "Amount"),), 4, "EUR")
    skip = {e[0] for e in errors}
    kinds = schema.ALLOCATION_KINDS
    errors += [(i, "Kind", k, f"allocation kind {k!r} is not one of {', '.join(kinds)}")
               for i, k in enumerate(c[2]) if k not in kinds and i not in skip]
    r.report(rownums, errors)
    _rownums, c = _without(rownums, c, {e[0] for e in errors})
    return list(map(Allocation, *c)), problems


def read_journal(t: Table, step: str = "") -> tuple[Journal, list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.JOURNAL, problems, step)
    cols = [("EntryID", None, True), ("LineNo", as_int, True), ("Date", as_date, True),
            ("Account", None, True), ("Debit", RAW, False), ("Credit", RAW, False),
            ("Currency", None, True), ("CustomerID", None, False), ("DocType", None, False),
            ("DocNo", None, False), ("Memo", None, False), ("AccountName", None, False)]
    rownums, c = r.columns(cols)
    errors = _money_columns(c, ((4, "Debit"), (5, "Credit")), 6, "EUR")
    r.report(rownums, errors)
    _rownums, c = _without(rownums, c, {e[0] for e in errors})
    return Journal.from_columns(c), problems
