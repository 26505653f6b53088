"""The workbook port over an .xlsx/.xlsm file on disk.

Reads go through python-calamine (a Rust reader, many times faster than
openpyxl for big ledgers).  Writes go through :mod:`ardesk.io.package`, which
edits the file as a package of parts: only the sheets, tables and styles a
run changes are rewritten, and every other part (charts, pivot tables,
images, comments, VBA, a custom ribbon, parts ardesk does not know) is
copied as it was read.  Writing is all-or-nothing:

1. apply every change to the package in memory, refusing (naming it) what
   would be damaged, such as one of ardesk's tables converted to a range;
2. save to a temporary file in the same folder, flush and fsync it;
3. check that the saved file still has every kind of part the original had,
   and that nobody changed the original meanwhile;
4. copy the original to ``NAME.bak.xlsx`` and atomically rename the temporary
   file over the original.

Any failure before step 4 leaves the workbook byte-for-byte as it was.
:func:`apply_changes` does the same changes through openpyxl; the tests keep
it as the oracle the package writer is compared with.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence
from xml.etree import ElementTree

from .. import schema
from ..schema import row_number_formats
from .package import Package, write_package
from .port import _CELL, Changes, Table, WorkbookError, column_letter, parse_ref

# Parts openpyxl rewrites under other names or may drop harmlessly.
IGNORED = ("docProps/", "xl/calcChain.xml", "xl/printerSettings/", "xl/sharedStrings.xml", "[trash]/")

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _family(part: str) -> str:
    return re.sub(r"\d+", "#", part)


def defined_names(path: Path) -> dict[str, tuple[str, str]]:
    """Workbook-level defined names that point at one cell: name -> (sheet, 'B5')."""
    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("xl/workbook.xml"))
    out = {}
    for dn in root.iterfind(".//m:definedNames/m:definedName", NS):
        if dn.get("localSheetId") is not None:
            continue
        text = (dn.text or "").strip()
        sheet, _, cell = text.rpartition("!")
        sheet = sheet.strip("'").replace("''", "'")
        if sheet and _CELL.match(cell.replace("$", "")):
            out[dn.get("name")] = (sheet, cell.replace("$", ""))
    return out


def excel_value(v: Any) -> Any:
    """A core value as openpyxl should store it (money stays an exact Decimal)."""
    if v is None or isinstance(v, (bool, int, float, Decimal, str, datetime, date)):
        return v
    return str(v)


class FileWorkbook:
    """The workbook port over a file.  ``read_*`` never write; ``write`` is atomic."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise WorkbookError(f"{self.path}: no such workbook (create one with `ardesk init {self.path}`)")
        try:
            st = self.path.stat()
            self._stamp = (st.st_mtime_ns, st.st_size)
            self._names = defined_names(self.path)
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
            raise WorkbookError(f"{self.path}: not an Excel workbook (.xlsx/.xlsm)") from None
        self._book = None

    # -- reading ------------------------------------------------------------
    def _calamine(self):
        if self._book is None:
            from python_calamine import CalamineWorkbook
            self._book = CalamineWorkbook.from_path(str(self.path), load_tables=True)
        return self._book

    def read_tables(self, names: Sequence[str]) -> dict[str, Table]:
        book = self._calamine()
        out = {}
        for name in names:
            tdef = schema.TABLES.get(name)
            try:
                t = book.get_table_by_name(name)
            except Exception:
                where = f" on sheet {tdef.sheet!r}" if tdef else ""
                raise WorkbookError(f"{self.path.name}: the table {name}{where} is missing; was the sheet "
                                    "renamed or the table deleted? (`ardesk init` shows the layout)") from None
            header = tuple(str(c) for c in t.columns)
            rows = [tuple(r) for r in t.to_python()]
            (r0, c0) = t.start  # 0-based (row, col) of the first data cell
            out[name] = Table(name, t.sheet, header, rows, first_row=r0 + 1, first_col=c0 + 1)
        return out

    def read_settings(self) -> dict[str, Any]:
        book = self._calamine()
        sheets: dict[str, list] = {}
        out = {}
        for s in schema.SETTINGS:
            loc = self._names.get(s.name)
            if loc is None:
                continue
            sheet, cell = loc
            if sheet not in sheets:
                try:
                    sheets[sheet] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
                except Exception:
                    raise WorkbookError(f"{self.path.name}: setting {s.name} points to missing sheet {sheet!r}") from None
            m = _CELL.match(cell)
            col = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(m.group(1))))
            row = int(m.group(2))
            grid = sheets[sheet]
            v = grid[row - 1][col - 1] if row - 1 < len(grid) and col - 1 < len(grid[row - 1]) else None
            out[s.name] = None if v == "" else v
        return out

    # -- writing --------------------------------------------------------------
    def write(self, changes: Changes, *, backup: bool = True) -> None:
        if changes.is_empty():
            return
        lock = self.path.with_name("~$" + self.path.name)
        if lock.exists():
            raise WorkbookError(f"{self.path.name} is open in Excel ({lock.name} exists); close it, or use the "
                                "ardesk ribbon inside Excel. Nothing was written.")
        with Package(self.path) as pkg:
            write_package(pkg, changes, self._names)
            save_atomic(pkg, self.path, backup=backup, original_stamp=self._stamp)
        st = self.path.stat()
        self._stamp = (st.st_mtime_ns, st.st_size)
        self._book = None


