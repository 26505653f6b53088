"""Customer notes: calls, e-mails, letters and visits, with promises to pay and follow-ups.

A promise (PromisedDate and PromisedAmount) is *kept* when the customer's
receipts dated from the note's date through the promised date add up to the
amount, *broken* when the promised date has passed without that, *pending*
until then.  A pending promise pauses dunning of its customer until the
promised date.  A follow-up date that has come is on the worklist, unless a
later note for the customer followed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from ..ledger.ledger import Ledger
from ..money import exponent, fmt
from .worklist import Signal


@dataclass(frozen=True, slots=True)
class Note:
    date: date
    clerk: str
    customer_id: str
    invoice_no: str
    channel: str
    text: str
    promised_date: date | None = None
    promised_amount: int | None = None
    currency: str = ""
    follow_up: date | None = None
    promise: str = ""              # as stamped on the tab
    row: int = 0


def promise_state(note: Note, ledger: Ledger, as_of: date, paid_by: dict[str, list]) -> str:
    """pending, kept or broken ('' when the note holds no promise)."""
    if note.promised_date is None or note.promised_amount is None:
        return ""
    paid = sum(p.amount for p in paid_by.get(note.customer_id, ())
               if note.date <= p.date <= note.promised_date and p.date <= as_of and p.currency == note.currency)
    if paid >= note.promised_amount:
        return "kept"
    return "broken" if as_of > note.promised_date else "pending"


def review_notes(notes: list[Note], ledger: Ledger, as_of: date
                 ) -> tuple[list[tuple[Note, str]], dict[str, str], list[Signal]]:
    """Each promise's state, the customers a pending promise keeps from dunning, and the worklist's signals."""
    paid_by: dict[str, list] = defaultdict(list)
    for p in ledger.payments:
        if p.customer_id:
            paid_by[p.customer_id].append(p)
    latest: dict[str, date] = {}
    for n in notes:
        if n.date <= as_of and n.date > latest.get(n.customer_id, date.min):
            latest[n.customer_id] = n.date
    states, paused, signals = [], {}, []
    for n in notes:
        st = promise_state(n, ledger, as_of, paid_by)
        states.append((n, st))
        if st:
            what = f"{fmt(n.promised_amount, exponent(n.currency))} {n.currency} by {n.promised_date} ({n.date})"
            if st == "broken":
                signals.append(Signal(n.customer_id, "broken promise", n.promised_date, what))
            elif st == "pending":
                paused[n.customer_id] = f"promised to pay {what}"
                signals.append(Signal(n.customer_id, "promise", n.promised_date, what))
        if n.follow_up and n.follow_up <= as_of and n.date >= latest.get(n.customer_id, n.date):
            signals.append(Signal(n.customer_id, "follow-up", n.follow_up, f"{n.channel} of {n.date}: {n.text}"[:120]))
    return states, paused, signals
