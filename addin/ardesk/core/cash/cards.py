"""Card settlements from a processor report (Stripe, PayPal: :func:`ardesk.bank.read_processor`).

- A charge is a receipt: it is matched like any other (the invoice id or
  description the processor carries, else amount and customer name) and
  posted Dr Card clearing / Cr AR, or sent to review.
- A processor fee: Dr Card fees / Cr Card clearing.
- A payout is expected at the bank: when the bank line with its amount comes
  (:mod:`ardesk.core.settlement`), Dr Bank / Cr Card clearing.
- A refund or chargeback reopens what its charge paid: a card payment of the
  negative amount whose negative "applied" allocations undo the original ones,
  latest first (Dr AR / Cr Card clearing).  Rows are never edited.

Everything carries a fingerprint from the processor's own ids, so a report
imported twice posts once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ledger.journal import EntryBuilder, receipt_entry
from ..ledger.ledger import Ledger
from .accounting import Tally
from .matching import Incoming
from ..model import Allocation, JournalLine, Payment, Problem, Settings
from ..money import exponent, fmt
from .settlement import Settlement


@dataclass
class CardResult:
    settlements: list[Settlement] = field(default_factory=list)
    journal: list[JournalLine] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    duplicates_skipped: int = 0
    # per report: what became of its rows other than charges (those are counted as receipts)
    by_source: Tally = field(default_factory=Tally)


def charge_fingerprint(charge_id: str) -> str:
    return f"card:{charge_id}"


def charges(report) -> list[Incoming]:
    """The report's charges as incoming receipts (method card: they land in Card clearing)."""
    out = []
    for t in report.transactions:
        if t.kind != "charge" or t.gross <= 0:
            continue
        out.append(Incoming(t.created, t.gross, t.currency, charge_fingerprint(t.charge_id or t.transaction_id),
                            report.source, "card", t.customer_name, "", "", t.invoice_id, t.description, "",
                            f"{report.source} line {t.line_no}"))
    return out


def fees_and_payouts(report, ledger: Ledger, settings: Settings, known: set[str]) -> CardResult:
    res = CardResult()
    src = report.source
    res.by_source.count(src, "refused", report.rows_skipped)
    for t in report.transactions:
        e = exponent(t.currency)
        cost = -t.net if t.kind == "fee" else -t.fee
        if t.kind == "adjustment":
            res.by_source.count(src, "debits_ignored" if t.net < 0 else "refused")
        elif t.kind == "payout" and not t.payout_id:
            res.by_source.count(src, "refused")
            res.notes.append(Problem(f"payout row {t.transaction_id} names no payout; it cannot be matched to the "
                                     "bank", src, t.line_no, "payout", t.transaction_id, "receive", blocking=False))
        elif t.kind == "charge" and t.gross <= 0:
            res.by_source.count(src, "debits_ignored")
        if cost:
            fp = f"card-fee:{t.transaction_id}"
            if fp in known:
                res.duplicates_skipped += 1
                if t.kind == "fee":
                    res.by_source.count(src, "duplicates_skipped")
            else:
                if t.kind == "fee":
                    res.by_source.count(src, "settlements")
                known.add(fp)
                memo = f"{report.source} line {t.line_no}: {t.category or t.kind} fee {t.transaction_id}"
                lines = (EntryBuilder(ledger, settings, t.created, t.currency, "card fee", t.transaction_id, memo)
                         .debit("CardFees", cost).credit("CardClearing", cost).build())
                ledger.add_journal(lines)
                res.journal += lines
                res.settlements.append(Settlement(t.created, "card fee", t.transaction_id, fp, cost, t.currency,
                                                  entry_id=lines[0].entry_id, source=report.source,
                                                  note=f"fee of {fmt(cost, e)} on {t.kind} {t.charge_id or ''}".strip()))
        elif t.kind == "fee":
            res.by_source.count(src, "settlements")          # a fee row of nothing: settled at no cost
    rows = {p.payout_id: sum(1 for t in report.transactions if t.kind == "payout" and t.payout_id == p.payout_id)
            for p in report.payouts}
    for p in report.payouts:
        fp = f"payout:{p.payout_id}"
        if fp in known:
            res.duplicates_skipped += 1
            res.by_source.count(src, "duplicates_skipped", rows[p.payout_id])
            continue
        res.by_source.count(src, "settlements", rows[p.payout_id])
        known.add(fp)
        when = p.date or max((t.created for t in report.transactions if t.payout_id == p.payout_id),
                             default=None)
        if when is None:
            res.notes.append(Problem(f"payout {p.payout_id} has no date; it cannot be matched to the bank",
                                     report.source, None, "payout", p.payout_id, "receive", blocking=False))
            continue
        res.settlements.append(Settlement(when, "card payout", p.payout_id, fp, p.amount, p.currency,
                                          source=report.source,
                                          note=f"{p.transaction_count} transaction(s); expected at the bank"
                                               + ("" if p.checked else " (not checked against its transactions)")))
    return res


