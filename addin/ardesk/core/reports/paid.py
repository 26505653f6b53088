"""Paid invoices and days to pay.

An invoice is paid on the date of the allocation (cash, customer credit, suspense cleared or
write-off) that brings what was applied to it up to its total.  Credit notes are not invoices and
are not listed.

- **Days to pay** = paid date - issue date.
- **Days late** = paid date - due date, 0 when paid on or before the due date.
- The averages per customer and currency are plain means over that customer's paid invoices
  (each invoice counts once, whatever its amount), to one decimal, rounded half-up.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..ledger.ledger import REDUCES_INVOICE, Ledger
from ..model import Invoice

ONE_DP = Decimal("0.1")


@dataclass(frozen=True)
class PaidInvoice:
    invoice: Invoice
    paid: date
    settled_by: str                 # the allocation kinds that paid it: "applied", "applied, write-off"

    @property
    def days_to_pay(self) -> int:
        return (self.paid - self.invoice.issue_date).days

    @property
    def days_late(self) -> int:
        return max((self.paid - self.invoice.due_date).days, 0)


def paid_invoices(ledger: Ledger, as_of: date | None = None) -> list[PaidInvoice]:
    """Invoices paid in full on or before ``as_of`` (None: ever), in the order they were paid."""
    applied: dict[str, int] = defaultdict(int)
    kinds: dict[str, list[str]] = defaultdict(list)
    out: list[PaidInvoice] = []
    done: set[str] = set()
    for a in sorted((a for a in ledger.allocations if a.invoice_no and a.kind in REDUCES_INVOICE),
                    key=lambda a: a.date):
        inv = ledger.invoice_by_no.get(a.invoice_no)
        if inv is None or inv.kind != "invoice" or inv.total <= 0 or inv.number in done:
            continue
        if as_of is not None and a.date > as_of:
            break
        applied[inv.number] += a.amount
        if a.kind not in kinds[inv.number]:
            kinds[inv.number].append(a.kind)
        if applied[inv.number] >= inv.total:
            done.add(inv.number)
            out.append(PaidInvoice(inv, a.date, ", ".join(kinds[inv.number])))
    return out


def _mean(values: list[int]) -> Decimal:
    return (Decimal(sum(values)) / len(values)).quantize(ONE_DP, rounding=ROUND_HALF_UP)


def average_days(paid: list[PaidInvoice], per_customer: bool = True
                 ) -> dict[tuple[str, str], tuple[Decimal, Decimal, int]]:
    """(customer, currency) -> (average days to pay, average days late, paid invoices);
    the customer is "" when ``per_customer`` is False (one average per currency)."""
    groups: dict[tuple[str, str], list[PaidInvoice]] = defaultdict(list)
    for p in paid:
        groups[(p.invoice.customer_id if per_customer else "", p.invoice.currency)].append(p)
    return {k: (_mean([p.days_to_pay for p in v]), _mean([p.days_late for p in v]), len(v))
            for k, v in groups.items()}
