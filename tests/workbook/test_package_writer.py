"""The package writer on real files: what month-end did not change stays byte for byte, and three
independent readers (LibreOffice, openpyxl, calamine) read the same values from what it wrote."""
from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from ardesk.cli import main
from ardesk.io.fileadapter import FileWorkbook, defined_names
from ardesk.io.package import Package, PackageError, write_package
from ardesk.io.package.writer import table_parts
from ardesk.io.port import Changes, WorkbookError
from ardesk.io.rows import canonical
from ardesk.io.template import create_workbook

from .conftest import sha
from .rich import make_rich


@pytest.fixture(scope="session")
def rich_master(demo_master, tmp_path_factory) -> Path:
    from ardesk.excel.addin_build import build_addin
    d = tmp_path_factory.mktemp("rich")
    with zipfile.ZipFile(build_addin(d / "a.xlam")) as z:
        vba = z.read("xl/vbaProject.bin")
    shutil.copy2(demo_master, d / "demo.xlsx")
    return make_rich(d / "demo.xlsx", vba)


@pytest.fixture
def rich(rich_master, tmp_path) -> Path:
    return Path(shutil.copy2(rich_master, tmp_path / rich_master.name))


def entries(path: Path) -> dict[str, tuple[bytes, int]]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: (z.read(i), i.CRC) for i in z.infolist()}


def libreoffice(path: Path, tmp: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed; scripts/test.sh installs it")
    proc = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to",
                           "xlsx", "--outdir", str(tmp / "lo"), str(path)], capture_output=True, text=True, timeout=180)
    out = tmp / "lo" / (path.stem + ".xlsx")
    assert proc.returncode == 0 and out.exists(), proc.stderr
    return out


def grid(rows) -> list[tuple]:
    """Cell values in a form every reader agrees on; trailing blanks dropped."""
    out = [tuple(canonical(v) for v in r) for r in rows]
    out = [r[:max([i + 1 for i, v in enumerate(r) if v is not None] or [0])] for r in out]
    while out and not out[-1]:
        out.pop()
    return out


