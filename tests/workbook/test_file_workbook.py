"""End to end on real .xlsx files, through the CLI a clerk or a scheduler runs."""
from __future__ import annotations

import json
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from ardesk.cli import main
from ardesk.io.template import create_workbook

from .conftest import REPO, sha, tables


def run_cli(capsys, *args) -> tuple[int, dict]:
    code = main([*map(str, args), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def _parts(path: Path) -> dict[str, str]:
    """Every part but the save time, XML in canonical form (attribute order and the
    serializer's spacing do not count)."""
    from xml.etree.ElementTree import canonicalize
    with zipfile.ZipFile(path) as z:
        return {n: canonicalize(z.read(n).decode("utf-8"), strip_text=True) for n in z.namelist()
                if n != "docProps/core.xml"}


def test_committed_template_is_what_init_makes(tmp_path):
    made = create_workbook(tmp_path / "new.xlsx")
    committed = REPO / "workbooks" / "ardesk-template.xlsx"
    assert _parts(made) == _parts(committed), "run `ardesk init workbooks/ardesk-template.xlsx` again"


def test_template_has_real_tables_names_formats_and_validation(tmp_path):
    path = create_workbook(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    assert "tblCustomers" in wb["Customers"].tables
    assert wb.defined_names["NextInvoiceNumber"].attr_text == "Settings!$B$8"
    assert wb["Invoices"].freeze_panes == "A2"
    assert wb["Invoices"].column_dimensions["D"].number_format == "yyyy-mm-dd"
    kinds = {str(dv.sqref)[0]: dv.type for dv in wb["Charges"].data_validations.dataValidation}
    assert kinds["G"] == "list" and kinds["H"] == "date" and kinds["E"] == "decimal"


def test_month_end_twice_writes_nothing_the_second_time(demo, capsys):
    bank = demo.with_name("demo-bank-2026-10.csv")
    before = tables(demo)
    code, s = run_cli(capsys, "month-end", demo, "--period", "2026-10", "--bank", bank)
    assert code == 0 and s["invoices_issued"] == 0 and s["receipts_posted"] == 0
    assert s["duplicates_skipped"] == s["lines_read"] > 0
    assert tables(demo) == before and s["written"] is False


def test_demo_month_end_is_reconciled(demo, capsys):
    code, s = run_cli(capsys, "reconcile", demo, "--as-of", "2026-10-31")
    assert code == 0
    assert s["journal_balanced"] and s["subledger_equals_control"] and s["roll_forward_balanced"]
    t = tables(demo)
    aging_total = [r for r in t["tblAging"] if r[0] == "TOTAL" and r[2] == "EUR"][0][-3]   # Total, then the averages
    assert f"{aging_total:.2f}" == s["ar_balance"]["EUR"]


def test_bad_input_lists_every_problem_and_writes_nothing_else(demo, capsys):
    wb = openpyxl.load_workbook(demo)
    ws = wb["Charges"]
    ws["F2"] = "12,50"                      # text in an amount cell
    ws["B3"] = "C9999"                      # unknown customer
    wb["Customers"]["A3"] = wb["Customers"]["A2"].value   # duplicate ID
    wb.save(demo)
    before = tables(demo)
    code, s = run_cli(capsys, "month-end", demo, "--period", "2026-11")
    assert code == 1
    text = "\n".join(s["problems"])
    assert "Charges, row 2, UnitPrice (F) ['12,50']: '12,50' is text, not a number" in text
    assert "Charges, row 3, CustomerID (B) ['C9999']: unknown customer 'C9999'" in text
    assert "Customers, row 3, CustomerID (A)" in text and "duplicate customer ID" in text
    after = tables(demo)
    for name in before:
        if name != "tblExceptions":
            assert after[name] == before[name], name
    listed = {(r[1], int(r[2]), r[3][:8]) for r in after["tblExceptions"] if r[2] != ""}
    assert ("Charges", 2, "UnitPric") in listed and ("Charges", 3, "Customer") in listed


def test_a_failed_save_leaves_the_workbook_and_no_temporary_file(demo, monkeypatch, capsys):
    from ardesk.io.package.opc import Package
    before = sha(demo)

    def broken_save(self, filename):
        Path(filename).write_bytes(b"half a workbook")
        raise OSError("disk full")
    monkeypatch.setattr(Package, "save", broken_save)
    code = main(["bill", str(demo), "--period", "2026-11"])
    assert code == 2 and "disk full" in capsys.readouterr().err
    assert sha(demo) == before
    assert sorted(p.name for p in demo.parent.iterdir() if p.name.startswith(".")) == []


def test_a_write_keeps_the_previous_file_as_backup(demo, capsys):
    before = sha(demo)
    code, s = run_cli(capsys, "bill", demo, "--period", "2026-11")
    assert code == 0 and s["invoices_issued"] > 0
    assert sha(demo.with_name("demo.bak.xlsx")) == before


def test_dry_run_reports_but_writes_nothing(demo, capsys):
    before = sha(demo)
    code, s = run_cli(capsys, "bill", demo, "--period", "2026-11", "--dry-run")
    assert code == 0 and s["invoices_issued"] > 0 and s["dry_run"] and not s["written"]
    assert s["rows_added"]["Invoices"] == s["invoices_issued"]
    assert sha(demo) == before


def test_change_by_someone_else_during_a_run_is_detected(demo):
    from ardesk import app
    from ardesk.io.fileadapter import FileWorkbook
    from ardesk.io.port import WorkbookError
    port = FileWorkbook(demo)
    import os
    st = demo.stat()
    os.utime(demo, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))   # a colleague saved meanwhile
    with pytest.raises(WorkbookError, match="changed by someone else"):
        app.run(port, "bill", period="2026-11")


def test_formula_text_is_stored_as_text(tmp_path):
    from ardesk.io.fileadapter import FileWorkbook
    from ardesk.io.port import Changes
    path = create_workbook(tmp_path / "t.xlsx")
    ch = Changes()
    ch.append("tblReceipts", [(date(2026, 10, 1), "transfer", "=HYPERLINK(\"http://x\")", None,
                               "=1+1", None, 10, None, None)])
    FileWorkbook(path).write(ch)
    ws = openpyxl.load_workbook(path)["Receipts"]
    assert ws["C2"].data_type == "s" and ws["C2"].value == '=HYPERLINK("http://x")'
    with zipfile.ZipFile(path) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet4.xml")


def test_libreoffice_opens_the_demo_with_the_same_values(demo, tmp_path):
    import shutil
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed; .ci/run installs it")
    out = tmp_path / "lo"
    proc = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "xlsx", "--outdir", str(out), str(demo)],
                          capture_output=True, text=True, timeout=180)
    converted = out / demo.name
    assert proc.returncode == 0 and converted.exists(), proc.stderr
    from python_calamine import CalamineWorkbook
    a, b = CalamineWorkbook.from_path(str(demo)), CalamineWorkbook.from_path(str(converted))
    assert a.sheet_names == b.sheet_names
    for name in a.sheet_names:
        assert a.get_sheet_by_name(name).to_python() == b.get_sheet_by_name(name).to_python(), name


