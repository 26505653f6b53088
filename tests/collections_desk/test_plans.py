"""Payment plans: schedule as ARDESK_INSTALLMENTS, interest on its own invoice, instalments kept or missed."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from pyxirr import xirr

from ardesk.core.collections.plans import schedule
from ardesk.excel import udfs

from .conftest import billed, charge, check_books, customer, level, receipt, run


def plan_row(pid="P1", cid="C1", day=date(2026, 3, 1), first=date(2026, 4, 1), count=12, rate="0.12", step=None):
    #       PlanID CustomerID Currency Date FirstDue Count MonthsBetween Rate Balance InterestInvoice Status Paid NextDue
    return (pid, cid, None, day, first, count, step, None if rate is None else D(rate), None, None, None, None, None)


def test_schedule_is_the_worksheet_functions_and_its_xirr_is_the_rate():
    xs = schedule(100000, 12, D("0.12"), date(2026, 4, 1))
    udf = udfs.ardesk_installments(1000, 12, 0.12, date(2026, 4, 1))
    assert [[x.no, x.due, x.payment / 100, x.interest / 100, x.principal / 100, x.remaining / 100] for x in xs] == \
        udf[1:]
    assert xs[0].payment == 8885 and xs[-1].remaining == 0 and sum(x.principal for x in xs) == 100000
    # the flows: 1,000.00 lent on 2026-03-01, the instalments back on their dates.  XIRR is an effective
    # annual rate on actual days: 1% a month is (1.01)^12 - 1 = 12.68% a year.
    rate = xirr([date(2026, 3, 1)] + [x.due for x in xs], [-1000.0] + [x.payment / 100 for x in xs])
    assert rate == pytest.approx(1.01 ** 12 - 1, abs=0.001)     # 12.61% against 12.68%: days, not months


def test_plan_set_up_tracked_kept_then_broken_and_back_to_dunning():
    wb = billed([customer("C1", "Acme Bakery", terms=14, rate="0")],
                [charge("K1", "C1", "1000.00", "once", date(2026, 1, 5))],
                tblDunningLevels=[level(1, 10)], tblPaymentPlans=[plan_row(count=3, rate="0.12")])
    res = run(wb, "plan", as_of=date(2026, 3, 1))
    assert res.ok, res.problems
    xs = wb.rows["tblInstalments"]
    assert [(x[1], x[2], x[3]) for x in xs] == [(1, date(2026, 4, 1), D("340.02")), (2, date(2026, 5, 1), D("340.02")),
                                                (3, date(2026, 6, 1), D("340.03"))]
    plan = wb.rows["tblPaymentPlans"][0]
    assert (plan[8], plan[9], plan[10], plan[12]) == (D("1000.00"), "INV-2026-00002", "active", date(2026, 4, 1))
    interest = wb.rows["tblInvoices"][1]
    assert (interest[5], interest[9]) == ("plan", D("20.07"))       # 10.00 + 6.70 + 3.37
    assert run(wb, "plan", as_of=date(2026, 3, 1)).written is False
    # on an active plan: not dunned
    res = run(wb, "dunning", as_of=date(2026, 4, 1))
    assert wb.rows["tblDunning"] == [] and any("on payment plan P1" in n.message for n in res.notes)
    # the first instalment is paid: still active, next due 2026-05-01
    wb.rows["tblReceipts"].append(receipt(date(2026, 3, 30), "340.02", "Acme Bakery", "", cid="C1"))
    assert run(wb, "receive").ok
    run(wb, "plan", as_of=date(2026, 4, 15))
    plan = wb.rows["tblPaymentPlans"][0]
    assert (plan[10], plan[11], plan[12]) == ("active", D("340.02"), date(2026, 5, 1))
    # the second is missed: broken, and the rest goes back to dunning; the worklist calls
    res = run(wb, "dunning", as_of=date(2026, 5, 5))
    assert wb.rows["tblPaymentPlans"][0][10] == "broken"
    assert [r[5] for r in wb.rows["tblDunning"] if r[1] == "item"] == ["INV-2026-00001"]
    top = wb.rows["tblCollections"][0]
    assert top[1] == "C1" and top[8].startswith("call: missed instalment (plan P1 instalment 2 due 2026-05-01)")
    check_books(wb, [date(2026, 3, 1), date(2026, 5, 31)])


def test_plan_for_a_customer_with_nothing_open_is_refused():
    wb = billed([customer("C1", "Acme", rate="0"), customer("C2", "Blue", rate="0")],
                [charge("K1", "C1", "100.00", "once", date(2026, 1, 5))],
                tblPaymentPlans=[plan_row(cid="C2")])
    res = run(wb, "plan", as_of=date(2026, 3, 1))
    (p,) = res.problems
    assert (p.sheet, p.row, p.column, p.value) == ("PaymentPlans", 2, "CustomerID", "C2")
    assert "customer C2 has nothing open in EUR on 2026-03-01 (balance 0.00) to put on a plan" in p.message
    assert wb.rows["tblInstalments"] == [] and wb.rows["tblPaymentPlans"][0][8] is None
