"""Invariants over random sequences of charges, billing runs and receipts."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings, strategies as st

from ardesk import app
from ardesk.core.reports.aging import age
from ardesk.core.ledger.journal import check_balanced
from ardesk.io.memory import MemoryWorkbook
from ardesk.io.port import Changes

from .conftest import charge, customer

START = date(2026, 1, 1)
PERIODS = [f"2026-{m:02d}" for m in range(1, 7)]

money = st.decimals(min_value=D("0.01"), max_value=D("2500"), places=2)
day = st.integers(min_value=0, max_value=200).map(lambda n: START + timedelta(days=n))
early = st.integers(min_value=0, max_value=90).map(lambda n: START + timedelta(days=n))


@st.composite
def workbook(draw):
    n = draw(st.integers(1, 4))
    customers = [customer(f"C{i}", f"Customer {i}", terms=draw(st.sampled_from([0, 14, 30, 60])),
                          rate=draw(st.sampled_from(["0", "0.06", "0.21"])),
                          currency=draw(st.sampled_from(["EUR", "EUR", "USD"]))) for i in range(n)]
    charges = []
    for k in range(draw(st.integers(1, 6))):
        start = draw(early)
        end = draw(st.none() | day.filter(lambda d: d >= start))
        charges.append(charge(f"K{k}", f"C{draw(st.integers(0, n - 1))}", str(draw(money)),
                              draw(st.sampled_from(["once", "monthly", "quarterly", "annual"])), start, end,
                              qty=draw(st.sampled_from(["1", "2", "0.5", "3.25"]))))
    return MemoryWorkbook.with_rows({"tblCustomers": customers, "tblCharges": charges}), n


bill_op = st.tuples(st.just("bill"), st.sampled_from(PERIODS))
op = st.one_of(
    bill_op, bill_op,
    st.tuples(st.just("pay"), day, money, st.integers(0, 3), st.sampled_from(["number", "rf", "customer", "none"]),
              st.integers(0, 20)),
    st.tuples(st.just("receive")),
)


def _pay(wb, n, d, amount, who, how, pick):
    invoices = wb.rows["tblInvoices"]
    cid, ref = None, ""
    if how in ("number", "rf") and invoices:
        inv = invoices[pick % len(invoices)]
        ref = inv[0] if how == "number" else inv[10]
    elif how == "customer":
        cid = f"C{who % n}"
    currency = None
    if cid:
        currency = [c for c in wb.rows["tblCustomers"] if c[0] == cid][0][8]
    ch = Changes()
    ch.append("tblReceipts", [(d, "transfer", "payer", cid, ref, None, amount, currency, None)])
    wb.write(ch)


def check_invariants(wb):
    books = app.load(wb)
    assert not books.problems, books.problems
    ledger, settings = books.ledger, books.settings
    assert check_balanced(ledger.journal) == []
    # no invoice over-applied
    for inv in ledger.invoices:
        assert 0 <= ledger.open_amount(inv.number) <= inv.total
    # every receipt is fully accounted for: applied + credit + suspense = amount
    by_payment = defaultdict(int)
    for a in ledger.allocations:
        if a.kind in ("applied", "credit", "suspense"):
            by_payment[a.payment_id] += a.amount
    for p in ledger.payments:
        assert by_payment[p.id] == p.amount, p
    # credits used never exceed credits given, per customer
    given_, used = defaultdict(int), defaultdict(int)
    for a in ledger.allocations:
        if a.kind == "credit":
            given_[(a.customer_id, a.currency)] += a.amount
        elif a.kind == "credit applied":
            used[(a.customer_id, a.currency)] += a.amount
    assert all(used[k] <= given_[k] for k in used)
    # subledger = control and aging total = AR, today and at past dates
    for as_of in (date(2026, 2, 28), date(2026, 4, 15), date(2026, 12, 31)):
        control = {k: v for k, v in ledger.control_balances(settings.account("AR"), as_of).items() if v}
        sub = defaultdict(int)
        for inv, left in ledger.open_items(as_of):
            sub[(inv.customer_id, inv.currency)] += left
        assert control == {k: v for k, v in sub.items() if v}
        aging = age(ledger, as_of, settings.aging_buckets)
        for cur in {c for _, c in control}:
            assert aging.total(cur) == sum(v for (_, c), v in control.items() if c == cur)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workbook(), st.lists(op, min_size=1, max_size=12))
def test_books_stay_consistent_and_every_step_is_idempotent(wb_n, ops):
    wb, n = wb_n
    for o in ops:
        if o[0] == "pay":
            _pay(wb, n, *o[1:])
            continue
        cmd, kw = ("bill", {"period": o[1]}) if o[0] == "bill" else ("receive", {})
        first = app.run(wb, cmd, **kw)
        assert first.ok, first.problems
        snapshot = {k: list(v) for k, v in wb.rows.items()}
        again = app.run(wb, cmd, **kw)
        assert again.ok and not again.written, again.changes
        assert {k: list(v) for k, v in wb.rows.items()} == snapshot
        check_invariants(wb)
    assert app.run(wb, "month-end", period="2026-06").ok
    check_invariants(wb)
