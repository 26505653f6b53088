"""Card-processor reports: Stripe balance / payout reconciliation CSV and PayPal
activity CSV.

These are not bank statements: each row is a charge, refund, chargeback, fee,
payout or adjustment on the processor's balance, with gross, fee and net
amounts.  The bank statement shows only the payouts; these reports say which
charges (and so which invoices) a payout is made of.

Stripe (Dashboard "Balance" / "Payout reconciliation" itemized reports, column
names as Stripe's report API documents them): balance_transaction_id, created,
available_on, currency, gross, fee, net, reporting_category, source_id,
charge_id, payment_intent_id, invoice_id, automatic_payout_id, and when
present customer_name / customer_email / customer_description / description.
Amounts are in major units with a decimal point; times are UTC.  A payout's
own row (reporting_category ``payout``, net = minus the payout amount) lets the
payout be checked: the net of the rows carrying its automatic_payout_id must
equal it, else the file is refused with both figures.

PayPal (Activity download, "Balance affecting" CSV): Date, Time, TimeZone,
Name, Type, Status, Currency, Gross, Fee, Net, From Email Address, Transaction
ID, Reference Txn ID, Invoice Number, and optionally Balance.  Dates are
month-first (the US layout) unless ``date_format`` says otherwise.  Only
Completed rows are taken; others are counted in ``problems``.  PayPal does not
link a withdrawal to the payments it pays out, so its payouts are listed
unchecked; when the Balance column is there, each row is checked against the
running balance instead.

Both are read a row at a time (:func:`stream_stripe`, :func:`stream_paypal`):
what the reader holds besides the transactions it hands on does not grow with
the file.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generator, Iterable, Iterator

from ..core.money import MoneyError, exponent, fmt, parse_amount
from .model import BankFileError
from .sanitize import clean_text

KINDS = ("charge", "refund", "chargeback", "fee", "payout", "adjustment")
STRIPE_REQUIRED = ("balance_transaction_id", "created", "currency", "gross", "fee", "net", "reporting_category")
PAYPAL_REQUIRED = ("Date", "Type", "Status", "Currency", "Gross", "Fee", "Net", "Transaction ID")

_STRIPE_KIND = {
    "charge": "charge", "payment": "charge",
    "refund": "refund", "refund_failure": "refund", "partial_capture_reversal": "refund",
    "dispute": "chargeback", "dispute_reversal": "chargeback",
    "fee": "fee", "stripe_fee": "fee", "network_cost": "fee", "tax": "fee", "platform_earning": "fee",
    "payout": "payout", "payout_reversal": "payout",
}


@dataclass(frozen=True, slots=True)
class ProcessorTransaction:
    kind: str                          # charge, refund, chargeback, fee, payout, adjustment
    gross: int                         # minor units
    fee: int                           # minor units, as the report signs it (a cost is negative)
    net: int                           # gross + fee
    currency: str
    created: date
    transaction_id: str
    available_on: date | None = None
    charge_id: str = ""
    invoice_id: str = ""
    customer_name: str = ""
    customer_email: str = ""
    description: str = ""
    payout_id: str = ""
    category: str = ""                 # the processor's own type / reporting category
    line_no: int = 0


@dataclass(frozen=True, slots=True)
class ProcessorPayout:
    payout_id: str
    amount: int                        # paid to the bank, minor units, positive
    currency: str
    date: date | None
    transaction_count: int             # transactions settled in this payout
    checked: bool                      # the file let us check amount against the transactions


@dataclass(frozen=True, slots=True)
class ProcessorReport:
    source: str
    format: str
    transactions: tuple[ProcessorTransaction, ...]
    payouts: tuple[ProcessorPayout, ...]
    problems: tuple[str, ...] = field(default=())
    rows_skipped: int = 0              # rows read but not taken (PayPal: status other than Completed)


# Stripe names the time columns of some reports by their time zone ("created_utc",
# "available_on_utc" in the Balance and Payout reconciliation reports); read as the plain names.
_ALIASES = {"created": ("created_utc",), "available_on": ("available_on_utc",)}


def _with_aliases(index: dict[str, int]) -> dict[str, int]:
    for name, aliases in _ALIASES.items():
        if name not in index:
            found = next((index[a] for a in aliases if a in index), None)
            if found is not None:
                index[name] = found
    return index


class _Csv:
    """A report's header row, read on creation, and its other rows (:meth:`rows`), one at a time."""

    def __init__(self, name: str, lines: Iterable[str], required: tuple[str, ...]):
        self.name = name
        self.reader = csv.reader(lines)
        header = next(self._read(), None)
        if header is None:
            raise BankFileError(f"{name}: the file is empty")
        header = [h.strip() for h in header[1]]
        self.index = _with_aliases({h.lower(): i for i, h in enumerate(header)})
        missing = [c for c in required if c.lower() not in self.index]
        if missing:
            raise BankFileError(f"{name} line 1: missing column(s) {', '.join(missing)} (found: {', '.join(header)})")
        self.width = len(header)

    def _read(self) -> Iterator[tuple[int, list[str]]]:
        try:
            for r in self.reader:
                yield self.reader.line_num, r
        except csv.Error as exc:
            raise BankFileError(f"{self.name} line {self.reader.line_num}: {exc}") from None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line, fields) of each row after the header that is not blank."""
        return ((n, r) for n, r in self._read() if any(c.strip() for c in r))

    def get(self, row: list[str], column: str) -> str:
        i = self.index.get(column.lower())
        return row[i].strip() if i is not None and i < len(row) else ""

    def money(self, n: int, row: list[str], column: str, currency: str) -> int:
        raw = self.get(row, column)
        if not raw:
            return 0
        try:
            return parse_amount(raw, exponent(currency))
        except MoneyError:
            raise BankFileError(f"{self.name} line {n}, column {column}: {raw!r} is not an amount") from None

    def amounts(self, n: int, row: list[str], currency_column: str, columns: tuple[str, str, str]
                ) -> tuple[str, int, int, int]:
        """The row's currency and its gross, fee and net in that currency's minor units."""
        ccy = self.get(row, currency_column).upper()
        if len(ccy) != 3 or not ccy.isalpha():
            raise BankFileError(f"{self.name} line {n}, column {currency_column}: {ccy!r} is not a currency code")
        gross, fee, net = (self.money(n, row, c, ccy) for c in columns)
        return ccy, gross, fee, net

    def day(self, n: int, row: list[str], column: str, formats: tuple[str, ...], required: bool) -> date | None:
        raw = self.get(row, column)
        if not raw:
            if required:
                raise BankFileError(f"{self.name} line {n}, column {column}: no date")
            return None
        for f in formats:
            try:
                return datetime.strptime(raw, f).date()
            except ValueError:
                continue
        raise BankFileError(f"{self.name} line {n}, column {column}: {raw!r} is not a date "
                            f"({' or '.join(formats)})")

    def check_width(self, n: int, row: list[str]) -> None:
        if len(row) < self.width:
            raise BankFileError(f"{self.name} line {n}: {len(row)} fields, expected {self.width}")


_STRIPE_DATES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d")


def read_stripe(name: str, lines: Iterable[str]) -> ProcessorReport:
    """A Stripe report of the file's lines (read as they come, :func:`stream_stripe`), its payouts checked."""
    txs = list(stream_stripe(name, lines))
    payouts = _stripe_payouts(name, txs)
    return ProcessorReport(source=name, format="Stripe balance/payout reconciliation CSV",
                           transactions=tuple(txs), payouts=payouts, problems=_not_receipts(name, txs))


