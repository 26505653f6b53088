"""The Review tab: receipts the matcher was not sure of, and the clerk's decisions.

``ardesk receive`` appends one row per receipt it would not post on its own
(the proposal, confidence and reason filled in) and one per receipt it put in
suspense.  The clerk fills Decision (or just CustomerID / InvoiceNos):

- ``confirm``: post the proposal as shown;
- ``assign``: post to the CustomerID and InvoiceNos typed (either may be blank:
  the customer of the invoices, or the customer's oldest invoices);
- ``suspense``: post to suspense (or keep it there).

``ardesk apply-review`` posts every decided row and writes Status; a row with
a Status is never posted again.  For money already in suspense a decision
clears it: Dr Suspense / Cr Customer credits, then the credit is applied to
the invoices (Dr Customer credits / Cr AR), each a "suspense cleared" and
"credit applied" allocation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ... import schema
from ...io.port import Table
from ..ledger.journal import allocation_entry
from ..ledger.ledger import Ledger
from .matching import Incoming, MatchIndex, Proposal
from ..model import Allocation, Customer, JournalLine, Payment, Problem, Settings
from ..money import exponent, fmt, to_decimal
from ..read import RowReader, as_date, as_int, RAW, _money_row
from .receipts import ReviewItem, first_open_day, post_one

_SPLIT = re.compile(r"[\s,;]+")


def review_row(item: ReviewItem) -> tuple:
    inc, p = item.incoming, item.proposal
    e = exponent(inc.currency)
    if p is None:
        reason = f"no rule identified the payer; held in suspense as {item.payment_id}"
    else:
        reason = p.reason
    values = {
        "Fingerprint": inc.fingerprint, "Date": inc.date, "Source": inc.source, "Origin": inc.origin,
        "Method": inc.method, "Payer": inc.payer or None, "PayerAccount": inc.payer_account or None,
        "Reference": inc.remittance[:250] or None, "CheckNo": inc.check_no or None,
        "Amount": to_decimal(inc.amount, e), "Currency": inc.currency, "PaymentID": item.payment_id or None,
        "ProposedCustomer": p.customer_id if p else None,
        "ProposedInvoices": " ".join(p.invoice_nos) if p and p.invoice_nos else None,
        "Confidence": Decimal(str(p.confidence)) if p else None, "Rule": p.rule if p else None,
        "Reason": reason[:250], "ReceiptRow": inc.receipt_row,
    }
    return tuple(values.get(c) for c in schema.REVIEW.header)


@dataclass(frozen=True, slots=True)
class ReviewRow:
    row: int
    incoming: Incoming
    payment_id: str
    proposed_customer: str
    proposed_invoices: tuple[str, ...]
    reason: str
    decision: str
    customer_id: str
    invoice_nos: tuple[str, ...]
    status: str


def read_review(t: Table, step: str = "review") -> tuple[list[ReviewRow], list[Problem]]:
    problems: list[Problem] = []
    r = RowReader(t, schema.REVIEW, problems, step)
    cols = [("Fingerprint", None, True), ("Date", as_date, True), ("Source", None, False), ("Origin", None, False),
            ("Method", None, False), ("Payer", None, False), ("PayerAccount", None, False),
            ("Reference", None, False), ("CheckNo", None, False), ("Amount", RAW, True), ("Currency", None, True),
            ("PaymentID", None, False), ("ProposedCustomer", None, False), ("ProposedInvoices", None, False),
            ("Reason", None, False), ("Decision", None, False), ("CustomerID", None, False),
            ("InvoiceNos", None, False), ("ReceiptRow", as_int, False), ("Status", None, False)]
    out = []
    for rownum, v in r.rows(cols):
        v = _money_row(v, (9,), 10, "EUR", r, rownum, ("Amount",))
        if v is None:
            continue
        (fp, d, source, origin, method, payer, acct, ref, check, amount, cur, pid, pcust, pinv, reason,
         decision, cid, invs, rrow, status) = v
        decision = decision.lower()
        if decision and decision not in schema.REVIEW_DECISIONS:
            r.error(rownum, "Decision", decision,
                    f"decision {decision!r} is not one of {', '.join(schema.REVIEW_DECISIONS)}")
            continue
        at_bank = source != "Receipts" and method != "card"
        inc = Incoming(d, amount, cur, fp, source, method, payer, acct, "", ref, "", check, origin,
                       rrow, at_bank)
        out.append(ReviewRow(rownum, inc, pid, pcust, _nos(pinv), reason, decision, cid, _nos(invs), status))
    return out, problems


def _nos(text: str) -> tuple[str, ...]:
    return tuple(n for n in _SPLIT.split(text or "") if n)


@dataclass
class ReviewResult:
    payments: list[Payment] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    journal: list[JournalLine] = field(default_factory=list)
    stamps: list[tuple[int, str]] = field(default_factory=list)
    statuses: list[tuple[int, str]] = field(default_factory=list)      # (Review row, Status)
    problems: list[Problem] = field(default_factory=list)
    waiting: int = 0
    posted: int = 0
    cleared: int = 0


def pending_fingerprints(rows: list[ReviewRow]) -> set[str]:
    """Receipts on the Review tab not yet posted: a new import skips them."""
    return {r.incoming.fingerprint for r in rows if not r.payment_id}


def apply_review(rows: list[ReviewRow], ledger: Ledger, customers: dict[str, Customer], settings: Settings,
                 index: MatchIndex, today: date) -> ReviewResult:
    """Post every decided, not yet posted Review row.  Mutates ``ledger``."""
    res = ReviewResult()
    decided = []
    for r in rows:
        if r.status:
            continue
        decision = r.decision or ("assign" if (r.customer_id or r.invoice_nos) else "")
        if not decision:
            res.waiting += 1
            continue
        proposal, problems = _decision(r, decision, ledger, customers)
        res.problems += problems
        decided.append((r, decision, proposal))
    if res.problems:
        return res
    for r, decision, proposal in decided:
        inc = r.incoming
        if not r.payment_id:
            if inc.fingerprint in ledger.fingerprints:
                res.statuses.append((r.row, "already posted; nothing done"))
                continue
            pay, _allocs, _entry = post_one(inc, proposal, ledger, customers, settings, index, res)
            res.posted += 1
            where = "suspense" if proposal is None else proposal.customer_id
            res.statuses.append((r.row, f"posted as {pay.id} ({where}) on {today}"))
            continue
        if proposal is None:
            res.statuses.append((r.row, f"kept in suspense on {today}"))
            continue
        allocs, entry = clear_suspense(r.payment_id, proposal, ledger, settings, today)
        res.allocations += allocs
        res.journal += entry
        res.cleared += 1
        res.statuses.append((r.row, f"suspense cleared to {proposal.customer_id} on {today}"))
    return res


def _decision(r: ReviewRow, decision: str, ledger: Ledger, customers: dict[str, Customer]
              ) -> tuple[Proposal | None, list[Problem]]:
    def bad(column: str, value, message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(message, "Review", r.row, column, value, "apply-review")]

    if decision == "suspense":
        return None, []
    if r.payment_id and r.payment_id not in ledger.suspense:
        return bad("PaymentID", r.payment_id, f"{r.payment_id} is no longer held in suspense")
    if decision == "confirm" and not (r.customer_id or r.invoice_nos):
        cid, nos, column = r.proposed_customer, r.proposed_invoices, "ProposedCustomer"
        why = f"confirmed on the Review tab: {r.reason}"
        if not cid:
            return bad("Decision", decision, "nothing was proposed to confirm: type a CustomerID or InvoiceNos")
    else:
        cid, nos, column = r.customer_id, r.invoice_nos, "CustomerID"
        why = "assigned on the Review tab"
    for n in nos:
        inv = ledger.invoice_by_no.get(n)
        if inv is None:
            return bad("InvoiceNos", " ".join(nos), f"invoice {n} is not in the Invoices ledger")
        cid = cid or inv.customer_id
        if inv.customer_id != cid:
            return bad("InvoiceNos", " ".join(nos), f"invoice {n} belongs to {inv.customer_id}, not {cid}")
        if inv.currency != r.incoming.currency:
            return bad("InvoiceNos", n, f"invoice {n} is in {inv.currency}, the receipt in {r.incoming.currency}")
    if cid not in customers:
        return bad(column, cid, f"unknown customer {cid!r}: not on the Customers sheet")
    return Proposal(cid, tuple(nos), 1.0, "review", why), []


def clear_suspense(payment_id: str, proposal: Proposal, ledger: Ledger, settings: Settings, today: date
                   ) -> tuple[list[Allocation], list[JournalLine]]:
    """Move what a payment holds in suspense to the customer: credit, then applied to invoices."""
    payment, left = ledger.suspense[payment_id]
    cur = payment.currency if payment is not None else settings.base_currency
    e = exponent(cur)
    when = first_open_day(settings, max(today, payment.date if payment is not None else today))
    cid = proposal.customer_id
    allocs, journal = [], []

    def post(a: Allocation) -> None:
        lines = allocation_entry(a, ledger, settings)
        ledger.add_allocations([a])
        ledger.add_journal(lines)
        allocs.append(a)
        journal.extend(lines)

    post(Allocation(ledger.next_id("AL"), when, "suspense cleared", left, cur, payment_id, "", cid, "review",
                    f"{proposal.reason}: {fmt(left, e)} moved from suspense to {cid}'s credit"))
    rest = left
    named = [ledger.invoice_by_no[n] for n in proposal.invoice_nos]
    for inv in named + [i for i in ledger.open_invoices_of(cid, cur, when) if i not in named]:
        open_amt = ledger.open_amount(inv.number)
        take = min(open_amt, rest)
        if take <= 0:
            continue
        post(Allocation(ledger.next_id("AL"), when, "credit applied", take, cur, payment_id, inv.number, cid,
                        "review", f"suspense {payment_id} applied to {inv.number} ({proposal.reason})"[:250]))
        rest -= take
        if rest <= 0:
            break
    return allocs, journal
