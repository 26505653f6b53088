from datetime import date
from decimal import Decimal as D

from ardesk import app
from ardesk.core.billing.billing import bill, line_amount, service_period
from ardesk.core.billing.creditor_ref import creditor_reference, find_references, is_valid
from ardesk.core.ledger.ledger import Ledger
from ardesk.core.model import Charge, Customer, Settings
from ardesk.io.memory import MemoryWorkbook

from .conftest import charge, customer


def _charge(freq, start, end=None, price="300.00", qty="1"):
    return Charge("CH", "C1", "X", D(qty), D(price), freq, start, end)


def test_monthly_full_and_prorated_first_and_last_month():
    full = _charge("monthly", date(2026, 1, 1))
    assert line_amount(full, date(2026, 10, 1), date(2026, 10, 31), 2)[0] == 30000
    # starts on the 16th of a 31-day month: 16 active days of 31
    first = _charge("monthly", date(2026, 10, 16))
    net, factor, since, until = line_amount(first, date(2026, 10, 1), date(2026, 10, 31), 2)
    assert (net, since) == (15484, date(2026, 10, 16))       # 300 x 16/31 = 154.838.. -> 154.84
    assert factor == D("0.516129")
    # ends on the 10th of a 30-day month
    last = _charge("monthly", date(2026, 1, 1), date(2026, 11, 10))
    assert line_amount(last, date(2026, 11, 1), date(2026, 11, 30), 2)[0] == 10000


def test_quarterly_and_annual_follow_the_start_month():
    q = _charge("quarterly", date(2026, 2, 15))
    assert service_period(q, date(2026, 2, 1)) == (date(2026, 2, 1), date(2026, 4, 30), "2026-02")
    assert service_period(q, date(2026, 3, 1)) is None
    assert service_period(q, date(2026, 5, 1))[2] == "2026-05"
    a = _charge("annual", date(2026, 3, 1))
    assert service_period(a, date(2027, 3, 1))[:2] == (date(2027, 3, 1), date(2028, 2, 29))
    assert service_period(a, date(2026, 4, 1)) is None
    once = _charge("once", date(2026, 10, 20))
    assert service_period(once, date(2026, 10, 1))[2] == "once"
    assert service_period(once, date(2026, 11, 1)) is None


def test_billing_run_numbers_gaplessly_taxes_per_invoice_and_sets_terms():
    customers = {"C1": Customer("C1", "A", 30, D("0.21"), "EUR"), "C2": Customer("C2", "B", 14, D("0.06"), "EUR")}
    charges = [Charge("K1", "C1", "Plan", D(1), D("10.01"), "monthly", date(2026, 1, 1)),
               Charge("K2", "C1", "Seat", D(3), D("3.33"), "monthly", date(2026, 1, 1)),
               Charge("K3", "C2", "Plan", D(1), D("99.99"), "monthly", date(2026, 1, 1))]
    res = bill("2026-10", customers, charges, Ledger(), Settings(next_invoice_number=7))
    assert [i.number for i in res.invoices] == ["INV-2026-00007", "INV-2026-00008"]
    a, b = res.invoices
    assert (a.net, a.tax, a.total) == (2000, 420, 2420)     # 10.01 + 9.99 = 20.00; 21% = 4.20
    assert (b.net, b.tax, b.total) == (9999, 600, 10599)    # 6% of 99.99 = 5.9994 -> 6.00
    assert a.due_date == date(2026, 10, 31) and b.due_date == date(2026, 10, 15)
    assert is_valid(a.creditor_ref) and a.creditor_ref.endswith("INV202600007")
    assert res.next_number == 9


def test_rerunning_a_period_issues_nothing_new(book):
    first = app.run(book, "bill", period="2026-10")
    again = app.run(book, "bill", period="2026-10")
    assert first.summary["invoices_issued"] == 2
    assert again.summary["invoices_issued"] == 0 and not again.written
    assert len(book.rows["tblInvoices"]) == 2
    assert book.settings["NextInvoiceNumber"] == 3


def test_gap_in_numbering_is_refused(book):
    app.run(book, "bill", period="2026-10")
    book.settings["NextInvoiceNumber"] = 9
    res = app.run(book, "bill", period="2026-11")
    assert not res.ok and "gapless" in res.summary["problems"][0]
    assert len(book.rows["tblInvoices"]) == 2


def test_hold_and_inactive_customers_are_not_billed_and_said_so():
    wb = MemoryWorkbook.with_rows({
        "tblCustomers": [customer("C1", "A"), customer("C2", "B", status="hold")],
        "tblCharges": [charge("K1", "C1", "10"), charge("K2", "C2", "10")]})
    res = app.run(wb, "bill", period="2026-10")
    assert res.summary["invoices_issued"] == 1
    assert any("C2" in n and "hold" in n for n in res.summary["notes"])


def test_locked_period_refuses_billing(book):
    book.settings["LockedThrough"] = date(2026, 10, 31)
    res = app.run(book, "bill", period="2026-10")
    assert not res.ok and "locked" in res.summary["problems"][0]
    assert book.rows["tblInvoices"] == []


def test_creditor_reference_iso11649():
    # the example printed in ISO 11649
    assert creditor_reference("539007547034") == "RF18539007547034"
    assert is_valid("RF18 5390 0754 7034") and not is_valid("RF19539007547034")
    assert find_references("pay RF18 5390 0754 7034 thanks") == ["RF18539007547034"]
