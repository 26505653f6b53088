"""Posting receipts: from the Receipts tab and bank files to payments, allocations and entries.

How a receipt is applied:

1. The invoices the proposal names (quoted by number or RF reference, or
   picked by an amount rule), in its order, each up to its open amount; a
   proposal naming none pays the customer's open invoices oldest due first.
   Only invoices issued on or before the receipt date.  A partial payment
   leaves the rest of the last invoice open.
2. Money left over is the customer's credit (a liability), applied to the
   customer's next invoices oldest first by :func:`apply_credits`.
3. Of imported lines (bank, card processor) only a proposal at or above
   Settings AutoPostThreshold is posted; a less certain one waits on the Review tab, posted by nobody until a clerk
   decides (:mod:`ardesk.core.cashapp.review`).  An underpayment within the
   write-off tolerance is written off with its own entry.
4. A receipt no matching rule explains goes to suspense and is listed on the
   Exceptions and Review tabs; it is never guessed.

Posting is idempotent: each receipt has a fingerprint (the Receipts row's
content, or the bank line's) and a Receipts row is stamped with its
PaymentID; a fingerprint already in the Payments ledger is skipped.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Iterable

from ..ledger.journal import allocation_entry, receipt_entry
from ..ledger.ledger import Ledger
from .matching import Incoming, MatchIndex, Proposal, propose
from ..model import Allocation, Customer, JournalLine, Payment, Problem, Receipt, Settings
from .accounting import Tally
from .amounts import within_tolerance
from ..money import exponent, fmt, to_minor


@dataclass
class ReceiveResult:
    payments: list[Payment] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    journal: list[JournalLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    stamps: list[tuple[int, str]] = field(default_factory=list)   # (Receipts row, PaymentID)
    duplicates_skipped: int = 0
    debits_ignored: int = 0
    lines_read: int = 0
    auto_posted: int = 0
    review: list["ReviewItem"] = field(default_factory=list)
    # per source (file name, "Receipts"): what became of its lines, for the line accounting
    by_source: Tally = field(default_factory=Tally)


def receipt_key(r: Receipt) -> str:
    """What identifies a typed receipt; identical rows are told apart by their occurrence."""
    return "|".join((r.date.isoformat(), r.method, r.payer, r.customer_id, r.reference, r.check_no,
                     str(r.amount), r.currency))


def receipt_fingerprint(r: Receipt, occurrence: int) -> str:
    return "receipts:" + hashlib.sha1(f"{receipt_key(r)}|{occurrence}".encode()).hexdigest()[:20]


def from_receipts(receipts: Iterable[Receipt], ledger: Ledger) -> tuple[list[Incoming], list[Problem]]:
    """Unposted Receipts rows as incoming receipts; posted rows checked against the ledger."""
    out, problems = [], []
    seen: dict[str, int] = {}
    posted = {p.id: p for p in ledger.payments}
    for r in receipts:
        key = receipt_key(r)
        n = seen.get(key, 0)
        seen[key] = n + 1
        if r.payment_id:
            p = posted.get(r.payment_id)
            archived = ledger.carried is not None and r.date < ledger.carried.before
            if p is None and archived:
                pass            # posted, and moved with the settled history to the archive workbook
            elif p is None:
                problems.append(Problem(f"PaymentID {r.payment_id} is not in the Payments ledger; clear it only "
                                        "if this receipt was never posted", "Receipts", r.row, "PaymentID",
                                        r.payment_id, "receive"))
            elif (p.amount, p.date, p.currency) != (r.amount, r.date, r.currency):
                e = exponent(r.currency)
                problems.append(Problem(
                    f"this row was posted as {p.id} ({p.date}, {fmt(p.amount, e)} {p.currency}) and has since been "
                    f"changed to {r.date}, {fmt(r.amount, e)} {r.currency}; posted receipts are not edited: "
                    "restore the row and correct with a reversing entry", "Receipts", r.row, "Amount",
                    fmt(r.amount, e), "receive"))
            continue
        out.append(Incoming(r.date, r.amount, r.currency, receipt_fingerprint(r, n), "Receipts", r.method,
                            r.payer, "", r.customer_id, r.reference, "", r.check_no, f"Receipts row {r.row}",
                            r.row))
    return out, problems


def from_statement(statement) -> list[Incoming]:
    """Bank lines as incoming receipts (debits are kept: the caller reports them).  The money is
    at the bank already, checks included."""
    return [Incoming(ln.booking_date, ln.amount, ln.currency, ln.fingerprint, statement.source,
                     "check" if ln.kind == "check" else "transfer", ln.payer, ln.payer_account, "",
                     ln.reference, ln.text, ln.check_no, f"{statement.source} line {ln.line_no}", None, True)
            for ln in statement.lines]


def first_open_day(settings: Settings, d: date) -> date:
    if settings.locked_through and d <= settings.locked_through:
        return settings.locked_through + timedelta(days=1)
    return d


@lru_cache(maxsize=64, typed=True)
def _tolerance_minor(tolerance_abs: Decimal, e: int) -> int:
    """ToleranceAbs in minor units of a currency with ``e`` decimals (worked out once per run, not per receipt)."""
    return to_minor(tolerance_abs, e)


def allocate(payment: Payment, proposal: Proposal | None, ledger: Ledger, customers: dict[str, Customer],
             settings: Settings | None = None) -> list[Allocation]:
    """Split a payment over open invoices, customer credit and suspense.

    The invoices the proposal names, in its order (none named: the customer's
    open invoices oldest due first); what is left is customer credit.  When the payment falls short of the named invoices by no more
    than the write-off tolerance (ToleranceAbs *and* TolerancePct of their
    open total) and nothing went elsewhere, the shortfall is written off.
    """
    e = exponent(payment.currency)
    if proposal is None or customers.get(proposal.customer_id) is None:
        return [Allocation(ledger.next_id("AL"), payment.date, "suspense", payment.amount, payment.currency,
                           payment.id, "", "", "none", "no rule identified the payer")]
    cid = proposal.customer_id
    if customers[cid].currency != payment.currency and not ledger.by_customer.get((cid, payment.currency)):
        return [Allocation(ledger.next_id("AL"), payment.date, "suspense", payment.amount, payment.currency,
                           payment.id, "", "", proposal.rule,
                           f"matched {cid} ({proposal.reason}), who is billed in {customers[cid].currency}")]
    named: list = []                 # the named invoices it may pay, in the proposal's order
    named_open: dict[str, int] = {}  # and what each has open
    for n in proposal.invoice_nos:
        i = ledger.invoice_by_no.get(n)
        if i is not None and i.customer_id == cid and i.currency == payment.currency and i.issue_date <= payment.date:
            left = ledger.open_amount(n)
            if left > 0:
                named.append(i)
                named_open[n] = left

    def targets():
        # A proposal that names invoices pays those and nothing else: what is left over is the
        # customer's credit, never spread over invoices the payer did not name.  Only a proposal
        # naming none (the payer is known, the amount fits no item) pays oldest due first.
        if proposal.invoice_nos:
            yield from named
        else:
            yield from ledger.open_invoices_of(cid, payment.currency, payment.date)

    remaining = payment.amount
    out: list[Allocation] = []
    taken: dict[str, int] = {}
    for inv in targets():
        if remaining <= 0:
            break
        open_amt = ledger.open_amount(inv.number) - taken.get(inv.number, 0)
        take = min(open_amt, remaining)
        if take <= 0:
            continue
        why = proposal.reason if proposal.invoice_nos else f"{proposal.reason}; oldest open invoice first"
        if take < open_amt:
            why += f"; partial, {fmt(open_amt - take, e)} left open"
        out.append(Allocation(ledger.next_id("AL"), payment.date, "applied", take, payment.currency, payment.id,
                              inv.number, cid, proposal.rule, why[:250]))
        taken[inv.number] = taken.get(inv.number, 0) + take
        remaining -= take
    if remaining > 0:
        out.append(Allocation(ledger.next_id("AL"), payment.date, "credit", remaining, payment.currency, payment.id,
                              "", cid, proposal.rule,
                              f"{fmt(remaining, e)} more than the open invoices: customer credit"))
    if settings is not None and named_open and all(a.invoice_no in named_open for a in out):
        total = sum(named_open.values())
        short = total - sum(taken.values())
        tol = _tolerance_minor(settings.tolerance_abs, e) if short > 0 else 0
        if short > 0 and within_tolerance(short, total, tol, settings.tolerance_pct):
            for no, left in named_open.items():
                rest = left - taken.get(no, 0)
                if rest > 0:
                    out.append(Allocation(
                        ledger.next_id("AL"), payment.date, "write-off", rest, payment.currency, payment.id, no,
                        cid, proposal.rule,
                        f"underpaid by {fmt(short, e)}: within the write-off tolerance "
                        f"({fmt(tol, e)} and {settings.tolerance_pct * 100:.2f}% of {fmt(total, e)})"))
    return out


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A receipt waiting for a clerk: nothing posted (``payment_id`` blank), or held in suspense."""
    incoming: Incoming
    proposal: Proposal | None
    payment_id: str = ""


