"""Invariants over random sequences of billing, receipts, credit notes, voids, write-offs, refunds,
disputes, payment plans and dunning runs: the journal balances, subledger = control and aging = AR at any date, no
credit note stays open, no issued invoice ever changes, and every step clicked twice acts once."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings, strategies as st

from ardesk import app
from ardesk.core.ledger.reconcile import reconcile
from ardesk.io.memory import MemoryWorkbook

from .conftest import charge, check_books, credit_row, customer, level

START = date(2026, 1, 1)
PERIODS = [f"2026-{m:02d}" for m in range(1, 5)]
money = st.decimals(min_value=D("0.01"), max_value=D("900"), places=2)
day = st.integers(min_value=0, max_value=150).map(lambda n: START + timedelta(days=n))


@st.composite
def workbook(draw):
    n = draw(st.integers(1, 3))
    customers = [customer(f"C{i}", f"Customer {i}", terms=draw(st.sampled_from([0, 14, 30])),
                          rate=draw(st.sampled_from(["0", "0.21"])), currency=draw(st.sampled_from(["EUR", "GBP"])))
                 for i in range(n)]
    charges = [charge(f"K{k}", f"C{draw(st.integers(0, n - 1))}", str(draw(money)),
                      draw(st.sampled_from(["once", "monthly"])), START + timedelta(days=draw(st.integers(0, 80))))
               for k in range(draw(st.integers(1, 4)))]
    levels = [level(1, draw(st.sampled_from([-3, 0, 10])), fee=draw(st.sampled_from(["0", "5.00"])),
                    basis=draw(st.sampled_from(["none", "contract", "EU"])), rate="0.12", comp="statutory"),
              level(2, 40, fee="10.00", basis="contract", rate="0.12", comp="statutory")]
    rates = [("EU", date(2026, 1, 1), D("0.0215"), None), ("EU", date(2026, 7, 1), D("0.0215"), None)]
    return MemoryWorkbook.with_rows({"tblCustomers": customers, "tblCharges": charges, "tblDunningLevels": levels,
                                     "tblReferenceRates": rates}), n


op = st.one_of(
    st.tuples(st.just("bill"), st.sampled_from(PERIODS)),
    st.tuples(st.just("pay"), day, money, st.integers(0, 20)),
    st.tuples(st.just("credit"), day, st.sampled_from(["credit note", "void", "write-off"]), st.integers(0, 20),
              st.none() | st.sampled_from([D("0.25"), D("0.5"), D("1"), D("1.01")])),    # share of the invoice
    st.tuples(st.just("refund"), day, st.integers(0, 2), st.none() | st.just(D("1.00"))),
    st.tuples(st.just("dispute"), day, st.integers(0, 20), st.sampled_from([D("0.3"), D("1"), D("1.2")]),
              st.sampled_from(["open", "under review", "credited", "rejected"])),
    st.tuples(st.just("dunning"), day),
    st.tuples(st.just("plan"), day, st.integers(0, 2), st.integers(1, 4), st.sampled_from([D(0), D("0.08")])),
)


def _invoices(wb):
    return [r for r in wb.rows["tblInvoices"] if r[1] == "invoice"]


def _do(wb, n, o):
    """Add the input a clerk would type for ``o``; the command it needs and its options."""
    kind = o[0]
    invs = _invoices(wb)
    if kind == "bill":
        return "bill", {"period": o[1]}
    if kind == "pay":
        if not invs:
            return None
        inv = invs[o[3] % len(invs)]
        wb.rows["tblReceipts"].append((o[1], "transfer", "payer", inv[2], inv[0], None, o[2], inv[6], None))
        return "receive", {}
    if kind == "credit":
        if not invs:
            return None
        inv = invs[o[3] % len(invs)]
        amount = None if o[4] is None or o[2] == "void" else str((inv[9] * o[4]).quantize(D("0.01")))
        wb.rows["tblCreditNotes"].append(credit_row(max(o[1], inv[3]), o[2], inv[0], amount))
        return "credit", {}
    if kind == "refund":
        wb.rows["tblCreditNotes"].append(credit_row(o[1], "refund", cid=f"C{o[2] % n}",
                                                    amount=None if o[3] is None else str(o[3]), payment_ref="TRF"))
        return "credit", {}
    if kind == "dispute":
        if not invs:
            return None
        inv = invs[o[2] % len(invs)]
        wb.rows["tblDisputes"].append((f"D{len(wb.rows['tblDisputes']) + 1}", o[1], inv[0],
                                       (inv[9] * o[3]).quantize(D("0.01")), "price", o[4], None, None, None))
        return "credit", {}
    if kind == "plan":
        cid = f"C{o[2] % n}"
        when = max([o[1]] + [i[3] for i in invs if i[2] == cid])      # after the customer's last invoice
        n_plans = len(wb.rows["tblPaymentPlans"])
        wb.rows["tblPaymentPlans"].append((f"P{n_plans + 1}", cid, None, when, when + timedelta(days=30),
                                           o[3], None, o[4], None, None, None, None, None))
        return "plan", {"as_of": when}
    return "dunning", {"as_of": o[1]}


def _snapshot(wb):
    return {k: list(v) for k, v in wb.rows.items() if k != "tblExceptions"}


def _run_twice(wb, cmd, kw, when):
    now = datetime(when.year, when.month, when.day, 9)
    before_invoices = list(wb.rows["tblInvoices"])
    before = _snapshot(wb)
    first = app.run(wb, cmd, now=now, **kw)
    if not first.ok:
        # bad input (a credit note larger than its invoice, ...): named, and nothing but Exceptions written
        assert all(p.sheet for p in first.problems), first.problems
        assert _snapshot(wb) == before
        return False
    assert wb.rows["tblInvoices"][:len(before_invoices)] == before_invoices     # no issued invoice changes
    snap = _snapshot(wb)
    again = app.run(wb, cmd, now=now, **kw)
    assert again.ok and _snapshot(wb) == snap, (cmd, again.changes)
    return True


def check_invariants(wb, dates):
    ledger = check_books(wb, dates)
    s = app.load(wb).settings
    for inv in ledger.invoices:
        left = ledger.open_amount(inv.number)
        if inv.kind == "invoice":
            assert 0 <= left <= inv.total, inv
        else:
            assert left == 0, inv                      # a credit note never ages as a negative item
    # customer credit held = Customer credits in the journal, per currency; never negative
    pool = defaultdict(int)
    for (_cid, cur), slots in ledger.credit_pool.items():
        assert all(slot[2] >= 0 for slot in slots)
        pool[cur] += sum(slot[2] for slot in slots)
    rec = reconcile(ledger, s, date(2026, 1, 1), date(2026, 12, 31))
    assert {k: v for k, v in pool.items() if v} == rec.credits
    assert all(r.balanced for r in rec.roll.values()), rec.roll


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workbook(), st.lists(op, min_size=1, max_size=10))
def test_collections_keep_the_books_consistent_and_every_step_acts_once(wb_n, ops):
    wb, n = wb_n
    for o in ops:
        todo = _do(wb, n, o)
        if todo is None:
            continue
        cmd, kw = todo
        when = o[1] if isinstance(o[1], date) else START + timedelta(days=150)
        ok = _run_twice(wb, cmd, kw, when)
        if not ok and o[0] in ("credit", "refund", "dispute", "plan"):
            # the clerk takes the refused row out again
            wb.rows[{"dispute": "tblDisputes", "plan": "tblPaymentPlans"}.get(o[0], "tblCreditNotes")].pop()
        if ok and cmd == "dunning":
            _run_twice(wb, "issue-dunning", {}, when)
            assert app.run(wb, "dunning", now=datetime(when.year, when.month, when.day), **kw).ok
            assert [r for r in wb.rows["tblDunning"] if r[1] == "item"] == [], "a second run the same day proposes"
        check_invariants(wb, (date(2026, 2, 28), date(2026, 4, 15), date(2026, 12, 31)))
