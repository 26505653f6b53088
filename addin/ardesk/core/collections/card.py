"""The customer's account at a glance: the Customer tab and ARDESK_CUSTOMER_CARD.

Rows (Section, Item, Date, Currency, Amount, Days, Note), per currency the
customer has items in: the balance and credit limit used, the aging
buckets, each open item with its days past due, the last payments, the
average days to pay, then (on the tab) open disputes, the dunning level
reached, payment plans and the latest notes.

Days to pay and days late are the Aging tab's averages
(:mod:`ardesk.core.reports.paid`) over the customer's invoices paid in full
by the as-of date.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..ledger.ledger import Ledger
from ..model import Customer
from ..money import exponent, to_decimal
from ..reports.aging import bucket_index, bucket_labels
from ..reports.paid import average_days, paid_invoices
from .model import Dispute

LAST_PAYMENTS = 5
LAST_NOTES = 5


@dataclass(frozen=True, slots=True)
class CardRow:
    section: str
    item: str
    date: date | None = None
    currency: str = ""
    amount: int | None = None
    days: Decimal | int | None = None
    note: str = ""

    def cells(self) -> tuple:
        e = exponent(self.currency)
        return (self.section, self.item, self.date, self.currency or None,
                None if self.amount is None else to_decimal(self.amount, e), self.days, self.note or None)


def ledger_rows(ledger: Ledger, customer_id: str, as_of: date, customer: Customer | None,
                buckets: tuple[int, ...], basis: str = "due") -> list[CardRow]:
    """What the ledgers alone say of the customer (the worksheet function gives these)."""
    items = [(inv, left) for inv, left in ledger.open_at(as_of) if inv.customer_id == customer_id]
    currencies = sorted({inv.currency for inv, _ in items} |
                        {cur for (cid, cur) in ledger.by_customer if cid == customer_id})
    labels = bucket_labels(buckets)
    rows: list[CardRow] = []
    averages = average_days([p for p in paid_invoices(ledger, as_of) if p.invoice.customer_id == customer_id])
    paid: dict[tuple[str, str], list] = defaultdict(lambda: [None, 0])
    for a in ledger.allocations:
        if a.customer_id == customer_id and a.kind in ("applied", "credit") and a.date <= as_of:
            slot = paid[(a.payment_id, a.currency)]
            slot[0], slot[1] = a.date, slot[1] + a.amount
    for cur in currencies:
        mine = sorted(((inv, left) for inv, left in items if inv.currency == cur),
                      key=lambda x: (x[0].due_date, x[0].number))
        balance = sum(left for _, left in mine)
        rows.append(CardRow("Account", "Balance", as_of, cur, balance))
        if customer is not None and customer.credit_limit and customer.currency == cur:
            used = (Decimal(balance) * 100 / customer.credit_limit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            rows.append(CardRow("Account", "Credit limit", None, cur, customer.credit_limit, None,
                                f"{used}% used"))
        avg = averages.get((customer_id, cur))
        rows.append(CardRow("Account", "Days to pay (average)", None, cur, None, avg[0] if avg else None,
                            f"issue to paid, {avg[2]} invoice(s) paid in full" if avg else "none paid in full yet"))
        rows.append(CardRow("Account", "Days late (average)", None, cur, None, avg[1] if avg else None,
                            "due to paid, 0 when on time" if avg else ""))
        acc = [0] * len(labels)
        for inv, left in mine:
            ref = inv.due_date if basis == "due" else inv.issue_date
            acc[bucket_index((as_of - ref).days, buckets)] += left
        rows += [CardRow("Aging", label, None, cur, v) for label, v in zip(labels, acc)]
        rows += [CardRow("Open items", inv.number, inv.due_date, cur, left, max((as_of - inv.due_date).days, 0),
                         inv.kind) for inv, left in mine]
        last = sorted(((d, pid, amt) for (pid, c), (d, amt) in paid.items() if c == cur), reverse=True)
        rows += [CardRow("Payments", pid, d, cur, amt) for d, pid, amt in last[:LAST_PAYMENTS]]
    return rows


def card_rows(ledger: Ledger, customer_id: str, as_of: date, customer: Customer | None, buckets: tuple[int, ...],
              basis: str, disputes: list[Dispute], level: int, plans: list[tuple[str, str]],
              notes: list[tuple[date, str, str]]) -> list[tuple]:
    """The Customer tab: the ledger's figures, then disputes, dunning level, plans and latest notes."""
    rows = ledger_rows(ledger, customer_id, as_of, customer, buckets, basis)
    for d in disputes:
        inv = ledger.invoice_by_no.get(d.invoice_no)
        if inv is not None and inv.customer_id == customer_id and d.pauses_dunning:
            rows.append(CardRow("Disputes", d.id, d.date, d.currency, d.amount, (as_of - d.date).days,
                                f"{d.invoice_no}: {d.reason_code}, {d.status}" + (f", {d.owner}" if d.owner else "")))
    rows.append(CardRow("Dunning", "Level reached", None, "", None, level or None,
                        "" if level else "not dunned"))
    rows += [CardRow("Plans", pid, None, "", None, None, status) for pid, status in plans]
    for d, channel, text in sorted(notes, reverse=True)[:LAST_NOTES]:
        rows.append(CardRow("Notes", channel, d, "", None, None, text))
    return [r.cells() for r in rows]