def post_one(inc: Incoming, proposal: Proposal | None, ledger: Ledger, customers: dict[str, Customer],
             settings: Settings, index: MatchIndex | None = None, res: "ReceiveResult | None" = None
             ) -> tuple[Payment, list[Allocation], list[JournalLine]]:
    """Post one receipt as ``proposal`` says (None: suspense).  Mutates ``ledger``."""
    pid = ledger.next_id("PAY")
    pay = Payment(pid, inc.date, inc.amount, inc.currency, inc.fingerprint)
    allocs = allocate(pay, proposal, ledger, customers, settings)
    # the payment belongs to the customer its money went to (none when held in suspense)
    pay = Payment(pid, inc.date, inc.amount, inc.currency, inc.fingerprint, inc.source, inc.method, inc.payer,
                  next((a.customer_id for a in allocs if a.customer_id), ""), inc.reference or inc.text,
                  inc.check_no, inc.payer_account)
    role = "Cash" if inc.at_bank else None
    entry = receipt_entry(pay, [a for a in allocs if a.kind != "write-off"], ledger, settings, role)
    ledger.add_payments([pay])
    ledger.add_allocations([a for a in allocs if a.kind != "write-off"])
    ledger.add_journal(entry)
    for a in allocs:
        if a.kind == "write-off":
            lines = allocation_entry(a, ledger, settings)
            ledger.add_allocations([a])
            ledger.add_journal(lines)
            entry = entry + lines
    if index is not None:
        index.learn(pay)
    if res is not None:
        res.payments.append(pay)
        res.allocations.extend(allocs)
        res.journal.extend(entry)
        if inc.receipt_row is not None:
            res.stamps.append((inc.receipt_row, pay.id))
    return pay, allocs, entry


