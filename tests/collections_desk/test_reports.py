"""The Summary with credit notes: invoices counted apart from credit notes, DSO on net credit sales."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from ardesk.excel import udfs

from .conftest import billed, charge, credit_row, customer, run


def test_summary_counts_invoices_apart_and_dso_divides_by_sales_net_of_credit_notes():
    # January: 1,000.00 and 500.00 invoiced (no tax), a 300.00 credit note on the first: net credit sales
    # 1,200.00, AR at 31 January 1,200.00.  DSO = 1,200.00 x 31 / 1,200.00 = 31 days (on the gross 1,500.00
    # it would be 24.8).
    wb = billed([customer("C1", "Acme Bakery", rate="0"), customer("C2", "Blue Dental", rate="0")],
                [charge("K1", "C1", "1000.00", "once", date(2026, 1, 1)),
                 charge("K2", "C2", "500.00", "once", date(2026, 1, 1))],
                tblCreditNotes=[credit_row(date(2026, 1, 20), "credit note", "INV-2026-00001", "300.00")])
    assert run(wb, "credit", when=date(2026, 1, 20)).ok
    assert run(wb, "report", as_of=date(2026, 1, 31)).ok
    summary = {r[1]: r[3] for r in wb.rows["tblSummary"] if r[2] == "EUR"}
    assert (summary["Invoices issued"], summary["Credit notes issued"]) == (2, 1)
    assert (summary["Invoiced (credit sales, tax incl.)"], summary["Credit notes"]) == (D("1500.00"), D("300.00"))
    assert summary["Open AR"] == D("1200.00")
    assert summary["DSO (standard)"] == D("31.0") and summary["DSO (count-back)"] == D("31.0")
    # the worksheet function says the same
    header = list(wb.headers["tblInvoices"])
    inv = [header] + [list(r) for r in wb.rows["tblInvoices"]]
    al = [list(wb.headers["tblAllocations"])] + [list(r) for r in wb.rows["tblAllocations"]]
    assert udfs.ardesk_dso(date(2026, 1, 31), inv, al, "standard", "EUR") == 31.0
    assert udfs.ardesk_dso(date(2026, 1, 31), inv, al, "count-back", "EUR") == 31.0
