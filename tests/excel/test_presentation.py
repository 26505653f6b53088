"""What the clerk sees: numbers as LibreOffice shows them, the Review tab's layout, guarded ledger tabs,
and one count of receipts waiting on Review."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date

import openpyxl
import pytest

from ardesk import app, schema
from ardesk.cli import print_summary
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Changes
from ardesk.io.template import create_workbook

from .xlremote_helpers import NOW, USER, inbox_files, snapshot


def _shown(path, sheet: str, tmp_path) -> list[list[str]]:
    """The cells of ``sheet`` as LibreOffice displays them (CSV export of the formatted text)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (soffice) is not installed; scripts/test.sh installs it"
    number = openpyxl.load_workbook(path, read_only=True).sheetnames.index(sheet) + 1
    out = tmp_path / "csv"
    proc = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", f'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,{number}',
                           "--outdir", str(out), str(path)], capture_output=True, text=True, timeout=180)
    files = list(out.glob("*.csv"))
    assert proc.returncode == 0 and files, proc.stderr
    with files[0].open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_whole_numbers_show_without_a_trailing_point(tmp_path):
    path = create_workbook(tmp_path / "book.xlsx")
    ch = Changes()
    ch.append("tblCharges", [("CH1", "C0001", "BASIC", "Basic plan", 1, 149, "monthly", date(2026, 1, 1), None),
                             ("CH2", "C0001", "HOURS", "Support hours", 2.5, 80.125, "once", date(2026, 1, 1), None)])
    FileWorkbook(path).write(ch, backup=False)
    rows = _shown(path, "Charges", tmp_path)
    header = rows[0]
    quantity, price = header.index("Quantity"), header.index("UnitPrice")
    assert [(r[quantity], r[price]) for r in rows[1:3]] == [("1", "149"), ("2.5", "80.125")]


def _optional_decimals_only(section: str) -> bool:
    """Excel shows the decimal point of a format section whose decimals are all optional (# or ?) even for a
    whole number: 149 in #,##0.###### shows as "149." (LibreOffice drops the point, so it cannot show this)."""
    import re
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", section)      # quoted text, escapes, [colour]/[condition]
    m = re.search(r"\.([0#?,]*)", plain)
    return bool(m) and m.group(1) != "" and "0" not in m.group(1)


def test_no_format_shows_a_trailing_point(tmp_path):
    assert _optional_decimals_only("#,##0.######") and not _optional_decimals_only("#,##0.00")
    formats = set(schema.NUMBER_FORMATS.values())
    wb = openpyxl.load_workbook(create_workbook(tmp_path / "book.xlsx"))
    formats |= {c.number_format for ws in wb for row in ws.iter_rows() for c in row}
    formats |= {d.number_format for ws in wb for d in ws.column_dimensions.values() if d.number_format}
    bad = [f for f in formats for section in f.split(";") if _optional_decimals_only(section)]
    assert not bad


def test_review_tab_layout(tmp_path):
    header = schema.REVIEW.header
    assert header[:3] == ("Decision", "CustomerID", "InvoiceNos")
    assert header[3:8] == ("Date", "Amount", "Currency", "Payer", "Reference")
    assert header[-1] == "Fingerprint"
    ws = openpyxl.load_workbook(create_workbook(tmp_path / "book.xlsx"))["Review"]
    assert [c.value for c in ws[1]][:len(header)] == list(header)
    assert ws.freeze_panes == "D2"                     # header row and the three decision columns
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert lists["B2:B1048576"] == 'INDIRECT("tblCustomers[CustomerID]")'
    assert lists["A2:A1048576"] == '"confirm,assign,suspense"'


def test_ledger_tabs_refuse_typing_and_still_take_appends(tmp_path):
    wb = openpyxl.load_workbook(create_workbook(tmp_path / "book.xlsx"))
    for tdef in schema.TABLES.values():
        dvs = wb[tdef.sheet].data_validations.dataValidation
        guards = [dv for dv in dvs if dv.type == "custom" and dv.formula1 == "FALSE"]
        if tdef.role == "ledger":
            assert len(guards) == 1 and guards[0].showErrorMessage, tdef.sheet
            last = openpyxl.utils.get_column_letter(len(tdef.columns))
            assert str(guards[0].sqref) == f"A2:{last}1048576", tdef.sheet
        else:
            assert not guards, tdef.sheet


def test_one_count_of_receipts_waiting_on_review(demo_dir, tmp_path):
    """The summary (CLI and the button's message) and the Exceptions note give the same number, which is the
    number of Review rows without a Status."""
    path = tmp_path / "book.xlsx"
    shutil.copy(demo_dir / "billing.xlsx", path)
    result = app.run(FileWorkbook(path), "month-end", bank_files=inbox_files(demo_dir), now=NOW, user=USER)
    assert not result.problems
    snap = snapshot(path)
    header, rows = snap["tblReview"]
    pending = sum(1 for r in rows if not r[header.index("Status")])
    assert pending > 0
    assert result.summary["review_waiting"] == pending
    notes = [r for r in snap["tblExceptions"][1] if "wait on the Review tab" in str(r)]
    assert len(notes) == 1 and f"{pending} receipt(s) wait on the Review tab" in str(notes[0])
    out = io.StringIO()
    print_summary(result.summary, out)
    assert f"waiting on Review   {pending}" in out.getvalue()
    from ardesk.excel.buttons import message
    assert f"{pending} receipt(s) wait on the Review tab" in message("Month-end", result)