def stream_stripe(name: str, lines: Iterable[str]) -> Iterator[ProcessorTransaction]:
    """The transactions of a Stripe report, each as soon as its row is read."""
    f = _Csv(name, lines, STRIPE_REQUIRED)
    for n, row in f.rows():
        f.check_width(n, row)
        ccy, gross, fee, net = f.amounts(n, row, "currency", ("gross", "fee", "net"))
        # Stripe reports fees as a positive cost: net = gross - fee.  Keep our sign rule (fee negative).
        if gross - fee == net:
            fee = -fee
        elif gross + fee != net:
            raise BankFileError(f"{name} line {n}: gross {fmt(gross, exponent(ccy))} and fee "
                                f"{fmt(abs(fee), exponent(ccy))} do not give net {fmt(net, exponent(ccy))}")
        category = f.get(row, "reporting_category")
        kind = _STRIPE_KIND.get(category.lower(), "adjustment")
        payout_id = f.get(row, "automatic_payout_id")
        if kind == "payout" and not payout_id:
            payout_id = f.get(row, "source_id")
        yield ProcessorTransaction(
            kind=kind, gross=gross, fee=fee, net=net, currency=ccy,
            created=f.day(n, row, "created", _STRIPE_DATES, required=True),  # type: ignore[arg-type]
            available_on=f.day(n, row, "available_on", _STRIPE_DATES, required=False),
            transaction_id=f.get(row, "balance_transaction_id"),
            charge_id=f.get(row, "charge_id") or (f.get(row, "source_id") if kind == "charge" else ""),
            invoice_id=clean_text(f.get(row, "invoice_id")),
            customer_name=clean_text(f.get(row, "customer_name")),
            customer_email=clean_text(f.get(row, "customer_email")),
            description=clean_text(f.get(row, "description") or f.get(row, "customer_description")),
            payout_id=payout_id, category=category, line_no=n)