def _table(wb, name: str):
    for ws in wb.worksheets:
        if name in ws.tables:
            return ws, ws.tables[name]
    raise WorkbookError(f"the table {name} is missing from the workbook")


def _set(cell, value) -> None:
    cell.value = excel_value(value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"     # text from outside never becomes a formula


def apply_changes(wb, changes: Changes, names: dict[str, tuple[str, str]]) -> None:
    for name, rows in changes.appends.items():
        ws, t = _table(wb, name)
        c0, r0, c1, r1 = parse_ref(t.ref)
        width = c1 - c0 + 1
        last = r1
        # an empty table keeps one blank row; fill it first
        if r1 == r0 + 1 and all(ws.cell(row=r1, column=c).value in (None, "") for c in range(c0, c1 + 1)):
            last = r0
        header = [ws.cell(row=r0, column=c).value for c in range(c0, c1 + 1)]
        for i, row in enumerate(rows, start=1):
            if len(row) != width:
                raise WorkbookError(f"{name}: a row of {len(row)} values for {width} columns")
            for j, v in enumerate(row):
                _set(ws.cell(row=last + i, column=c0 + j), v)
        _set_formats(ws, name, header, rows, last + 1, c0)
        t.ref = f"{column_letter(c0)}{r0}:{column_letter(c1)}{last + len(rows)}"
        if t.autoFilter is not None:
            t.autoFilter.ref = t.ref
    for name, cells in changes.updates.items():
        ws, t = _table(wb, name)
        c0, r0, c1, r1 = parse_ref(t.ref)
        header = [ws.cell(row=r0, column=c).value for c in range(c0, c1 + 1)]
        for rownum, column, value in cells:
            if not r0 < rownum <= r1:
                raise WorkbookError(f"{name}: row {rownum} is outside the table ({t.ref})")
            _set(ws.cell(row=rownum, column=c0 + header.index(column)), value)
    for name, cells in changes.formats.items():
        ws, t = _table(wb, name)
        c0, r0, c1, _r1 = parse_ref(t.ref)
        header = [ws.cell(row=r0, column=c).value for c in range(c0, c1 + 1)]
        for rownum, column, fmt in cells:
            ws.cell(row=rownum, column=c0 + header.index(column)).number_format = fmt
    for name, (header, rows) in changes.replace.items():
        _replace_table(wb, name, header, rows)
    for name, text in changes.titles.items():
        ws, _ = _table(wb, name)
        ws["A2"] = text
    for name, value in changes.names.items():
        loc = names.get(name)
        if loc is None:
            raise WorkbookError(f"the setting {name} has no defined name in the workbook")
        sheet, cell = loc
        _set(wb[sheet][cell], value)


def _set_formats(ws, name: str, header: Sequence[str], rows: Sequence[tuple], row0: int, col0: int) -> None:
    """Number formats of rows written from sheet row ``row0``, column ``col0`` on (see row_number_formats)."""
    for first, last, j, fmt in row_number_formats(name, header, rows):
        for r in range(row0 + first, row0 + last + 1):
            ws.cell(row=r, column=col0 + j).number_format = fmt


def _replace_table(wb, name: str, header: Sequence[str], rows: Sequence[tuple]) -> None:
    from openpyxl.worksheet.table import Table as XLTable, TableStyleInfo
    from .template import HEADER_FILL, HEADER_FONT
    ws, t = _table(wb, name)
    c0, r0, c1, r1 = parse_ref(t.ref)
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            ws.cell(row=r, column=c).value = None
    for j, h in enumerate(header):
        cell = ws.cell(row=r0, column=c0 + j, value=h)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            _set(ws.cell(row=r0 + i, column=c0 + j), v)
    _set_formats(ws, name, header, rows, r0 + 1, c0)
    end_row = r0 + max(len(rows), 1)
    style = t.tableStyleInfo
    del ws.tables[name]
    new = XLTable(displayName=name, ref=f"{column_letter(c0)}{r0}:{column_letter(c0 + len(header) - 1)}{end_row}")
    new.tableStyleInfo = style or TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(new)


def save_atomic(wb, path: Path, *, backup: bool = True, original_stamp: tuple[int, int] | None = None) -> None:
    """Save ``wb`` over ``path`` all-or-nothing, keeping the previous file as NAME.bak.EXT."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent or ".")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        wb.save(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if path.exists():
            lost = lost_parts(path, tmp)
            if lost:
                raise WorkbookError(f"saving {path.name} would drop {', '.join(lost)}; nothing was written")
            if original_stamp is not None:
                st = path.stat()
                if (st.st_mtime_ns, st.st_size) != original_stamp:
                    raise WorkbookError(f"{path.name} was changed by someone else while ardesk worked; nothing "
                                        "was written: run the step again")
            if backup:
                shutil.copy2(path, path.with_name(f"{path.stem}.bak{path.suffix}"))
        os.replace(tmp, path)
        dir_fd = os.open(path.parent or ".", os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        if tmp.exists():
            tmp.unlink()


def lost_parts(before: Path, after: Path) -> list[str]:
    with zipfile.ZipFile(before) as a, zipfile.ZipFile(after) as b:
        old = {_family(n) for n in a.namelist() if not n.startswith(IGNORED) and not n.endswith("/")}
        new = {_family(n) for n in b.namelist()}
    return sorted(old - new)
