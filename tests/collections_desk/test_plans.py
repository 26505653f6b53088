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


def test_schedule_is_the_worksheet_functions():
    xs = schedule(100000, 12, D("0.12"), date(2026, 4, 1), 1, date(2026, 3, 1))
    udf = udfs.ardesk_installments(1000, 12, 0.12, date(2026, 4, 1), 1, None, date(2026, 3, 1))
    assert [[x.no, x.due, x.payment / 100, x.interest / 100, x.principal / 100, x.remaining / 100] for x in xs] == \
        udf[1:]
    # 1,000.00 x (1.12^(31/365) - 1) = 9.67 for March's 31 days; the last instalment takes the remainder
    assert (xs[0].payment, xs[0].interest, xs[-1].payment) == (8859, 967, 8860)
    assert xs[-1].remaining == 0 and sum(x.principal for x in xs) == 100000
    assert sum(x.interest for x in xs) == sum(x.payment for x in xs) - 100000


# (balance in minor units, currency decimals, count, rate, first due, months between, plan date)
XIRR_CASES = [
    (100000, 2, 12, "0.12", date(2026, 4, 1), 1, date(2026, 3, 1)),
    (250000, 2, 6, "0.05", date(2026, 2, 28), 1, date(2026, 1, 31)),     # month ends: 28, 31, 30, ... days
    (99999, 2, 24, "0.18", date(2026, 5, 15), 1, date(2026, 4, 1)),      # a first period of 44 days
    (500000, 2, 4, "0.08", date(2026, 6, 15), 3, date(2026, 3, 15)),     # quarterly
    (12345, 2, 3, "0.30", date(2027, 1, 10), 2, date(2026, 11, 10)),
    (7000000, 2, 36, "0.0725", date(2026, 8, 1), 1, date(2026, 7, 1)),
    (1000000, 0, 10, "0.10", date(2026, 10, 1), 1, date(2026, 9, 1)),     # JPY: whole yen
    (100000, 2, 5, "0", date(2026, 4, 1), 1, date(2026, 3, 1)),
]


@pytest.mark.parametrize("balance, e, count, rate, first, step, day", XIRR_CASES)
def test_the_xirr_of_a_plan_is_its_rate_within_what_rounding_to_the_minor_unit_allows(balance, e, count, rate, first,
                                                                                      step, day):
    r = D(rate)
    xs = schedule(balance, count, r, first, step, day)
    dates = [day] + [x.due for x in xs]
    got = xirr(dates, [-balance / 10 ** e] + [x.payment / 10 ** e for x in xs])
    # Tolerance.  At the rate, the instalments are worth the balance up to the rounding of the last payment to
    # the minor unit: at most half a unit on its due date (the others' rounding is what the last one makes
    # up).  XIRR moves the rate until they are worth it exactly; the present value changes with the rate by
    # sum(t x payment x (1 + r)^-t) / (1 + r) (t in years of 365 days), so the rate moves by at most
    # half a unit x (1 + r)^-t_last over that, taken 5 % wider for the curvature, plus 1e-9 for XIRR's
    # own convergence.
    t = [D((x.due - day).days) / 365 for x in xs]
    worth = sum(x.payment * (1 + r) ** -ti for x, ti in zip(xs, t))
    assert abs(worth - balance) <= D("0.5") * (1 + r) ** -t[-1]
    slope = sum(ti * x.payment * (1 + r) ** -ti for x, ti in zip(xs, t)) / (1 + r)
    tolerance = float(D("0.5") * (1 + r) ** -t[-1] / slope) * 1.05 + 1e-9
    assert tolerance < 5e-4                                 # under 0.05 points on these cases
    assert abs(got - float(r)) <= tolerance, (got, rate, tolerance)


def test_the_rate_is_not_excels_nominal_monthly_rate():
    # Excel's PMT(12 % / 12, 12, -1000) = 88.85 is a nominal rate compounded monthly: its XIRR is about
    # (1.01)^12 - 1 = 12.68 %.  The plan's 12 % is effective: 88.59 a month (from 2026-03-01, monthly).
    xs = schedule(100000, 12, D("0.12"), date(2026, 4, 1), 1, date(2026, 3, 1))
    assert xs[0].payment == 8859 and xs[0].payment < 8885


def test_plan_set_up_tracked_kept_then_broken_and_back_to_dunning():
    wb = billed([customer("C1", "Acme Bakery", terms=14, rate="0")],
                [charge("K1", "C1", "1000.00", "once", date(2026, 1, 5))],
                tblDunningLevels=[level(1, 10)], tblPaymentPlans=[plan_row(count=3, rate="0.12")])
    res = run(wb, "plan", as_of=date(2026, 3, 1))
    assert res.ok, res.problems
    xs = wb.rows["tblInstalments"]
    assert [(x[1], x[2], x[3]) for x in xs] == [(1, date(2026, 4, 1), D("339.73")), (2, date(2026, 5, 1), D("339.73")),
                                                (3, date(2026, 6, 1), D("339.74"))]
    plan = wb.rows["tblPaymentPlans"][0]
    assert (plan[8], plan[9], plan[10], plan[12]) == (D("1000.00"), "INV-2026-00002", "active", date(2026, 4, 1))
    interest = wb.rows["tblInvoices"][1]
    assert (interest[5], interest[9]) == ("plan", D("19.20"))       # 9.67 + 6.27 + 3.26
    assert run(wb, "plan", as_of=date(2026, 3, 1)).written is False
    # on an active plan: not dunned
    res = run(wb, "dunning", as_of=date(2026, 4, 1))
    assert wb.rows["tblDunning"] == [] and any("on payment plan P1" in n.message for n in res.notes)
    # the first instalment is paid: still active, next due 2026-05-01
    wb.rows["tblReceipts"].append(receipt(date(2026, 3, 30), "339.73", "Acme Bakery", "", cid="C1"))
    assert run(wb, "receive").ok
    run(wb, "plan", as_of=date(2026, 4, 15))
    plan = wb.rows["tblPaymentPlans"][0]
    assert (plan[10], plan[11], plan[12]) == ("active", D("339.73"), date(2026, 5, 1))
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
