"""One-off invoices dated by their own issue date, and a billing run dated by --issue-date."""
from datetime import date
from decimal import Decimal as D

from ardesk import app
from ardesk.io.memory import MemoryWorkbook

from .conftest import charge, customer


def _invoices(wb):
    cols = wb.headers["tblInvoices"]
    return [dict(zip(cols, r)) for r in wb.rows["tblInvoices"]]


def test_one_off_charge_is_invoiced_on_its_own_date():
    wb = MemoryWorkbook.with_rows({
        "tblCustomers": [customer("C1", "Acme", terms=30, rate="0"), customer("C2", "Blue", terms=10, rate="0")],
        "tblCharges": [charge("K1", "C1", "100"),
                       charge("X1", "C1", "250", freq="once", start=date(2026, 7, 17)) + (date(2026, 7, 17),),
                       charge("X2", "C2", "40", freq="once", start=date(2026, 7, 3)) + (date(2026, 7, 3),),
                       charge("X3", "C2", "60", freq="once", start=date(2026, 8, 9)) + (date(2026, 8, 9),)]})
    res = app.run(wb, "bill", period="2026-07")
    assert res.ok, res.problems
    got = [(i["CustomerID"], i["IssueDate"], i["DueDate"], i["Total"]) for i in _invoices(wb)]
    # numbered by issue date: the monthly plan on the 1st, C2's one-off on the 3rd, C1's on the 17th
    assert got == [("C1", date(2026, 7, 1), date(2026, 7, 31), D("100.00")),
                   ("C2", date(2026, 7, 3), date(2026, 7, 13), D("40.00")),
                   ("C1", date(2026, 7, 17), date(2026, 8, 16), D("250.00"))]
    assert [i["InvoiceNo"] for i in _invoices(wb)] == ["INV-2026-00001", "INV-2026-00002", "INV-2026-00003"]
    assert app.run(wb, "bill", period="2026-07").summary["invoices_issued"] == 0
    # aged by their own dates: on Aug 14, C2's one-off (due Jul 13) is 32 days past due
    assert app.run(wb, "report", as_of=date(2026, 8, 14)).ok
    cols = wb.headers["tblAging"]
    aging = {r[0]: dict(zip(cols, r)) for r in wb.rows["tblAging"]}
    assert aging["C2"]["31-60"] == D("40.00")
    assert aging["C1"]["1-30"] == D("100.00") and aging["C1"]["Current"] == D("250.00")


def test_a_billing_run_dated_by_issue_date():
    wb = MemoryWorkbook.with_rows({"tblCustomers": [customer("C1", "Acme", terms=14, rate="0")],
                                   "tblCharges": [charge("K1", "C1", "100")]})
    assert app.run(wb, "bill", period="2026-07", issue_date=date(2026, 7, 5)).ok
    inv = _invoices(wb)[0]
    assert (inv["IssueDate"], inv["DueDate"]) == (date(2026, 7, 5), date(2026, 7, 19))


def test_an_issue_date_on_a_recurring_charge_is_refused():
    wb = MemoryWorkbook.with_rows({"tblCustomers": [customer("C1", "Acme")],
                                   "tblCharges": [charge("K1", "C1", "100") + (date(2026, 7, 9),)]})
    res = app.run(wb, "bill", period="2026-07")
    assert not res.ok
    p = res.problems[0]
    assert (p.sheet, p.row, p.column, p.value) == ("Charges", 2, "IssueDate (J)", date(2026, 7, 9))
    assert "one-off" in p.message and not wb.rows["tblInvoices"]
