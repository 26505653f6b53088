"""The cash-application steps a run is made of: receive, apply-review and deposit.

Each takes what was read from the workbook and returns what to append and
update; :mod:`ardesk.app` writes it once.

receive:
    1. processor reports: fees posted, payouts recorded as expected at the bank;
    2. bank lines that bank a deposit slip or a payout are settled, not received;
    3. the remaining receipts are matched: posted, sent to review, or put in suspense;
    4. refunds and chargebacks reopen what their charges paid;
    5. customer credits are applied to open invoices.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Sequence

from ...io.port import Table, WorkbookError
from ..ledger.ledger import Ledger
from .accounting import Tally
from .matching import Incoming, MatchIndex
from ..model import Allocation, JournalLine, Payment, Problem, Settings
from .receipts import apply_credits, post_receipts
from .settlement import (DepositLine, Settlement, expected_at_bank, match_bank_lines, read_deposits,
                          read_settlements, settlement_row)
from . import review as rv
from . import cards, deposits as dep

CASHAPP_TABLES = ("tblReview", "tblDeposits", "tblSettlements")


@dataclass
class CashBooks:
    review: list[rv.ReviewRow]
    deposits: list[DepositLine]
    settlements: list[Settlement]
    problems: list[Problem]


def load_cashapp(port) -> CashBooks:
    try:
        raw: dict[str, Table] = port.read_tables(CASHAPP_TABLES)
    except WorkbookError as exc:
        return CashBooks([], [], [], [Problem(
            f"{exc}; this workbook predates the Review, Deposits and Settlements tabs: create a new one with "
            "`ardesk init` and copy the tabs over", "", None, "", None, "receive")])
    review, p1 = rv.read_review(raw["tblReview"], "validate")
    deps, p2 = read_deposits(raw["tblDeposits"], "validate")
    sets, p3 = read_settlements(raw["tblSettlements"], "validate")
    return CashBooks(review, deps, sets, p1 + p2 + p3)


@dataclass
class CashResult:
    payments: list[Payment] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    journal: list[JournalLine] = field(default_factory=list)
    appends: dict[str, list[tuple]] = field(default_factory=dict)
    updates: list[tuple[str, int, str, Any]] = field(default_factory=list)   # (table, row, column, value)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    audit: list[str] = field(default_factory=list)
    by_source: Tally = field(default_factory=Tally)       # line outcomes per file

    def add_rows(self, table: str, rows: Sequence[tuple]) -> None:
        if rows:
            self.appends.setdefault(table, []).extend(rows)


def receive(incoming: list[Incoming], bank_in: list[Incoming], reports: list, cash: CashBooks, ledger: Ledger,
            customers: dict, settings: Settings) -> CashResult:
    out = CashResult()
    known = {s.fingerprint for s in cash.settlements} | rv.pending_fingerprints(cash.review)
    card = cards.CardResult()
    card_in: list[Incoming] = []
    for rep in reports:
        r = cards.fees_and_payouts(rep, ledger, settings, known)
        card.settlements += r.settlements
        card.journal += r.journal
        card.notes += r.notes
        card.duplicates_skipped += r.duplicates_skipped
        card.by_source.merge(r.by_source)
        card_in += cards.charges(rep)
    new_expected = [s for s in card.settlements if s.kind == "card payout"]
    expected = expected_at_bank(cash.deposits, cash.settlements + new_expected)
    bank_rest, banked, bank_journal = match_bank_lines(bank_in, expected, ledger, settings, known)
    res = post_receipts(incoming + card_in + bank_rest, ledger, customers, settings,
                        MatchIndex(ledger, customers, settings.tolerance_abs, settings.tolerance_pct), known=known)
    out.problems += res.problems
    if res.problems:
        return out
    for rep in reports:
        cards.refunds(rep, ledger, settings, card)
    credit_allocs, credit_journal = apply_credits(ledger, settings)
    out.payments = res.payments + card.payments
    out.allocations = res.allocations + card.allocations + credit_allocs
    out.journal = card.journal + bank_journal + res.journal + credit_journal
    out.notes += card.notes
    out.by_source.merge(res.by_source)
    out.by_source.merge(card.by_source)
    for s in banked:
        out.by_source.count(s.source, "settlements")
    out.add_rows("tblReview", [rv.review_row(i) for i in res.review])
    out.add_rows("tblSettlements", [settlement_row(s) for s in card.settlements + banked])
    for row, pid in res.stamps:
        out.updates.append(("tblReceipts", row, "PaymentID", pid))
    to_review = sum(1 for i in res.review if not i.payment_id)
    out.counts = dict(lines_read=res.lines_read + len(banked), auto_posted=res.auto_posted, to_review=to_review,
                      duplicates_skipped=res.duplicates_skipped + card.duplicates_skipped,
                      debits_ignored=res.debits_ignored, receipts_posted=len(out.payments),
                      suspense=sum(1 for a in res.allocations if a.kind == "suspense"),
                      credits_applied=len(credit_allocs), write_offs=sum(1 for a in res.allocations
                                                                         if a.kind == "write-off"),
                      deposits_banked=sum(1 for s in banked if s.kind == "deposit banked"),
                      payouts_banked=sum(1 for s in banked if s.kind == "payout banked"),
                      card_fees=sum(1 for s in card.settlements if s.kind == "card fee"),
                      refunds=len(card.payments))
    if out.payments or credit_allocs or banked or card.settlements or res.review:
        out.audit.append(f"posted {len(out.payments)} receipt(s) ({res.auto_posted} matched automatically), "
                         f"{to_review} to review, {len(banked)} deposit(s)/payout(s) banked, "
                         f"{len(credit_allocs)} credit application(s)")
    return out


def apply_review(cash: CashBooks, ledger: Ledger, customers: dict, settings: Settings, today: date) -> CashResult:
    out = CashResult()
    ix = MatchIndex(ledger, customers, settings.tolerance_abs, settings.tolerance_pct)
    res = rv.apply_review(cash.review, ledger, customers, settings, ix, today)
    out.problems += res.problems
    if res.problems:
        return out
    credit_allocs, credit_journal = apply_credits(ledger, settings)
    out.payments = res.payments
    out.allocations = res.allocations + credit_allocs
    out.journal = res.journal + credit_journal
    for row, pid in res.stamps:
        out.updates.append(("tblReceipts", row, "PaymentID", pid))
    for row, status in res.statuses:
        out.updates.append(("tblReview", row, "Status", status))
    out.counts = dict(review_posted=res.posted, suspense_cleared=res.cleared, review_waiting=res.waiting,
                      receipts_posted=len(res.payments), credits_applied=len(credit_allocs))
    if res.statuses:
        out.audit.append(f"review: {res.posted} posted, {res.cleared} cleared from suspense, "
                         f"{res.waiting} still waiting")
    return out


def deposit(cash: CashBooks, ledger: Ledger, settings: Settings, on: date) -> tuple[CashResult, list]:
    out = CashResult()
    slips = dep.make_slips(ledger, cash.deposits, settings, on)
    for s in slips:
        out.add_rows("tblDeposits", dep.deposit_rows(s))
    out.counts = dict(deposit_slips=len(slips), deposit_items=sum(len(s.items) for s in slips))
    if slips:
        out.audit.append("deposit: " + ", ".join(f"{s.deposit_id} {len(s.items)} item(s) {s.currency}"
                                                  for s in slips))
    return out, slips


def slip_summaries(slips: list) -> list[dict]:
    from ..money import exponent, to_decimal
    return [{"deposit_id": s.deposit_id, "date": s.date.isoformat(), "currency": s.currency, "items": len(s.items),
             "check_numbers": [p.check_no for p in s.items if p.check_no],
             "total": str(to_decimal(s.total, exponent(s.currency)))} for s in slips]


def review_waiting(cash: CashBooks, changes) -> int:
    """How many Review rows still wait for a decision once this run's changes are written."""
    decided = {row for row, column, _ in changes.updates.get("tblReview", ()) if column == "Status"}
    waiting = sum(1 for r in cash.review if not r.status and r.row not in decided)
    return waiting + len(changes.appends.get("tblReview", ()))


def review_notes(cash: CashBooks, changes) -> list[Problem]:
    """The note on Exceptions saying how many Review rows wait (see :func:`review_waiting`)."""
    waiting = review_waiting(cash, changes)
    if not waiting:
        return []
    return [Problem(f"{waiting} receipt(s) wait on the Review tab: fill Decision (or CustomerID / InvoiceNos) "
                    "and run apply-review", "Review", None, "Decision", None, "receive", blocking=False)]
