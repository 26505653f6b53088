"""The demo's Month-end gives the same Changes, row for row, with today's cash code and with the
earlier code kept in the tests as oracles (references, payer index, allocation, CSV reading and
fingerprints)."""
from __future__ import annotations

import pickle
from datetime import date, datetime
from decimal import Decimal

from hypothesis import example, given, settings, strategies as st

from ardesk import app
from ardesk.core.cash import matching, payers, receipts
from ardesk.core.cash.amounts import within_tolerance
from ardesk.core.ledger.ledger import Ledger
from ardesk.core.model import Allocation, Customer, Payment, Settings
from ardesk.core.money import exponent, fmt, to_minor
from ardesk.io.fileadapter import FileWorkbook

from .conftest import customers_of, ledger_of
from .test_index_oracles import old_payer_index
from .test_same_decisions import OldReferenceIndex


def _bank_oracles():
    """The reader's oracles live with the bank tests (a package of its own)."""
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location(
        "bank_read_oracles", Path(__file__).parents[1] / "bank" / "test_read_oracles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.old_fingerprint_lines, module.old_stream


old_fingerprint_lines, old_stream = _bank_oracles()

Proposal = matching.Proposal


def old_allocate(payment: Payment, proposal: Proposal | None, ledger: Ledger, customers: dict[str, Customer],
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
    named = [ledger.invoice_by_no[n] for n in proposal.invoice_nos if n in ledger.invoice_by_no]
    named = [i for i in named if i.customer_id == cid and i.currency == payment.currency
             and i.issue_date <= payment.date and ledger.open_amount(i.number) > 0]
    named_open = {i.number: ledger.open_amount(i.number) for i in named}

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
        tol = to_minor(settings.tolerance_abs, e) if short > 0 else 0
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



class OldPayerIndex(payers.PayerIndex):
    """The payer index filled a customer at a time."""

    def __init__(self, customers):
        super().__init__(customers)
        old = old_payer_index(customers)
        self.by_id, self.by_account = old["by_id"], old["by_account"]
        self._old = old

    @property
    def by_name(self):
        if self._by_name is None:
            self._by_name = self._old["by_name"]
            self.by_core.update(self._old["by_core"])
            self.by_word.update(self._old["by_word"])
            self.names.update(self._old["names"])
        return self._by_name


def month_end(path, bank, monkeypatch, old: bool) -> bytes:
    with monkeypatch.context() as m:
        if old:
            m.setattr(matching, "ReferenceIndex", OldReferenceIndex)
            m.setattr(matching, "PayerIndex", OldPayerIndex)
            m.setattr(receipts, "allocate", old_allocate)
            m.setattr("ardesk.bank.common.fingerprint_lines", old_fingerprint_lines)
            m.setattr("ardesk.bank.csvprofile.stream", old_stream)
            m.setattr("ardesk.bank.simplecsv.stream_with_profile", old_stream)
        res = app.run(FileWorkbook(path), "month-end", bank_files=[bank], dry_run=True, now=datetime(2026, 11, 2, 9))
    assert res.ok, res.problems[:3]
    return pickle.dumps(res.changes)


def test_demo_month_end_changes_equal_the_earlier_codes(tmp_path, monkeypatch):
    from ardesk.demo import build_demo
    wb = tmp_path / "demo.xlsx"
    build_demo(wb, customers=80, period="2026-10", dry_run=True)
    bank = tmp_path / "demo-bank-2026-10.csv"
    new = month_end(wb, bank, monkeypatch, old=False)
    assert b"tblAllocations" in new and b"tblReview" in new
    assert new == month_end(wb, bank, monkeypatch, old=True)


# open totals of the invoices below and of pairs of them (INV-2026-00003 is half paid)
TOTALS = [12100, 24200, 3025, 100000, 33333, 36300, 15125, 27225]
NOS = ["INV-2026-00001", "INV-2026-00002", "INV-2026-00003", "INV-2026-00042", "INV-2026-00043", "INV-2099-1"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(NOS), max_size=4), st.sampled_from(["C0001", "C0001", "C0002", "C0003", "C9"]),
       st.one_of(st.integers(1, 150_000), st.sampled_from(TOTALS).flatmap(lambda t: st.integers(t - 1500, t + 5))),
       st.sampled_from(["EUR", "EUR", "JPY"]), st.dates(date(2026, 1, 1), date(2026, 3, 1)),
       st.sampled_from([Decimal("0.50"), Decimal("5"), Decimal("0")]), st.sampled_from([Decimal("0.005"), Decimal("0.2")]),
       st.booleans())
@example(["INV-2026-00001"], "C0001", 12_000, "EUR", date(2026, 3, 1), Decimal("0.50"), Decimal("0.2"), False)
@example(["INV-2026-00001", "INV-2026-00002"], "C0001", 36_280, "EUR", date(2026, 3, 1), Decimal("0.50"),
         Decimal("0.005"), False)
def test_allocate_equals_the_earlier_allocate(nos, cid, amount, currency, on, tol_abs, tol_pct, none):
    proposal = None if none else Proposal(cid, tuple(nos), 0.9, "reference", "quotes")
    settings_ = Settings(tolerance_abs=tol_abs, tolerance_pct=tol_pct)
    out = []
    for fn in (receipts.allocate, old_allocate):
        ledger = ledger_of()
        ledger.add_allocations([Allocation("AL-1", date(2026, 2, 10), "applied", 3025, "EUR", "PAY-0", "INV-2026-00003",
                                           "C0001", "reference", "half"),
                                Allocation("AL-2", date(2026, 2, 10), "applied", 33333, "EUR", "PAY-0", "INV-2026-00043",
                                           "C0003", "reference", "all")])
        pay = Payment(ledger.next_id("PAY"), on, amount, currency, "fp")
        out.append(fn(pay, proposal, ledger, customers_of(), settings_))
    assert out[0] == out[1]
