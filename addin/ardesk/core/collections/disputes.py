"""Disputes: an open dispute pauses dunning on the disputed amount only.

Statuses: ``open`` and ``under review`` pause dunning on the disputed amount
(the rest of the invoice is dunned as usual); ``credited`` ends in a credit
note for the disputed amount (issued once, its number stamped on the row);
``rejected`` reinstates the amount, which is dunned again.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from ..ledger.ledger import Ledger
from ..model import Problem
from ..money import exponent, fmt
from .model import CreditRequest, Dispute


def check_disputes(disputes: list[Dispute], ledger: Ledger) -> list[Problem]:
    """A dispute names an issued invoice, in its currency, for no more than its total."""
    out = []
    for d in disputes:
        inv = ledger.invoice_by_no.get(d.invoice_no)
        if inv is None or inv.kind != "invoice":
            out.append(Problem(f"dispute {d.id} is on {d.invoice_no!r}, which is not an issued invoice",
                               "Disputes", d.row, "InvoiceNo", d.invoice_no, "disputes"))
            continue
        e = exponent(inv.currency)
        if d.currency and d.currency != inv.currency:
            out.append(Problem(f"dispute {d.id}: {inv.number} is in {inv.currency}, not {d.currency}",
                               "Disputes", d.row, "Amount", d.currency, "disputes"))
        elif d.amount <= 0 or d.amount > inv.total:
            out.append(Problem(f"dispute {d.id} of {fmt(d.amount, e)} on {inv.number} must be above 0 and at most "
                               f"the invoice total {fmt(inv.total, e)} {inv.currency}",
                               "Disputes", d.row, "Amount", fmt(d.amount, e), "disputes"))
    return out


def disputed_amounts(disputes: list[Dispute], ledger: Ledger) -> dict[str, int]:
    """Per invoice, the amount an open dispute holds back from dunning (at most what is open)."""
    held: dict[str, int] = defaultdict(int)
    for d in disputes:
        if d.pauses_dunning and d.invoice_no in ledger.invoice_by_no:
            held[d.invoice_no] += d.amount
    return {no: min(v, max(ledger.open_amount(no), 0)) for no, v in held.items()}


def resolutions(disputes: list[Dispute], today: date) -> list[tuple[Dispute, CreditRequest]]:
    """Credited disputes without a credit note yet: the credit note each one asks for."""
    return [(d, CreditRequest(today if today >= d.date else d.date, "credit note",
                              f"dispute {d.id} ({d.reason_code}) credited" + (f": {d.notes}" if d.notes else ""),
                              d.invoice_no, amount=d.amount, row=d.row, source="Disputes"))
            for d in disputes if d.status == "credited" and not d.credit_note_no]
