"""Metric definitions checked against published worked values and the defects they once had."""
from datetime import date
from decimal import Decimal as D

from ardesk import app
from ardesk.core.ledger.ledger import Ledger
from ardesk.core.ledger.reconcile import reconcile
from ardesk.core.model import Allocation, Invoice, Settings
from ardesk.core.reports.aging import age
from ardesk.core.reports.metrics import cei, dso_countback, summary_rows
from ardesk.io.memory import MemoryWorkbook
from ardesk.io.port import Changes

from .conftest import charge, customer, receipt


def test_countback_walks_back_through_a_month_without_sales():
    # June 50,000 uses 30 days; May had no sales (31 days); April 50,000 of 100,000 is 15 days
    assert dso_countback(100000, {date(2026, 6, 1): 50000, date(2026, 4, 1): 100000}, date(2026, 6, 1)) == D("76.0")
    # June had no sales (30 days); half of May's 100,000 is 15.5 days
    assert dso_countback(50000, {date(2026, 5, 1): 100000}, date(2026, 6, 1)) == D("45.5")


def test_countback_thirty_day_months_published_example():
    # Benji Pays, "Mastering DSO Calculation: The Count-Back Method Explained" (support.benjipays.com,
    # 2024): ending receivables 212,000; month 3 sales 100,000, month 2 80,000, month 1 70,000;
    # 30 days a month: 30 + 30 + 32,000 / 70,000 x 30 = 73.7 days (also quoted by trymesha.com).
    sales = {date(2026, 3, 1): 100000_00, date(2026, 2, 1): 80000_00, date(2026, 1, 1): 70000_00}
    assert dso_countback(212000_00, sales, date(2026, 3, 1), month_days="30") == D("73.7")
    # the same figures with calendar days: 31 (March) + 28 (February) + 32/70 x 31 (January) = 73.2
    assert dso_countback(212000_00, sales, date(2026, 3, 1)) == D("73.2")


def test_countback_calendar_days_published_example():
    # "Debtor Days Calculation Count Back Method" (calculator7.snowdaycalculatornow.com): closing AR
    # 2,100,000; March 900,000 (31 days), February 800,000 (28 days), January 700,000 (31 days), actual
    # calendar days: 31 + 28 + 400,000 / 700,000 x 31 = 76.7 days.
    sales = {date(2025, 3, 1): 900000, date(2025, 2, 1): 800000, date(2025, 1, 1): 700000}
    assert dso_countback(2100000, sales, date(2025, 3, 1)) == D("76.7")
    assert dso_countback(2100000, sales, date(2025, 3, 1), month_days="30") == D("77.1")


def test_cei_over_three_months_published_example():
    # CreditGuru, "Collection Effectiveness Index (CEI)" (creditguru.com, collection metrics), after the
    # Credit Research Foundation formula with Credit Sales / N: Jan-Mar sales 10,890, beginning
    # receivables 6,200, ending total 6,340, ending current 3,590, N = 3: CEI = 55.9 %.
    assert cei(6200, 10890, 6340, 3590, months=3) == D("55.9")
    # the same quarter read as one month (sales not divided): 79.6 % (wizedu.com's answer for it)
    assert cei(6200, 10890, 6340, 3590) == D("79.6")


def _inv(no, issued, due, total):
    return Invoice(no, "C1", issued, due, "EUR", total, 0, total)


def test_summary_cei_over_n_months_from_settings():
    """The CreditGuru quarter built as books: the Summary's CEI over CEIMonths = 3 is 55.9 %."""
    invoices = [_inv("A", date(2025, 12, 1), date(2025, 12, 31), 6200_00),
                _inv("B", date(2026, 1, 15), date(2026, 2, 14), 3390_00),
                _inv("C", date(2026, 2, 15), date(2026, 3, 17), 3610_00),
                _inv("D", date(2026, 3, 15), date(2026, 4, 14), 3890_00)]
    # paid by March 31: A and B in full, 860 of C (2,750 left, past due) and 300 of D (3,590 current)
    allocs = [Allocation(f"AL{i}", date(2026, 3, 20), "applied", amt, "EUR", invoice_no=no, customer_id="C1")
              for i, (no, amt) in enumerate((("A", 6200_00), ("B", 3390_00), ("C", 860_00), ("D", 300_00)))]
    ledger = Ledger(invoices, [], allocs, [])
    end = date(2026, 3, 31)
    rec = reconcile(ledger, Settings(), date(2026, 3, 1), end)
    aging = age(ledger, end, (30, 60, 90))
    assert aging.total("EUR") == 6340_00 and aging.totals()["EUR"][0] == 3590_00

    def cei_row(months):
        rows = summary_rows(ledger, Settings(cei_months=months), aging, rec)
        return next(r for r in rows if r[1] == "CEI %")
    three = cei_row(3)
    assert three[3] == D("55.9") and "over 3 month(s)" in three[4] and "sales / 3" in three[4]
    # over one month: opening AR at Feb 28 is A + B + C = 13,200, March sales 3,890:
    # (13,200 + 3,890 - 6,340) / (13,200 + 3,890 - 3,590) = 79.6 %
    assert cei_row(1)[3] == D("79.6")


def test_summary_counts_credit_notes_apart_from_invoices():
    invoices = [_inv("I1", date(2026, 6, 3), date(2026, 7, 3), 100_00),
                _inv("I2", date(2026, 6, 9), date(2026, 7, 9), 50_00),
                Invoice("CN1", "C1", date(2026, 6, 20), date(2026, 6, 20), "EUR", -20_00, 0, -20_00, "credit note",
                        relates_to="I1")]
    ledger = Ledger(invoices, [], [], [])
    end = date(2026, 6, 30)
    rec = reconcile(ledger, Settings(), date(2026, 6, 1), end)
    rows = {r[1]: r[3] for r in summary_rows(ledger, Settings(), age(ledger, end, (30,)), rec)}
    assert rows["Invoices issued"] == 2 and rows["Credit notes issued"] == 1
    assert rows["Credit notes"] == D("20.00") and rows["Invoiced (credit sales, tax incl.)"] == D("150.00")


def test_a_currency_with_only_suspense_is_reported():
    """An unidentified EUR receipt in a USD book sits in suspense: Summary and Reconciliation show EUR."""
    wb = MemoryWorkbook.with_rows({"tblCustomers": [customer("C1", "Acme", currency="USD", rate="0")],
                                   "tblCharges": [charge("K1", "C1", "100")]})
    wb.settings["BaseCurrency"] = "USD"
    assert app.run(wb, "bill", period="2026-07").ok
    ch = Changes()
    ch.append("tblReceipts", [receipt(date(2026, 7, 14), "75.00", payer="Nobody We Know", currency="EUR")])
    wb.write(ch)
    assert app.run(wb, "receive").ok
    assert app.run(wb, "report", as_of=date(2026, 7, 31)).ok
    summary = {(r[1], r[2]): r[3] for r in wb.rows["tblSummary"]}
    assert summary[("Unidentified (suspense)", "EUR")] == D("75.00")
    assert summary[("Cash received", "EUR")] == D("75.00")
    assert {r[2] for r in wb.rows["tblReconciliation"] if r[0] == "Roll-forward"} == {"EUR", "USD"}
