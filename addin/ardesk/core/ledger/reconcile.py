"""Receivables reconciliation: the AR roll-forward and subledger vs control.

Roll-forward for a period, per currency:
    opening AR + invoiced - credit notes + credit notes turned into customer credit
        - cash applied - credits applied - write-offs = closing AR
where opening and closing are the subledger (sum of open items) at the day
before the period and at its end, and every movement is read from the
allocations and invoices dated inside the period.  The subledger per customer
is then compared with the AR control account in the journal; every
difference is listed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from .journal import check_balanced
from .ledger import Ledger
from ..model import Problem, Settings


@dataclass
class RollForward:
    currency: str
    opening: int
    invoiced: int
    credit_notes: int
    cash_applied: int
    credits_applied: int
    write_offs: int
    closing_expected: int
    closing_subledger: int
    closing_control: int
    to_credit: int = 0              # the part of credit notes their invoices could not take

    @property
    def balanced(self) -> bool:
        return self.closing_expected == self.closing_subledger == self.closing_control


@dataclass
class Reconciliation:
    start: date
    end: date
    roll: dict[str, RollForward]
    differences: list[tuple[str, str, int, int]]      # (customer, currency, subledger, control)
    journal_problems: list[Problem] = field(default_factory=list)
    credits: dict[str, int] = field(default_factory=dict)
    suspense: dict[str, int] = field(default_factory=dict)

    @property
    def journal_balanced(self) -> bool:
        return not self.journal_problems

    @property
    def subledger_equals_control(self) -> bool:
        return not self.differences and all(r.closing_subledger == r.closing_control for r in self.roll.values())

    @property
    def ok(self) -> bool:
        return self.journal_balanced and self.subledger_equals_control and all(r.balanced for r in self.roll.values())


def subledger(ledger: Ledger, as_of: date | None = None) -> dict[tuple[str, str], int]:
    """Open items per (customer, currency) as of a date (None: everything posted)."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for inv, left in ledger.open_at(as_of):
        out[(inv.customer_id, inv.currency)] += left
    return out


def reconcile(ledger: Ledger, settings: Settings, start: date, end: date) -> Reconciliation:
    before = start - timedelta(days=1)
    sub_open, sub_close = subledger(ledger, before), subledger(ledger, end)
    credits_acct, suspense_acct = settings.account("Credits"), settings.account("Suspense")
    control, others, balanced = ledger.journal_totals(settings.account("AR"), (credits_acct, suspense_acct), end)
    # every currency with a balance or activity: open items, AR, credits, suspense, receipts, invoices
    currencies = ({c for _, c in sub_open} | {c for _, c in sub_close} | {c for _, c in control}
                  | {c for acct in others.values() for c, v in acct.items() if v}
                  | {p.currency for p in ledger.payments if start <= p.date <= end}
                  | {i.currency for i in ledger.invoices if start <= i.issue_date <= end})
    invoiced: dict[tuple[str, bool], int] = defaultdict(int)      # (currency, is a credit note)
    for i in ledger.invoices:
        if start <= i.issue_date <= end:
            invoiced[(i.currency, i.kind != "invoice")] += i.total
    movements: dict[tuple[str, str], int] = defaultdict(int)      # (currency, allocation kind)
    for a in ledger.allocations:
        if a.invoice_no and start <= a.date <= end:
            movements[(a.currency, a.kind)] += a.amount
    roll: dict[str, RollForward] = {}
    for cur in sorted(currencies):
        inv_sum = invoiced[(cur, False)]
        cn_sum = -invoiced[(cur, True)]
        moves = {k: movements[(cur, k)] for k in ("applied", "suspense cleared", "credit applied", "write-off")}
        opening = sum(v for (c, k), v in sub_open.items() if k == cur)
        closing_sub = sum(v for (c, k), v in sub_close.items() if k == cur)
        closing_ctl = sum(v for (c, k), v in control.items() if k == cur)
        cash = moves["applied"] + moves["suspense cleared"]      # cash placed on invoices, at once or later
        to_credit = -movements[(cur, "credit note to credit")]
        expected = opening + inv_sum - cn_sum + to_credit - cash - moves["credit applied"] - moves["write-off"]
        roll[cur] = RollForward(cur, opening, inv_sum, cn_sum, cash, moves["credit applied"],
                                moves["write-off"], expected, closing_sub, closing_ctl, to_credit)
    diffs = []
    for key in sorted(set(sub_close) | set(control)):
        s, c = sub_close.get(key, 0), control.get(key, 0)
        if s != c:
            diffs.append((key[0], key[1], s, c))
    credits = {k: -v for k, v in others[credits_acct].items() if v}
    suspense = {k: -v for k, v in others[suspense_acct].items() if v}
    journal_problems = [] if balanced else check_balanced(ledger.journal)
    return Reconciliation(start, end, roll, diffs, journal_problems, credits, suspense)
