"""Money cells carry their currency's decimals: what LibreOffice shows is what is booked."""
from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from ardesk import app
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Changes
from ardesk.io.template import create_workbook



def customer(cid, name, rate, currency):
    #       CustomerID Name Email Address PostalCode Country TermsDays TaxRate Currency CreditLimit Status BankAccount VatID
    return (cid, name, None, None, None, None, 30, D(rate), currency, None, "active", None, None)


def charge(chid, cid, price):
    #       ChargeID CustomerID Item Description Quantity UnitPrice Frequency StartDate EndDate IssueDate
    return (chid, cid, "PLAN", None, D(1), D(price), "monthly", date(2026, 1, 1), None, None)


def test_money_format_has_the_currency_decimals():
    from ardesk.schema import money_format
    assert money_format("JPY") == "#,##0;[Red]-#,##0"
    assert money_format("BHD") == "#,##0.000;[Red]-#,##0.000"
    assert money_format("EUR") == "#,##0.00;[Red]-#,##0.00"


def test_formats_follow_each_row_currency_in_runs():
    from ardesk.schema import money_format, row_number_formats
    header = ("PaymentID", "Date", "Source", "Method", "Payer", "CustomerID", "Reference", "CheckNo",
              "Amount", "Currency", "Fingerprint", "PayerAccount")
    rows = [("P1", date(2026, 7, 1), "", "", "", "", "", "", D("1"), cur, "f", "") for cur in
            ("JPY", "JPY", "EUR", "BHD")]
    money = [(a, b, f) for a, b, j, f in row_number_formats("tblPayments", header, rows) if j == 8]
    assert money == [(0, 1, money_format("JPY")), (2, 2, money_format("EUR")), (3, 3, money_format("BHD"))]


def test_blank_cells_get_no_format_or_join_the_run_they_sit_in():
    from ardesk.schema import money_format, row_number_formats
    header = ("PaymentID", "Date", "Source", "Method", "Payer", "CustomerID", "Reference", "CheckNo",
              "Amount", "Currency", "Fingerprint", "PayerAccount")
    eur = money_format("EUR")
    rows = [("P1", date(2026, 7, 1), "", "", "", "", "", "", amount, "EUR", "f", "")
            for amount in (None, D("1"), None, D("2"), None)]
    def amounts(**kw):
        return [(a, b, f) for a, b, j, f in row_number_formats("tblPayments", header, rows, **kw) if j == 8]
    assert amounts() == [(1, 1, eur), (3, 3, eur)]
    assert amounts(blanks_join=True) == [(1, 4, eur)]          # from the first amount to the last row
    assert row_number_formats("tblPayments", header, []) == []