def refunds(report, ledger: Ledger, settings: Settings, res: CardResult) -> None:
    """Reopen the invoices that refunded or charged-back charges paid."""
    by_fp = {p.fingerprint: p for p in ledger.payments}
    for t in report.transactions:
        if t.kind not in ("refund", "chargeback"):
            continue
        if t.gross >= 0:
            res.notes.append(Problem(
                f"{t.kind} row {t.transaction_id} ({t.category}) gives money back ({fmt(t.gross, exponent(t.currency))} "
                f"{t.currency}): not posted, check it with the processor", report.source, t.line_no, "gross",
                fmt(t.gross, exponent(t.currency)), "receive", blocking=False))
            res.by_source.count(report.source, "refused")
            continue
        fp = f"card-{t.kind}:{t.transaction_id}"
        if fp in ledger.fingerprints:
            res.duplicates_skipped += 1
            res.by_source.count(report.source, "duplicates_skipped")
            continue
        e = exponent(t.currency)
        original = by_fp.get(charge_fingerprint(t.charge_id)) if t.charge_id else None
        if original is None:
            res.notes.append(Problem(
                f"{t.kind} of {fmt(-t.gross, e)} {t.currency} for charge {t.charge_id or '(none)'} not posted: "
                "the charge is not posted yet (on the Review tab, or in another report); it is taken up when "
                "the report is imported again", report.source, t.line_no, "charge_id", t.charge_id, "receive",
                blocking=False))
            res.by_source.count(report.source, "refused")
            continue
        res.by_source.count(report.source, "settlements")
        pid = ledger.next_id("PAY")
        pay = Payment(pid, t.created, t.gross, t.currency, fp, report.source, "card", original.payer,
                      original.customer_id, f"{t.kind} of {original.id} ({t.charge_id})", "")
        left = -t.gross
        allocs: list[Allocation] = []
        paid = [a for a in ledger.allocations if a.payment_id == original.id and a.kind == "applied"]
        for a in reversed(paid):
            undo = min(left, a.amount, ledger.applied.get(a.invoice_no, 0))
            if undo <= 0:
                continue
            allocs.append(Allocation(ledger.next_id("AL"), t.created, "applied", -undo, t.currency, pid,
                                     a.invoice_no, a.customer_id, t.kind,
                                     f"{t.kind} {t.transaction_id} of charge {t.charge_id}: {a.invoice_no} "
                                     f"reopened by {fmt(undo, e)}"))
            left -= undo
            if left <= 0:
                break
        if left > 0:
            allocs.append(Allocation(ledger.next_id("AL"), t.created, "credit", -left, t.currency, pid, "",
                                     original.customer_id, t.kind,
                                     f"{t.kind} {t.transaction_id}: {fmt(left, e)} taken from customer credit"))
        entry = receipt_entry(pay, allocs, ledger, settings)
        ledger.add_payments([pay])
        ledger.add_allocations(allocs)
        ledger.add_journal(entry)
        res.payments.append(pay)
        res.allocations += allocs
        res.journal += entry
