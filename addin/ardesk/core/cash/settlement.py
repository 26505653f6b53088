"""Bank lines that are not receipts: deposit slips and card payouts arriving at the bank.

Money that reached us earlier, as checks and cash (Dr Undeposited funds) or
as card charges (Dr Card clearing), arrives at the bank later in one sum.
That bank line pays no invoice; it moves the money:

    deposit banked:  Dr Bank / Cr Undeposited funds   (the slip's total)
    payout banked:   Dr Bank / Cr Card clearing       (the processor's payout)

A bank line matches an open deposit slip or payout when the currency and
amount are equal and it is dated on or after the slip or payout (at most
:data:`WINDOW_DAYS` later).  Each match is kept on the Settlements tab with
the bank line's fingerprint, so the line is never taken for a receipt, even
when the statement is imported again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ... import schema
from ...io.port import Table
from ..ledger.journal import EntryBuilder
from ..ledger.ledger import Ledger
from .matching import Incoming
from ..model import JournalLine, Problem, Settings
from ..money import exponent, fmt, to_decimal
from ..read import RAW, RowReader, _money_row, as_date

WINDOW_DAYS = 14


@dataclass(frozen=True, slots=True)
class Settlement:
    date: date
    kind: str
    document: str
    fingerprint: str
    amount: int
    currency: str
    invoice_no: str = ""
    customer_id: str = ""
    entry_id: str = ""
    source: str = ""
    note: str = ""


def settlement_row(s: Settlement) -> tuple:
    return (s.date, s.kind, s.document or None, s.fingerprint, s.invoice_no or None, s.customer_id or None,
            to_decimal(s.amount, exponent(s.currency)), s.currency, s.entry_id or None, s.source or None,
            s.note[:250] or None)


def read_settlements(t: Table, step: str = "receive") -> tuple[list[Settlement], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.SETTLEMENTS, problems, step)
    cols = [("Date", as_date, True), ("Kind", None, True), ("Document", None, False), ("Fingerprint", None, True),
            ("Amount", RAW, True), ("Currency", None, True), ("InvoiceNo", None, False),
            ("CustomerID", None, False), ("EntryID", None, False), ("Source", None, False), ("Note", None, False)]
    out = []
    for rownum, v in r.rows(cols):
        v = _money_row(v, (4,), 5, "EUR", r, rownum, ("Amount",))
        if v is not None:
            out.append(Settlement(*v))
    return out, problems


@dataclass(frozen=True, slots=True)
class DepositLine:
    deposit_id: str
    date: date
    payment_id: str
    check_no: str
    payer: str
    amount: int
    currency: str


def read_deposits(t: Table, step: str = "receive") -> tuple[list[DepositLine], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.DEPOSITS, problems, step)
    cols = [("DepositID", None, True), ("Date", as_date, True), ("PaymentID", None, True), ("CheckNo", None, False),
            ("Payer", None, False), ("Amount", RAW, True), ("Currency", None, True)]
    out = []
    for rownum, v in r.rows(cols):
        v = _money_row(v, (5,), 6, "EUR", r, rownum, ("Amount",))
        if v is not None:
            out.append(DepositLine(*v))
    return out, problems


@dataclass(frozen=True, slots=True)
class Expected:
    """A sum on its way to the bank: a deposit slip or a card payout."""
    kind: str            # "deposit banked" or "payout banked"
    document: str
    date: date
    amount: int
    currency: str
    clears: str          # the account role the bank line credits


def expected_at_bank(deposits: list[DepositLine], settlements: list[Settlement]) -> list[Expected]:
    banked = {(s.kind, s.document) for s in settlements if s.kind in ("deposit banked", "payout banked")}
    out: dict[str, Expected] = {}
    for d in deposits:
        if ("deposit banked", d.deposit_id) in banked:
            continue
        e = out.get(d.deposit_id)
        out[d.deposit_id] = Expected("deposit banked", d.deposit_id, d.date, (e.amount if e else 0) + d.amount,
                                     d.currency, "Undeposited")
    for s in settlements:
        if s.kind == "card payout" and ("payout banked", s.document) not in banked:
            out["payout:" + s.document] = Expected("payout banked", s.document, s.date, s.amount, s.currency,
                                                   "CardClearing")
    return sorted(out.values(), key=lambda x: (x.date, x.document))


def match_bank_lines(incoming: list[Incoming], expected: list[Expected], ledger: Ledger, settings: Settings,
                     known: set[str]) -> tuple[list[Incoming], list[Settlement], list[JournalLine]]:
    """Take the bank lines that bank an expected deposit or payout out of ``incoming``.

    Returns the remaining incoming receipts, the settlements and their entries.  Mutates ``ledger``
    (journal ids) and ``expected`` is not changed.
    """
    waiting = list(expected)
    rest, done, journal = [], [], []
    for inc in incoming:
        if not inc.at_bank or inc.amount <= 0 or inc.fingerprint in known or inc.fingerprint in ledger.fingerprints:
            rest.append(inc)
            continue
        hit = next((x for x in waiting if x.currency == inc.currency and x.amount == inc.amount
                    and x.date <= inc.date <= x.date + timedelta(days=WINDOW_DAYS)), None)
        if hit is None:
            rest.append(inc)
            continue
        waiting.remove(hit)
        e = exponent(inc.currency)
        what = "deposit slip" if hit.kind == "deposit banked" else "card payout"
        memo = f"{what} {hit.document} banked: {fmt(inc.amount, e)} {inc.currency} ({inc.origin})"
        lines = (EntryBuilder(ledger, settings, inc.date, inc.currency, hit.kind, hit.document, memo)
                 .debit("Cash", inc.amount).credit(hit.clears, inc.amount).build())
        ledger.add_journal(lines)
        journal.extend(lines)
        known.add(inc.fingerprint)
        done.append(Settlement(inc.date, hit.kind, hit.document, inc.fingerprint, inc.amount, inc.currency,
                               entry_id=lines[0].entry_id, source=inc.source,
                               note=f"{inc.origin}: {fmt(inc.amount, e)} equals {what} {hit.document} of "
                                    f"{hit.date}"))
    return rest, done, journal