def _sheets_as_shown(path, tmp_path) -> dict[str, list[list[str]]]:
    """Every sheet as LibreOffice renders it (CSV export of the cells as shown)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed; scripts/test.sh installs it")
    out = tmp_path / "csv"
    # filter options: comma, double quote, UTF-8, from row 1, ..., token 9 "as shown", token 12 -1 = every sheet
    proc = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,"
                           "false,-1", "--outdir", str(out), str(path)], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    sheets = {}
    for f in out.glob("*.csv"):
        with open(f, newline="", encoding="utf-8") as fh:
            sheets[f.stem.split("-")[-1]] = list(csv.reader(fh))
    return sheets


def test_libreoffice_shows_bhd_and_jpy_as_booked(tmp_path):
    path = create_workbook(tmp_path / "book.xlsx")
    wb = FileWorkbook(path)
    ch = Changes()
    ch.append("tblCustomers", [customer("C1", "Manama Trading", rate="0.05", currency="BHD"),
                               customer("C2", "Osaka Foods", rate="0", currency="JPY")])
    ch.append("tblCharges", [charge("K1", "C1", "12.346"), charge("K2", "C2", "5000")])
    #                          Date Method Payer CustomerID Reference CheckNo Amount Currency PaymentID
    ch.append("tblReceipts", [(date(2026, 7, 20), "transfer", "", "C2", "", None, 1000.6, "JPY", None)])
    wb.write(ch)
    assert app.run(FileWorkbook(path), "bill", period="2026-07").ok
    assert app.run(FileWorkbook(path), "receive").ok
    sheets = _sheets_as_shown(path, tmp_path)
    inv = {r[0]: r for r in sheets["Invoices"][1:] if r and r[0]}
    bhd = next(r for r in inv.values() if r[6] == "BHD")
    assert bhd[7:10] == ["12.346", "0.617", "12.963"]          # net + tax = total, as booked
    jpy = next(r for r in inv.values() if r[6] == "JPY")
    assert jpy[7:10] == ["5,000", "0", "5,000"]
    pay = [r for r in sheets["Payments"][1:] if r and r[0]]
    assert [(r[8], r[9]) for r in pay] == [("1,001", "JPY")]       # 1000.6 typed, 1,001 booked and shown
    typed = [r for r in sheets["Receipts"][1:] if r and r[0]]
    assert [(r[6], r[7]) for r in typed] == [("1,001", "JPY")]     # the posted receipt row shows it too
    import openpyxl
    assert openpyxl.load_workbook(path)["Receipts"]["G2"].value == 1000.6       # as the clerk typed it
    journal = [r for r in sheets["Journal"][1:] if r and r[0]]
    assert {(r[5] or r[6], r[7]) for r in journal} >= {("12.963", "BHD"), ("12.346", "BHD"), ("0.617", "BHD"),
                                                       ("1,001", "JPY")}


def _formats_cell_by_cell(table, header, rows, blanks_join=False):
    """row_number_formats as it was written first: every cell looked at in turn, runs joined as they come."""
    from ardesk.schema import MONEY, NUMBER_FORMATS, money_format, number_formats
    fmts = number_formats(table, header)
    cur_ix = list(header).index("Currency") if "Currency" in header else None
    money = {j for j, f in enumerate(fmts) if f == NUMBER_FORMATS[MONEY]}
    out = []
    for j, fmt in enumerate(fmts):
        if fmt is None:
            continue
        run = []
        for i, row in enumerate(rows):
            if j >= len(row) or row[j] is None:
                f = None
            elif j in money and cur_ix is not None and cur_ix < len(row):
                f = money_format(str(row[cur_ix] or ""))
            else:
                f = fmt
            if run and i == run[1] + 1 and (f == run[2] or (f is None and blanks_join)):
                run[1] = i
                continue
            if run:
                out.append((run[0], run[1], j, run[2]))
            run = [i, i, f] if f is not None else []
        if run:
            out.append((run[0], run[1], j, run[2]))
    return out


JOURNAL_HEADER = ("EntryID", "LineNo", "Date", "Account", "AccountName", "Debit", "Credit", "Currency", "CustomerID",
                  "DocType", "DocNo", "Memo")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([None, D("1.5"), 0, 7]), st.sampled_from([None, D("2"), 3]),
                          st.sampled_from(["EUR", "JPY", "BHD", "", None]), st.sampled_from([None, date(2026, 7, 1)])),
                max_size=14),
       st.booleans(), st.integers(0, 3))
def test_formats_by_column_as_cell_by_cell(cells, blanks_join, short):
    """The runs found a column at a time are those found cell by cell: currencies changing, blanks inside
    and at the ends of a run, a blank currency, rows shorter than the header."""
    from ardesk.schema import row_number_formats
    header = JOURNAL_HEADER
    rows = [("J1", 1, d, "1200", "AR", debit, credit, cur, "C1", "invoice", "INV-1", "") for debit, credit, cur, d in cells]
    if rows and short:                      # some rows end before the money or currency columns
        rows[::2] = [r[:len(header) - short * 2] for r in rows[::2]]
    assert row_number_formats("tblJournal", header, rows, blanks_join) == \
        _formats_cell_by_cell("tblJournal", header, rows, blanks_join)