@lru_cache(maxsize=1024)
def _confidence(value: float) -> Decimal:
    return Decimal(str(value))


def _auto(proposal: Proposal, settings: Settings) -> bool:
    return _confidence(proposal.confidence) >= settings.auto_post_threshold


def post_receipts(incoming: Iterable[Incoming], ledger: Ledger, customers: dict[str, Customer],
                  settings: Settings, index: MatchIndex | None = None, *, known: Iterable[str] = (),
                  review: bool = True) -> ReceiveResult:
    """Post every new incoming receipt whose proposal reaches AutoPostThreshold; send the others
    to review (``res.review``) without posting them; put unidentified money in suspense.

    ``known``: fingerprints already handled elsewhere (waiting on the Review tab, settled as a
    deposit or payout); they count as duplicates.  With ``review=False`` every proposal is
    posted (the behaviour before the Review tab existed).  Mutates ``ledger``.
    """
    res = ReceiveResult()
    index = index or MatchIndex(ledger, customers, settings.tolerance_abs, settings.tolerance_pct)
    known = set(known)
    batch: set[str] = set()
    todo = []
    for inc in incoming:
        res.lines_read += 1
        if inc.fingerprint in ledger.fingerprints or inc.fingerprint in batch or inc.fingerprint in known:
            res.duplicates_skipped += 1
            res.by_source.count(inc.source, "duplicates_skipped")
            continue
        batch.add(inc.fingerprint)
        if inc.amount <= 0:
            res.debits_ignored += 1
            res.by_source.count(inc.source, "debits_ignored")
            continue
        if settings.locked_through and inc.date <= settings.locked_through:
            sheet, _, rest = inc.origin.partition(" row ")
            res.problems.append(Problem(
                f"receipt of {fmt(inc.amount, exponent(inc.currency))} dated {inc.date} falls in the locked "
                f"period (locked through {settings.locked_through})", sheet if rest else inc.source,
                inc.receipt_row, "Date", inc.date.isoformat(), "receive"))
            continue
        todo.append(inc)
    if res.problems:
        return res
    for inc in sorted(todo, key=lambda i: i.date):
        proposal = propose(inc, index)
        # below the threshold nothing is posted, whether the line was imported or typed: a guess waits for a clerk
        if proposal is not None and review and not _auto(proposal, settings):
            res.review.append(ReviewItem(inc, proposal))
            res.by_source.count(inc.source, "to_review")
            continue
        res.by_source.count(inc.source, "receipts_posted")
        pay, allocs, _ = post_one(inc, proposal, ledger, customers, settings, index, res)
        if proposal is None:
            res.review.append(ReviewItem(inc, None, pay.id))
        else:
            res.auto_posted += 1
    return res


