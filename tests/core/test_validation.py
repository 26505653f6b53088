"""Bad input: every problem listed with sheet, row, column and value; nothing posted."""
from datetime import date
from decimal import Decimal as D

from ardesk import app
from ardesk.io.memory import MemoryWorkbook

from .conftest import charge, customer, receipt


def test_every_bad_cell_is_listed_and_nothing_is_posted():
    wb = MemoryWorkbook.with_rows({
        "tblCustomers": [customer("C1", "A"), customer("C1", "Dup"),
                         ("C3", "No terms", None, None, None, None, None, D("0.2"), "EUR", None, "active", None),
                         customer("C4", "Pct", rate="21")],
        "tblCharges": [charge("K1", "C1", "10"), charge("K2", "C9", "10"),
                       ("K3", "C1", "X", None, D(-1), D(5), "monthly", date(2026, 1, 1), None),
                       ("K4", "C1", "X", None, D(1), "ten", "monthly", date(2026, 1, 1), None),
                       ("K5", "C1", "X", None, D(1), D(1), "weekly", "next monday", None)],
        "tblReceipts": [(date(2026, 10, 1), "transfer", "", None, "", None, "12,50", None, None), receipt(date(2026, 10, 1), "5", method="barter")],
    })
    res = app.run(wb, "month-end", period="2026-10")
    assert not res.ok
    text = "\n".join(res.summary["problems"])
    expected = [
        "Customers, row 3, CustomerID (A) ['C1']: duplicate customer ID 'C1' (first on row 2)",
        "Customers, row 4, TermsDays (G): is required",
        "Customers, row 5, TaxRate (H)",
        "Charges, row 3, CustomerID (B) ['C9']: unknown customer 'C9'",
        "Charges, row 4, Quantity (E)",
        "Charges, row 5, UnitPrice (F) ['ten']: 'ten' is text, not a number",
        "Charges, row 6, StartDate (H) ['next monday']: 'next monday' is text, not a date",
        "Charges, row 6, Frequency (G) ['weekly']",
        "Receipts, row 2, Amount (G)",
        "Receipts, row 3, Method (B) ['barter']",
    ]
    for e in expected:
        assert e in text, e
    # nothing but the Exceptions list was written
    for t in ("tblInvoices", "tblJournal", "tblPayments", "tblAllocations", "tblAudit"):
        assert wb.rows[t] == []
    assert len(wb.rows["tblExceptions"]) >= len(expected)
    assert wb.settings["NextInvoiceNumber"] == 1


def test_receipt_in_a_locked_period_names_the_row():
    wb = MemoryWorkbook.with_rows({"tblCustomers": [customer("C1", "A")],
                                   "tblReceipts": [receipt(date(2026, 9, 30), "10", cid="C1")]},
                                  {"LockedThrough": date(2026, 9, 30)})
    res = app.run(wb, "receive")
    assert not res.ok and "Receipts, row 2, Date" in res.summary["problems"][0]
    assert wb.rows["tblPayments"] == []


def test_bad_settings_are_named():
    wb = MemoryWorkbook({"AgingBuckets": "90,30", "InvoiceFormat": "INV-{nope}"})
    res = app.run(wb, "validate")
    text = "\n".join(res.summary["problems"])
    assert "AgingBuckets" in text and "InvoiceFormat" in text