def _not_receipts(name: str, txs: list[ProcessorTransaction]) -> tuple[str, ...]:
    """A note for the rows that are neither receipts, fees, payouts nor refunds (money paid out from
    the processor balance, adjustments): they are counted, not imported."""
    out = []
    for sign, what in ((-1, "money paid out of the balance"), (1, "money in that is not a customer's payment")):
        rows = [t for t in txs if t.kind == "adjustment" and (t.net < 0) == (sign < 0)]
        if rows:
            ccy = rows[0].currency
            total = sum(t.net for t in rows if t.currency == ccy)
            types = ", ".join(sorted({repr(t.category) for t in rows}))
            lines = ", ".join(str(t.line_no) for t in rows[:10]) + (" ..." if len(rows) > 10 else "")
            out.append(f"{name} line(s) {lines}: {len(rows)} row(s) of type {types} ({fmt(total, exponent(ccy))} "
                       f"{ccy}) are {what}: counted, not imported")
    return tuple(out)


def _stripe_payouts(name: str, txs: list[ProcessorTransaction]) -> tuple[ProcessorPayout, ...]:
    order: list[str] = []
    settled: dict[str, list[ProcessorTransaction]] = {}
    own_row: dict[str, ProcessorTransaction] = {}
    for t in txs:
        if not t.payout_id:
            continue
        if t.payout_id not in settled:
            order.append(t.payout_id)
            settled[t.payout_id] = []
        if t.kind == "payout":
            own_row[t.payout_id] = t
        else:
            settled[t.payout_id].append(t)
    out = []
    for pid in order:
        items = settled[pid]
        total = sum(t.net for t in items)
        row = own_row.get(pid)
        ccy = row.currency if row else items[0].currency
        if row is not None and items:
            if -row.net != total:
                e = exponent(ccy)
                raise BankFileError(
                    f"{name} line {row.line_no}: payout {pid} is {fmt(-row.net, e)} {ccy}, but the net of its "
                    f"{len(items)} transactions is {fmt(total, e)} (difference {fmt(-row.net - total, e)})")
        amount = -row.net if row is not None else total
        when = (row.available_on or row.created) if row is not None else None
        out.append(ProcessorPayout(payout_id=pid, amount=amount, currency=ccy, date=when,
                                   transaction_count=len(items), checked=row is not None and bool(items)))
    return tuple(out)


def _paypal_kind(type_: str, gross: int) -> str:
    t = type_.lower()
    if "withdraw" in t or "transfer to bank" in t or "payout" in t:
        return "payout"
    if "chargeback" in t or "reversal" in t or "dispute" in t:
        return "chargeback"
    if "refund" in t:
        return "refund"
    if "fee" in t:
        return "fee"
    if "payment" in t and gross > 0:
        return "charge"
    return "adjustment"