def calamine_sheets(path: Path) -> dict[str, list[tuple]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {n: grid(wb.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in wb.sheet_names}


def openpyxl_sheets(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: grid(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_month_end_rewrites_only_what_it_changed(rich, capsys):
    before = entries(rich)
    code = main(["month-end", str(rich), "--period", "2026-11", "--json"])
    s = json.loads(capsys.readouterr().out)
    assert code == 0 and s["invoices_issued"] > 0 and s["written"]
    after = entries(rich)
    assert set(after) == set(before)
    changed = {n for n in before if before[n] != after[n]}
    with Package(rich) as pkg:
        tables = table_parts(pkg)
    touched = {"tblInvoices", "tblInvoiceLines", "tblJournal", "tblAllocations", "tblAudit", "tblAging",
               "tblSummary", "tblReconciliation", "tblExceptions", "tblAgingTotals", "tblTrends",
               "tblPaidInvoices"}
    allowed = ({tables[t].sheet_part for t in touched} | {tables[t].part for t in touched}
               | {"xl/worksheets/sheet1.xml", "xl/styles.xml"})      # Settings: the next invoice number
    assert changed <= allowed, changed - allowed
    assert {tables["tblInvoices"].sheet_part, tables["tblJournal"].sheet_part} <= changed
    kept = [n for n in before if n.startswith(("xl/charts/", "xl/drawings/", "xl/media/", "xl/comments",
                                               "xl/pivot", "customUI/", "xl/vbaProject.bin", "docProps/"))]
    assert len(kept) >= 10 and all(before[n] == after[n] for n in kept)
    for t in ("tblCustomers", "tblCharges", "tblPayments"):       # tables month-end only read
        assert before[tables[t].sheet_part] == after[tables[t].sheet_part], t


def test_libreoffice_openpyxl_and_calamine_read_the_same_values(rich, tmp_path, capsys):
    assert main(["month-end", str(rich), "--period", "2026-11"]) == 0
    capsys.readouterr()
    by_calamine = calamine_sheets(rich)
    assert by_calamine == openpyxl_sheets(rich)
    by_libreoffice = calamine_sheets(libreoffice(rich, tmp_path))
    assert set(by_libreoffice) == set(by_calamine)
    for name in set(by_calamine) - {"Pivot"}:
        assert by_libreoffice[name] == by_calamine[name], name
    # LibreOffice refreshes the pivot table from tblInvoices as month-end left it
    invoices = CalamineWorkbook.from_path(str(rich), load_tables=True).get_table_by_name("tblInvoices")
    cur, tot = invoices.columns.index("Currency"), invoices.columns.index("Total")
    sums: dict[str, Decimal] = {}
    for r in invoices.to_python():
        sums[r[cur]] = sums.get(r[cur], Decimal(0)) + Decimal(repr(r[tot]))
    pivot = {r[0]: r[1] for r in by_libreoffice["Pivot"][3:] if r}
    assert {k: pivot[k].quantize(Decimal("0.01")) for k in sums} == sums
    assert len(invoices.to_python()) == len(by_calamine["Invoices"]) - 1


def test_a_workbook_saved_by_libreoffice_takes_a_month_end(demo, tmp_path, capsys):
    """Shared strings, spans and another writer's styles: what Excel-like writers produce."""
    other = libreoffice(demo, tmp_path)
    oracle = tmp_path / "oracle.xlsx"
    shutil.copy2(other, oracle)
    bank = demo.with_name("demo-bank-2026-10.csv")
    assert main(["month-end", str(other), "--period", "2026-11", "--bank", str(bank)]) == 0
    capsys.readouterr()
    with zipfile.ZipFile(oracle) as a, zipfile.ZipFile(other) as b:
        assert a.read("xl/sharedStrings.xml") == b.read("xl/sharedStrings.xml")
    new = CalamineWorkbook.from_path(str(other), load_tables=True)
    assert len(new.get_table_by_name("tblInvoices").to_python()) > len(
        CalamineWorkbook.from_path(str(oracle), load_tables=True).get_table_by_name("tblInvoices").to_python())
    assert calamine_sheets(other) == openpyxl_sheets(other)


def test_a_table_converted_to_a_range_is_refused_by_name(demo, capsys):
    with zipfile.ZipFile(demo) as z:
        items = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(demo, "w", zipfile.ZIP_DEFLATED) as z:   # what "Convert to Range" leaves
        for info, data in items:
            if info.filename.startswith("xl/worksheets/_rels/") and b"table8.xml" in data:
                data = data.replace(b"/xl/tables/table8.xml", b"/xl/tables/none.xml").replace(
                    b"relationships/table", b"relationships/none")
            z.writestr(info, data)
    before = sha(demo)
    code = main(["bill", str(demo), "--period", "2026-11"])
    err = capsys.readouterr().err
    assert code == 2 and "tblJournal" in err and "'Journal'" in err
    ch = Changes()
    ch.append("tblJournal", [("E1", 1, date(2026, 11, 1), "1100", "AR", Decimal(1), None, "EUR", None, "x", "x", "")])
    with pytest.raises(WorkbookError, match=r"tblJournal on sheet 'Journal' is no longer an Excel table"), \
            Package(demo) as pkg:       # the writer's own refusal, below the run's check of the ledgers
        write_package(pkg, ch, defined_names(demo))
    assert sha(demo) == before


def test_a_value_below_a_ledger_table_is_not_overwritten(tmp_path):
    path = create_workbook(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Audit"]["B3"] = "kept by a clerk"
    wb.save(path)
    ch = Changes()
    ch.append("tblAudit", [(datetime(2026, 11, 1, 9, 0), "ann", "bill", "one"),
                           (datetime(2026, 11, 1, 9, 5), "ann", "bill", "two")])
    before = sha(path)
    with pytest.raises(WorkbookError, match=r"'Audit', cell B3 .* holds a value"):
        FileWorkbook(path).write(ch)
    assert sha(path) == before


def test_number_format_can_follow_each_rows_currency(tmp_path):
    path = create_workbook(tmp_path / "t.xlsx")
    ch = Changes()
    row = ("P1", date(2026, 11, 2), "bank", "transfer", "Acme", "C1", "ref", None)
    ch.append("tblPayments", [row + (Decimal("1500"), "JPY", "fp1", None),
                              row + (Decimal("12.345"), "BHD", "fp2", None),
                              row + (Decimal("9.99"), "EUR", "fp3", None),
                              row + (Decimal("0.125"), "BHD", "fp4", None)])
    with zipfile.ZipFile(path) as z:
        styles_before = z.read("xl/styles.xml")
    with Package(path) as pkg:
        write_package(pkg, ch, {})
        out = tmp_path / "out.xlsx"
        pkg.save(out)
    ws = openpyxl.load_workbook(out)["Payments"]
    assert [ws.cell(row=r, column=9).number_format for r in range(2, 6)] == [
        "#,##0;[Red]-#,##0", "#,##0.000;[Red]-#,##0.000", "#,##0.00;[Red]-#,##0.00", "#,##0.000;[Red]-#,##0.000"]
    assert ws["I3"].value == 12.345 and ws["B2"].is_date
    with zipfile.ZipFile(out) as z:
        styles = z.read("xl/styles.xml")
    assert styles != styles_before and styles.count(b'formatCode="#,##0.000;[Red]-#,##0.000"') == 1
    # a second run with the same formats finds them and leaves the styles part alone
    ch2 = Changes()
    ch2.append("tblPayments", [row + (Decimal("7.5"), "BHD", "fp5", None)])
    with Package(out) as pkg:
        write_package(pkg, ch2, {})
        assert "xl/styles.xml" not in pkg.changed()


def test_appended_rows_keep_other_cells_of_the_sheet(tmp_path):
    path = create_workbook(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Audit"]["G1"] = "note beside the table"
    wb["Audit"]["G2"] = 42
    wb.save(path)
    ch = Changes()
    ch.append("tblAudit", [(datetime(2026, 11, 1, 9, 0, 30), "ann", "bill", "one & <two>"),
                           (datetime(2026, 11, 1, 9, 5), "ann", " bill ", "=1+1")])
    FileWorkbook(path).write(ch)
    ws = openpyxl.load_workbook(path)["Audit"]
    assert ws["G1"].value == "note beside the table" and ws["G2"].value == 42
    assert [c.value for c in ws[2]][:4] == [datetime(2026, 11, 1, 9, 0, 30), "ann", "bill", "one & <two>"]
    assert ws["C3"].value == " bill " and ws["D3"].value == "=1+1" and ws["D3"].data_type == "s"
    assert ws.tables["tblAudit"].ref == "A1:D3"


def test_a_big_append_is_written_in_pieces_that_read_as_one(tmp_path, monkeypatch):
    from ardesk.io.package import sheet
    monkeypatch.setattr(sheet, "FRESH_ROWS", 7)          # many pieces, and rows merged with a clerk's note
    path = create_workbook(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Audit"]["G10"] = "note beside the table"
    wb.save(path)
    rows = [(datetime(2026, 11, 1, 9, i % 60), f"clerk {i}", "bill", f"run {i} & more") for i in range(30)]
    ch = Changes()
    ch.append("tblAudit", rows)
    FileWorkbook(path).write(ch)
    read = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name("tblAudit").to_python()
    assert [tuple(r) for r in read] == rows
    ws = openpyxl.load_workbook(path)["Audit"]
    assert ws["G10"].value == "note beside the table" and ws["B10"].value == "clerk 8"


@pytest.mark.parametrize("library", ["zlib-ng", "zlib"])
def test_parts_are_deflated_and_inflated_alike_by_zlib_ng_and_zlib(tmp_path, monkeypatch, library):
    import zlib
    from ardesk.io.package import opc
    if library == "zlib":
        monkeypatch.setattr(opc, "deflate", zlib)
    else:
        assert opc.deflate is not zlib          # installed with ardesk[fast] and the tests
    path = create_workbook(tmp_path / "t.xlsx")
    ch = Changes()
    ch.append("tblAudit", [(datetime(2026, 11, 1, 9, 0), "ann", "bill", f"run {i}") for i in range(5000)])
    FileWorkbook(path).write(ch)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None              # every CRC-32 as the standard library computes it
        sheet = table_parts_of(path)["tblAudit"].sheet_part
        xml = z.read(sheet)
    with Package(path) as pkg:
        with pkg.open(sheet) as fh:
            assert fh.read(1000) + fh.read() == xml
        pkg._infos[sheet].CRC ^= 1               # as a damaged file would give
        with pytest.raises(PackageError, match="damaged"), pkg.open(sheet) as fh:
            fh.read()
    read = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name("tblAudit").to_python()
    assert len(read) == 5000 and read[-1][3] == "run 4999"


def table_parts_of(path):
    with Package(path) as pkg:
        return table_parts(pkg)


def test_a_report_growing_past_the_last_row_of_its_sheet_keeps_a_note_beside_it(tmp_path):
    path = create_workbook(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Exceptions"]
    first = openpyxl.utils.cell.range_boundaries(ws.tables["tblExceptions"].ref)[1]
    ws.cell(row=first + 40, column=12, value="a clerk's note")
    wb.save(path)
    header = ("Step", "Sheet", "Row", "Column", "Value", "Message")
    rows = [("bill", "Invoices", i, "Amount", f"{i}.50", f"row {i} & <more>") for i in range(100)]
    ch = Changes()
    ch.replace["tblExceptions"] = (header, rows)
    FileWorkbook(path).write(ch)
    read = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name("tblExceptions").to_python()
    assert [tuple(r) for r in read] == [tuple(float(v) if isinstance(v, int) else v for v in r) for r in rows]
    ws = openpyxl.load_workbook(path)["Exceptions"]
    assert ws.cell(row=first + 40, column=12).value == "a clerk's note"
    assert ws.cell(row=first + 100, column=6).value == "row 99 & <more>"
