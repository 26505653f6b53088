"""Balanced double-entry postings for every document the desk creates.

Invoice:        Dr AR (total)            Cr Revenue (net), Cr Tax payable (tax)
Credit note:    the reverse of an invoice
Receipt:        Dr Bank / Undeposited funds / Card clearing (amount)
                Cr AR (applied), Cr Customer credits (overpaid), Cr Suspense (unidentified)
Credit applied: Dr Customer credits      Cr AR
Write-off:      Dr Write-offs            Cr AR
Suspense cleared: Dr Suspense            Cr AR / Customer credits
Credit note to customer credit: Dr AR    Cr Customer credits (what its invoice could not take)
Refund:         Dr Customer credits      Cr Bank
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Iterable

from .ledger import Ledger
from ..model import ACCOUNT_NAMES, Allocation, Invoice, JournalLine, Payment, Problem, Settings

CASH_ROLE_BY_METHOD = {"check": "Undeposited", "cash": "Undeposited", "card": "CardClearing"}


class EntryBuilder:
    """Collects the lines of one entry and checks it balances before it is kept."""

    def __init__(self, ledger: Ledger, settings: Settings, when: date, currency: str,
                 doc_type: str, doc_no: str, memo: str = ""):
        self.ledger, self.settings = ledger, settings
        self.when, self.currency, self.doc_type, self.doc_no, self.memo = when, currency, doc_type, doc_no, memo
        self.lines: list[tuple[str, int, int, str]] = []

    def debit(self, role: str, amount: int, customer: str = "") -> "EntryBuilder":
        if amount:
            self.lines.append((role, amount, 0, customer))
        return self

    def credit(self, role: str, amount: int, customer: str = "") -> "EntryBuilder":
        if amount:
            self.lines.append((role, 0, amount, customer))
        return self

    def build(self) -> list[JournalLine]:
        dr = sum(l[1] for l in self.lines)
        cr = sum(l[2] for l in self.lines)
        if dr != cr:
            raise AssertionError(f"unbalanced entry for {self.doc_type} {self.doc_no}: debits {dr} != credits {cr}")
        if not self.lines:
            return []
        entry = self.ledger.next_id("JE")
        accounts, when, cur, doc_type, doc_no, memo = (self.settings.accounts, self.when, self.currency,
                                                       self.doc_type, self.doc_no, self.memo)
        out = []
        for i, (role, d, c, cust) in enumerate(self.lines, start=1):
            # negative amounts flip sides so a column never holds a negative figure
            if d < 0:
                d, c = 0, -d
            elif c < 0:
                d, c = -c, 0
            out.append(JournalLine(entry, i, when, accounts[role], d, c, cur, cust, doc_type, doc_no, memo,
                                   ACCOUNT_NAMES[role]))
        return out


def invoice_entry(inv: Invoice, ledger: Ledger, settings: Settings) -> list[JournalLine]:
    """Dr AR (total), Cr Revenue (net), Cr Tax (tax); a credit note's negative amounts flip sides.

    Written out rather than through :class:`EntryBuilder`: a billing run makes one per invoice."""
    if inv.net + inv.tax != inv.total:
        raise AssertionError(f"unbalanced entry for invoice {inv.number}: net {inv.net} + tax {inv.tax} "
                             f"!= total {inv.total}")
    if not inv.total and not inv.net and not inv.tax:
        return []
    entry = ledger.next_id("JE")
    doc_type = "invoice" if inv.kind == "invoice" else "credit note"
    memo = f"{inv.kind} {inv.number} {inv.period}".strip()
    acct = settings.accounts
    out = []
    for role, amount, customer, debit_side in (("AR", inv.total, inv.customer_id, True),
                                               ("Revenue", inv.net, "", False), ("Tax", inv.tax, "", False)):
        if amount:
            d, c = (abs(amount), 0) if (amount > 0) == debit_side else (0, abs(amount))
            out.append(JournalLine(entry, len(out) + 1, inv.issue_date, acct[role], d, c, inv.currency, customer,
                                   doc_type, inv.number, memo, ACCOUNT_NAMES[role]))
    return out


def receipt_entry(payment: Payment, allocations: Iterable[Allocation], ledger: Ledger,
                  settings: Settings, cash_role: str | None = None) -> list[JournalLine]:
    """The receipt's entry: cash in, and where it went on the payment date.

    ``cash_role`` overrides the account the method implies (a check already on
    the bank statement is at the bank, not in undeposited funds)."""
    e = EntryBuilder(ledger, settings, payment.date, payment.currency, "receipt", payment.id,
                     f"{payment.method or 'receipt'} {payment.payer} {payment.reference}".strip()[:120])
    e.debit(cash_role or CASH_ROLE_BY_METHOD.get(payment.method, "Cash"), payment.amount)
    for a in allocations:
        if a.kind == "applied":
            e.credit("AR", a.amount, a.customer_id)
        elif a.kind == "credit":
            e.credit("Credits", a.amount, a.customer_id)
        elif a.kind == "suspense":
            e.credit("Suspense", a.amount)
        else:
            raise ValueError(f"allocation kind {a.kind!r} does not belong to a receipt entry")
    return e.build()


def allocation_entry(a: Allocation, ledger: Ledger, settings: Settings) -> list[JournalLine]:
    """Entries for allocations made after the receipt: credit applied, write-off, suspense cleared."""
    e = EntryBuilder(ledger, settings, a.date, a.currency, a.kind, a.invoice_no or a.payment_id, a.reason[:120])
    if a.kind == "credit applied":
        e.debit("Credits", a.amount, a.customer_id).credit("AR", a.amount, a.customer_id)
    elif a.kind == "write-off":
        e.debit("WriteOff", a.amount).credit("AR", a.amount, a.customer_id)
    elif a.kind == "suspense cleared":
        e.debit("Suspense", a.amount).credit("AR" if a.invoice_no else "Credits", a.amount, a.customer_id)
    elif a.kind == "credit note to credit":          # the amount is negative on the credit note
        e.debit("AR", -a.amount, a.customer_id).credit("Credits", -a.amount, a.customer_id)
    elif a.kind == "refund":
        e.debit("Credits", a.amount, a.customer_id).credit("Cash", a.amount)
    else:
        raise ValueError(f"allocation kind {a.kind!r} is posted with its receipt")
    return e.build()


def check_balanced(lines: Iterable[JournalLine]) -> list[Problem]:
    """Every entry balances, per currency."""
    net: dict[tuple[str, str], int] = defaultdict(int)
    for j in lines:
        net[(j.entry_id, j.currency)] += j.debit - j.credit
    bad = [k for k, v in net.items() if v]
    if not bad:
        return []
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    wanted = set(bad)
    for j in lines:
        if (j.entry_id, j.currency) in wanted:
            s = sums[(j.entry_id, j.currency)]
            s[0] += j.debit
            s[1] += j.credit
    return [Problem(f"journal entry {eid} ({cur}) does not balance: debits {d} != credits {c} (minor units)",
                    "Journal", None, "EntryID", eid, "reconcile")
            for (eid, cur), (d, c) in sorted(sums.items())]
