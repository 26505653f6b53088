"""Deposit slips: checks and cash received but not yet banked, taken to the bank together.

A receipt by check or cash is posted to Undeposited funds.  ``ardesk deposit``
gathers every such payment dated on or before the slip date and not on an
earlier slip into one slip per currency (rows on the Deposits tab, and a
printable PDF).  No entry is made then: the money is still on its way.  When
the bank statement shows the slip's total (see :mod:`ardesk.core.settlement`)
it is moved to the bank: Dr Bank / Cr Undeposited funds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..ledger.ledger import Ledger
from ..model import Payment, Settings
from ..money import exponent, to_decimal
from .settlement import DepositLine


@dataclass(frozen=True, slots=True)
class DepositSlip:
    deposit_id: str
    date: date
    currency: str
    items: tuple[Payment, ...]

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.items)


def undeposited(ledger: Ledger, deposits: list[DepositLine], settings: Settings, on: date) -> list[Payment]:
    """Payments whose receipt entry debited Undeposited funds and that are on no slip yet."""
    acct = settings.account("Undeposited")
    j = ledger.journal
    into = {no for kind, account, debit, no in zip(j.column("doc_type"), j.column("account"), j.column("debit"),
                                                   j.column("doc_no"))
            if kind == "receipt" and account == acct and debit > 0}
    on_slip = {d.payment_id for d in deposits}
    return sorted((p for p in ledger.payments
                   if p.id in into and p.id not in on_slip and p.amount > 0 and p.date <= on),
                  key=lambda p: (p.currency, p.date, p.id))


def make_slips(ledger: Ledger, deposits: list[DepositLine], settings: Settings, on: date) -> list[DepositSlip]:
    last = max((int(m.group(1)) for d in deposits if (m := re.search(r"(\d+)$", d.deposit_id))), default=0)
    by_cur: dict[str, list[Payment]] = {}
    for p in undeposited(ledger, deposits, settings, on):
        by_cur.setdefault(p.currency, []).append(p)
    slips = []
    for cur in sorted(by_cur):
        last += 1
        slips.append(DepositSlip(f"DEP-{last:07d}", on, cur, tuple(by_cur[cur])))
    return slips


def deposit_rows(slip: DepositSlip) -> list[tuple]:
    e = exponent(slip.currency)
    return [(slip.deposit_id, slip.date, p.id, p.check_no or None, p.payer or None, to_decimal(p.amount, e),
             p.currency) for p in slip.items]


def slips_on_file(ledger: Ledger, deposits: list[DepositLine]) -> list[DepositSlip]:
    """The slips already on the Deposits tab, rebuilt for printing again (each slip's items in tab order)."""
    by_id = {p.id: p for p in ledger.payments}
    grouped: dict[str, list[DepositLine]] = {}
    for d in deposits:
        grouped.setdefault(d.deposit_id, []).append(d)
    return [DepositSlip(dep_id, lines[0].date, lines[0].currency,
                        tuple(by_id[d.payment_id] for d in lines if d.payment_id in by_id))
            for dep_id, lines in grouped.items()]