def suspense_notes(ledger: Ledger) -> list[Problem]:
    """Every receipt still held in suspense, for the Exceptions tab."""
    out = []
    for pid, (payment, left) in sorted(ledger.suspense.items()):
        if payment is None or left <= 0:
            continue
        e = exponent(payment.currency)
        out.append(Problem(
            f"unidentified receipt {pid} of {fmt(left, e)} {payment.currency} on {payment.date} from "
            f"{payment.payer or 'unknown payer'} (reference {payment.reference or 'none'!r}) is held in suspense",
            "Payments", None, "PaymentID", pid, "receive", blocking=False))
    return out


def apply_credits(ledger: Ledger, settings: Settings) -> tuple[list[Allocation], list[JournalLine]]:
    """Apply customers' credit balances to their next invoices, oldest credit to oldest invoice.

    A credit pays only invoices issued on or after the day it arose: money a payer sent for the
    invoices they named is not moved onto older invoices they did not name.
    """
    allocs: list[Allocation] = []
    journal: list[JournalLine] = []
    for (cid, cur), pool in sorted(ledger.credit_pool.items()):
        if not any(slot[2] > 0 for slot in pool):
            continue
        for inv in ledger.open_invoices_of(cid, cur):
            for slot in list(pool):
                open_amt = ledger.open_amount(inv.number)
                if open_amt <= 0:
                    break
                if slot[2] <= 0 or inv.issue_date < slot[1]:
                    continue
                take = min(open_amt, slot[2])
                when = first_open_day(settings, max(inv.issue_date, slot[1]))
                a = Allocation(ledger.next_id("AL"), when, "credit applied", take, cur, slot[0], inv.number, cid,
                               "credit", f"customer credit from {slot[0]} applied to {inv.number}")
                entry = allocation_entry(a, ledger, settings)
                ledger.add_allocations([a])
                ledger.add_journal(entry)
                allocs.append(a)
                journal.extend(entry)
    return allocs, journal