def test_cli_demo_prints_its_summary(tmp_path):
    exe = Path(__import__("sys").executable).with_name("ardesk")
    proc = subprocess.run([str(exe), "demo", str(tmp_path / "d.xlsx"), "--customers", "40", "--period", "2026-10",
                           "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert s["invoices_issued"] > 30 and s["receipts_posted"] > 20
    assert s["journal_balanced"] and s["subledger_equals_control"]
    assert set(s) >= {"invoices_issued", "receipts_posted", "ar_balance", "journal_balanced",
                      "subledger_equals_control", "problems"}


def _as_xlsm(xlsx: Path, vba: bytes) -> Path:
    """The same workbook with a VBA project, as Excel saves a macro-enabled file."""
    out = xlsx.with_suffix(".xlsm")
    with zipfile.ZipFile(xlsx) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
                    b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVBA" Type="http://schemas.microsoft.'
                                    b'com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
            dst.writestr(item, data)
        dst.writestr("xl/vbaProject.bin", vba)
    return out


def test_vba_in_a_macro_workbook_survives_a_write(tmp_path, capsys):
    from ardesk.excel.addin_build import build_addin
    with zipfile.ZipFile(build_addin(tmp_path / "a.xlam")) as z:
        vba = z.read("xl/vbaProject.bin")
    book = _as_xlsm(create_workbook(tmp_path / "book.xlsx"), vba)
    wb = openpyxl.load_workbook(book, keep_vba=True)
    wb["Customers"].append(["C1", "Acme", None, None, None, None, 30, 0.21, "EUR", None, "active", None, None])
    wb["Customers"].tables["tblCustomers"].ref = "A1:M2"
    wb["Charges"].append(["K1", "C1", "PLAN", None, 1, 100, "monthly", date(2026, 1, 1), None])
    wb["Charges"].tables["tblCharges"].ref = "A1:I2"
    wb.save(book)
    code, s = run_cli(capsys, "bill", book, "--period", "2026-10")
    assert code == 0 and s["invoices_issued"] == 1 and s["written"]
    with zipfile.ZipFile(book) as z:
        assert z.read("xl/vbaProject.bin") == vba


def test_changed_aging_buckets_reshape_the_aging_table(demo, capsys):
    wb = openpyxl.load_workbook(demo)
    sheet, cell = wb.defined_names["AgingBuckets"].attr_text.replace("$", "").split("!")
    wb[sheet][cell] = "15,45"
    wb.save(demo)
    code, s = run_cli(capsys, "report", demo, "--as-of", "2026-10-31")
    assert code == 0
    ws = openpyxl.load_workbook(demo)["Aging"]
    t = ws.tables["tblAging"]
    header = [c.value for c in ws[4]][:8]
    assert header == ["CustomerID", "Name", "Currency", "Current", "1-15", "16-45", "Over 45", "Total"]
    assert t.ref.startswith("A4:J")                     # then AvgDaysToPay, AvgDaysLate
    assert ws["A2"].value.startswith("Aging as of 2026-10-31")


def test_every_tab_prints_one_page_wide_with_its_header_and_page_numbers(tmp_path):
    wb = openpyxl.load_workbook(create_workbook(tmp_path / "t.xlsx"))
    for ws in wb.worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title
        assert ws.oddFooter.left.text == "&A" and ws.oddFooter.right.text == "Page &P of &N", ws.title
        from ardesk import schema
        anchors = {t.sheet: int(t.anchor[1:]) for t in schema.TABLES.values()}
        header = anchors.get(ws.title, 1)
        assert ws.print_title_rows == f"$1:${header}", ws.title
    assert wb["Aging"].page_setup.orientation == "landscape" and wb["Review"].page_setup.orientation == "landscape"
    assert wb["Audit"].page_setup.orientation == "landscape" and wb["Deposits"].page_setup.orientation == "portrait"


def test_report_charts_are_drawn_from_the_tables_a_run_fills(demo):
    """The three charts init makes point at the report tables' cells, and month-end filled those cells."""
    import re
    from python_calamine import CalamineWorkbook
    with zipfile.ZipFile(demo) as z:
        charts = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")}
    refs = sorted(ref for xml in charts.values() for ref in re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", xml))
    titles = " ".join(re.findall(r"<a:t>([^<]+)</a:t>", " ".join(charts.values())))
    assert "Open items by days past due and currency" in titles
    assert "Invoiced and collected by month" in titles and "DSO by month" in titles
    assert "'Trends'!$C$5:$C$16" in refs and "'Trends'!$F$5:$F$16" in refs and "'Trends'!$A$5:$A$16" in refs
    assert "'AgingTotals'!$B$5:$F$5" in refs and "'AgingTotals'!$B$4:$F$4" in refs
    wb = CalamineWorkbook.from_path(str(demo), load_tables=True)
    trends = wb.get_table_by_name("tblTrends").to_python()
    assert len(trends) == 12 and trends[-1][0] == "2026-10" and trends[-1][2] > 0 and trends[-1][5] > 0
    aging = {r[0]: r for r in wb.get_table_by_name("tblAgingTotals").to_python()}
    per_customer = wb.get_table_by_name("tblAging")
    total = per_customer.columns.index("Total")
    by_customer = [r for r in per_customer.to_python() if r[0] == "TOTAL"]
    assert {r[2]: r[total] for r in by_customer} == {c: r[-1] for c, r in aging.items()}
    assert trends[-1][4] == aging["EUR"][-1]          # AR control at month end = open items
