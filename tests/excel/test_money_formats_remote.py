"""Through xlwings' remote engine, money cells get their currency's decimals as the file adapter gives them."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import openpyxl

from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Changes
from ardesk.io.template import create_workbook

from .xlremote_helpers import click

BHD, JPY = "#,##0.000;[Red]-#,##0.000", "#,##0;[Red]-#,##0"


def test_billing_button_formats_bhd_and_jpy_invoices(tmp_path):
    path = create_workbook(tmp_path / "book.xlsx")
    ch = Changes()
    #                           CustomerID Name Email Address PostalCode Country Terms TaxRate Currency Limit Status Bank
    ch.append("tblCustomers", [("C1", "Manama Trading", None, None, None, None, 30, D("0.05"), "BHD", None, "active", None, None),
                               ("C2", "Osaka Foods", None, None, None, None, 30, D(0), "JPY", None, "active", None, None),
                               ("C3", "Lyon Bakery", None, None, None, None, 30, D(0), "EUR", None, "active", None, None)])
    ch.append("tblCharges", [(f"K{i}", cid, "PLAN", None, D(1), D(p), "monthly", date(2026, 1, 1), None, None)
                             for i, (cid, p) in enumerate((("C1", "12.346"), ("C2", "5000"), ("C3", "80")))])
    ch.names["Period"] = "2026-07"
    FileWorkbook(path).write(ch, backup=False)
    result, actions, _alerts = click(path, "ardeskBill")
    assert result is not None and not result.problems
    formats = {a["args"][0] for a in actions if a["func"] == "setNumberFormat"}
    assert {BHD, JPY, "#,##0.00;[Red]-#,##0.00"} <= formats
    ws = openpyxl.load_workbook(path)["Invoices"]
    header = [c.value for c in ws[1]]
    by_cur = {row[header.index("Currency")].value: row for row in ws.iter_rows(min_row=2) if row[0].value}
    total = header.index("Total")
    assert by_cur["BHD"][total].number_format == BHD and by_cur["BHD"][total].value == 12.963
    assert by_cur["JPY"][total].number_format == JPY
    assert by_cur["EUR"][total].number_format == "#,##0.00;[Red]-#,##0.00"


def test_receive_button_shows_a_posted_jpy_receipt_as_booked(tmp_path):
    path = create_workbook(tmp_path / "book.xlsx")
    ch = Changes()
    ch.append("tblCustomers", [("C2", "Osaka Foods", None, None, None, None, 30, D(0), "JPY", None, "active", None, None)])
    #                        Date Method Payer CustomerID Reference CheckNo Amount Currency PaymentID
    ch.append("tblReceipts", [(date(2026, 7, 20), "transfer", "Osaka Foods", "C2", "", None, 1000.6, "JPY", None)])
    FileWorkbook(path).write(ch, backup=False)
    result, actions, _alerts = click(path, "ardeskImportBank", bank_files=[])     # the typed receipt only
    assert result is not None and not result.problems and result.summary["receipts_posted"] == 1
    ws = openpyxl.load_workbook(path)["Receipts"]
    assert ws["G2"].value == 1000.6 and ws["G2"].number_format == JPY and ws["I2"].value
    assert openpyxl.load_workbook(path)["Payments"]["I2"].number_format == JPY


def test_a_ledger_column_is_one_format_range_per_currency_run(tmp_path):
    """Debit and Credit alternate with blanks line by line; through the remote engine the blanks join the
    run around them, so Excel is sent a range per currency run, not one per journal line."""
    path = create_workbook(tmp_path / "book.xlsx")
    ch = Changes()
    ch.append("tblCustomers", [(f"C{i}", f"Shop {i}", None, None, None, None, 30, D("0.1"), cur, None, "active",
                                None, None) for i, cur in enumerate(["EUR"] * 6 + ["JPY"] * 2 + ["EUR"] * 4)])
    ch.append("tblCharges", [(f"K{i}", f"C{i}", "PLAN", None, D(1), D(100), "monthly", date(2026, 1, 1), None, None)
                             for i in range(12)])
    ch.names["Period"] = "2026-07"
    FileWorkbook(path).write(ch, backup=False)
    result, actions, _alerts = click(path, "ardeskBill")
    assert result is not None and not result.problems and result.summary["invoices_issued"] == 12
    journal = openpyxl.load_workbook(path).sheetnames.index("Journal")
    ranges = [a for a in actions if a["func"] == "setNumberFormat" and a["sheet_position"] == journal]
    debit_credit = [a for a in ranges if a["column_count"] == 1 and a["args"][0] in (JPY, "#,##0.00;[Red]-#,##0.00")]
    # Debit and Credit each: EUR lines, JPY lines, EUR lines (36 journal lines, three per invoice)
    assert len(debit_credit) == 6, [(a["start_row"], a["start_column"], a["row_count"], a["args"]) for a in ranges]
    ws = openpyxl.load_workbook(path)["Journal"]
    header = [c.value for c in ws[1]]
    cells = [(row[header.index("Debit")], row[header.index("Credit")], row[header.index("Currency")].value)
             for row in ws.iter_rows(min_row=2) if row[0].value]
    assert len(cells) == 36
    for debit, credit, cur in cells:
        money = JPY if cur == "JPY" else "#,##0.00;[Red]-#,##0.00"
        assert (debit.value is None) != (credit.value is None)
        assert (debit if debit.value is not None else credit).number_format == money