def read_paypal(name: str, lines: Iterable[str], date_format: str | None = None) -> ProcessorReport:
    """A PayPal report of the file's lines (read as they come, :func:`stream_paypal`)."""
    txs: list[ProcessorTransaction] = []
    items = stream_paypal(name, lines, date_format)
    while True:
        try:
            txs.append(next(items))
        except StopIteration as end:
            skipped: dict[str, int] = end.value
            break
    problems = [f"{name}: {count} row(s) with status {status} not imported" for status, count in skipped.items()]
    payouts = tuple(ProcessorPayout(payout_id=t.transaction_id, amount=-t.net, currency=t.currency, date=t.created,
                                    transaction_count=0, checked=False) for t in txs if t.kind == "payout")
    return ProcessorReport(source=name, format="PayPal activity CSV", transactions=tuple(txs), payouts=payouts,
                           problems=tuple(problems) + _not_receipts(name, txs), rows_skipped=sum(skipped.values()))


def stream_paypal(name: str, lines: Iterable[str], date_format: str | None = None
                  ) -> Generator[ProcessorTransaction, None, dict[str, int]]:
    """The Completed transactions of a PayPal report, each as soon as its row is read (each row's
    running balance checked as it comes); returns the count of rows not taken, by status."""
    f = _Csv(name, lines, PAYPAL_REQUIRED)
    formats = (date_format,) if date_format else ("%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y")
    skipped: dict[str, int] = {}
    balances: dict[str, tuple[int, int]] = {}      # currency -> (line, balance after that line)
    has_balance = "balance" in f.index
    for n, row in f.rows():
        f.check_width(n, row)
        ccy, gross, fee, net = f.amounts(n, row, "Currency", ("Gross", "Fee", "Net"))
        e = exponent(ccy)
        if gross + fee != net:
            raise BankFileError(f"{name} line {n}: Gross {fmt(gross, e)} + Fee {fmt(fee, e)} is not Net {fmt(net, e)}")
        status = f.get(row, "Status")
        if has_balance and f.get(row, "Balance"):
            bal = f.money(n, row, "Balance", ccy)
            prev = balances.get(ccy)
            if prev is not None and status.lower() == "completed" and prev[1] + net != bal:
                raise BankFileError(f"{name} line {n}: balance {fmt(prev[1], e)} (line {prev[0]}) + net {fmt(net, e)} "
                                    f"= {fmt(prev[1] + net, e)}, but the file says {fmt(bal, e)}")
            balances[ccy] = (n, bal)
        if status.lower() != "completed":
            skipped[status or "(blank)"] = skipped.get(status or "(blank)", 0) + 1
            continue
        type_ = f.get(row, "Type")
        kind = _paypal_kind(type_, gross)
        tx_id = f.get(row, "Transaction ID")
        yield ProcessorTransaction(
            kind=kind, gross=gross, fee=fee, net=net, currency=ccy,
            created=f.day(n, row, "Date", formats, required=True),  # type: ignore[arg-type]
            transaction_id=tx_id,
            charge_id=tx_id if kind == "charge" else f.get(row, "Reference Txn ID"),
            invoice_id=clean_text(f.get(row, "Invoice Number")),
            customer_name=clean_text(f.get(row, "Name")),
            customer_email=clean_text(f.get(row, "From Email Address")),
            description=clean_text(f.get(row, "Item Title") or f.get(row, "Subject") or f.get(row, "Note")),
            payout_id=tx_id if kind == "payout" else "", category=type_, line_no=n)
    return skipped


def sniff(text: str) -> str | None:
    """'stripe' or 'paypal' from the header row, else None."""
    first = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    names = set(_with_aliases({h.strip().lower(): i for i, h in enumerate(first)}))
    if all(c in names for c in STRIPE_REQUIRED):
        return "stripe"
    if all(c.lower() in names for c in PAYPAL_REQUIRED):
        return "paypal"
    return None
