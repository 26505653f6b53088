"""A run's :class:`~ardesk.io.port.Changes` written into a workbook package.

Only the parts the changes touch are rewritten:

- the worksheet parts of the changed tables (sheetData, ECMA-376 Part 1
  §18.3.1.80, through :class:`~.sheet.SheetEdit`); rows appended to a sheet
  the last save wrote in segments follow its rows copied as stored
  (:mod:`.segments`);
- their table parts (§18.5.1.2 ``table``: ``ref``, ``autoFilter`` §18.3.1.2,
  ``tableColumns`` §18.5.1.4 when a report's columns change);
- the styles part (§18.8) only when a cell needs a number format the
  workbook does not have yet;
- the workbook part (§18.2.27) only to ask Excel to recalculate formulas on
  opening (``calcPr fullCalcOnLoad``, §18.2.2), since cells they read
  changed; the defined names (§18.2.6) are read, never rewritten;
- the calculation chain (§18.6) is dropped, with its relationship and
  content type, only when a cell that held a formula was overwritten.

Every other part is copied as it was read.  What cannot be written without
damage is refused before anything is written, naming it: a table of the
schema that is no longer a table, a table with a totals row below which rows
would be appended, a value below a ledger table that new rows would cover.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime
from typing import Any, Sequence
from xml.etree import ElementTree

from ... import schema
from ..port import _CELL, Changes, WorkbookError, column_letter, parse_ref
from .opc import Package, Raw, attributes, rels_name
from .segments import Segments
from .sheet import KEEP, Cell, SheetEdit, col_number, has_value
from .styles import StyleBook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TABLE_REL = R + "/table"
WORKSHEET_REL = R + "/worksheet"
CALC_CHAIN_REL = R + "/calcChain"


def schema_formats(table: str, header: Sequence[str], row: Sequence[Any]) -> Sequence[str | None]:
    """The schema's formats for one row (money in the row's currency: :func:`ardesk.schema.row_number_formats`)."""
    header = tuple(header)
    if "Currency" not in header:
        return _row_formats(table, header, None)
    i = header.index("Currency")
    return _row_formats(table, header, str(row[i] or "") if i < len(row) else "")


@lru_cache(maxsize=1024)
def _row_formats(table: str, header: tuple[str, ...], currency: str | None) -> tuple[str | None, ...]:
    sample = [0] * len(header)              # a row with every cell filled, in ``currency``
    if currency is not None:
        sample[header.index("Currency")] = currency
    out: list[str | None] = [None] * len(header)
    for _first, _last, j, fmt in schema.row_number_formats(table, header, [tuple(sample)]):
        out[j] = fmt
    return tuple(out)


@dataclass
class TablePart:
    """One table (§18.5.1.2) as the package holds it."""
    name: str
    sheet: str
    sheet_part: str
    part: str
    ref: str
    columns: tuple[str, ...]
    totals: bool


def workbook_part(pkg: Package) -> str:
    for rel in pkg.relationships(""):
        if rel["Type"].endswith("/officeDocument"):
            return rel["Target"]
    raise WorkbookError(f"{pkg.path.name}: the package has no workbook part")


def sheet_parts(pkg: Package) -> dict[str, str]:
    """Sheet name -> worksheet part, in tab order (§18.2.19 sheet)."""
    wb = workbook_part(pkg)
    targets = {r["Id"]: r["Target"] for r in pkg.relationships(wb) if r["Type"] == WORKSHEET_REL}
    root = ElementTree.fromstring(pkg.read(wb))
    return {s.get("name"): targets[s.get(f"{{{R}}}id")] for s in root.iter(f"{{{MAIN}}}sheet")
            if s.get(f"{{{R}}}id") in targets}


def table_parts(pkg: Package) -> dict[str, TablePart]:
    """Every table of the workbook by name, read from the table parts each worksheet relates to."""
    out = {}
    for sheet, part in sheet_parts(pkg).items():
        for rel in pkg.relationships(part):
            if rel["Type"] != TABLE_REL:
                continue
            root = ElementTree.fromstring(pkg.read(rel["Target"]))
            name = root.get("displayName") or root.get("name")
            cols = tuple(c.get("name") for c in root.iter(f"{{{MAIN}}}tableColumn"))
            out[name] = TablePart(name, sheet, part, rel["Target"], root.get("ref"), cols,
                                  int(root.get("totalsRowCount") or 0) > 0 and root.get("totalsRowShown") != "0")
    return out


# Workbook-level parts every cell value is read through: shared strings (§18.4) and the number formats
# that make a number a date (§18.8).
READ_THROUGH = (R + "/sharedStrings", R + "/styles")


def value_parts(pkg: Package, tables: Sequence[str]) -> dict[str, str]:
    """The digest (:meth:`.opc.Package.digest`) of every part the values of ``tables`` are read from: the
    workbook part and its relationships, the shared strings and styles, and each table's worksheet, its
    relationships and its table part.  Equal digests, equal values, whatever the reader; tables the
    workbook lacks are left out."""
    out: dict[str, str] = {}
    for parts in table_value_parts(pkg, tables).values():
        out.update(parts)
    return out


def table_value_parts(pkg: Package, tables: Sequence[str]) -> dict[str, dict[str, str]]:
    """:func:`value_parts` table by table (tables the workbook lacks are left out)."""
    wb = workbook_part(pkg)
    common = [wb, rels_name(wb)] + [r["Target"] for r in pkg.relationships(wb) if r["Type"] in READ_THROUGH]
    digests: dict[str, str] = {}

    def digest(part: str) -> str:
        if part not in digests:
            digests[part] = pkg.digest(part)
        return digests[part]
    found = table_parts(pkg)
    out = {}
    for name in tables:
        if name in found:
            t = found[name]
            parts = dict.fromkeys(common + [t.sheet_part, rels_name(t.sheet_part), t.part])
            out[name] = {part: digest(part) for part in parts if pkg.has(part)}
    return out


class PackageWriter:
    """``segments``: how ardesk last wrote some worksheet parts (:mod:`.segments`), for parts whose stored
    entry is trusted to be that very one; rows appended to those are compressed after their rows copied as
    stored."""

    def __init__(self, pkg: Package, segments: dict[str, Segments] | None = None):
        self.pkg = pkg
        self.segments = segments or {}
        self.styles = StyleBook(pkg)
        self._tables: dict[str, TablePart] | None = None
        self._sheets: dict[str, SheetEdit] = {}

    # -- look-ups ---------------------------------------------------------------
    def table(self, name: str) -> TablePart:
        if self._tables is None:
            self._tables = table_parts(self.pkg)
        t = self._tables.get(name)
        if t is None:
            tdef = schema.TABLES.get(name)
            where = f" on sheet {tdef.sheet!r}" if tdef else ""
            raise WorkbookError(f"{self.pkg.path.name}: the table {name}{where} is no longer an Excel table (was it "
                                "converted to a range, deleted or renamed?); nothing was written. Make it a table "
                                f"named {name} again (Insert > Table), then run again.")
        return t

    def sheet(self, t: TablePart) -> SheetEdit:
        part = t.sheet_part
        if part not in self._sheets:
            self._sheets[part] = SheetEdit(part, t.sheet, lambda: self.pkg.open(part),
                                           lambda: self._stored_segments(part))
        return self._sheets[part]

    def _stored_segments(self, part: str) -> tuple[bytes, Raw, bytes, int] | None:
        """The head, rows and tail of a part as :meth:`.opc.Package.segmented` checks them, with its last row."""
        table = self.segments.get(part)
        found = None if table is None else self.pkg.segmented(part, table)
        return None if found is None else (*found, table.last_row)

    def sheet_by_name(self, sheet: str) -> SheetEdit:
        parts = sheet_parts(self.pkg)
        if sheet not in parts:
            raise WorkbookError(f"{self.pkg.path.name}: there is no sheet {sheet!r}")
        part = parts[sheet]
        if part not in self._sheets:
            self._sheets[part] = SheetEdit(part, sheet, lambda: self.pkg.open(part))
        return self._sheets[part]

    def _style(self, code: str | None, value: Any) -> int | None:
        if code:
            return self.styles.index(code)
        if isinstance(value, datetime):
            return self.styles.index(schema.NUMBER_FORMATS[schema.DATETIME])
        if isinstance(value, date):
            return self.styles.index(schema.NUMBER_FORMATS[schema.DATE])
        return None

    def _row_styles(self, fmts: tuple[str | None, ...], row: Sequence[Any], alike: dict[tuple, list[int | None]]
                    ) -> list[int | None]:
        """The style of each cell of a row (:meth:`_style` of its format and value), one list shared by the
        rows alike in ``alike``: rows of the same formats whose cells without a format hold values of the same
        types (only a date's type gives such a cell a style)."""
        key = (fmts, *(type(v) for f, v in zip(fmts, row) if f is None))
        out = alike.get(key)
        if out is None:
            out = alike[key] = [self._style(f, v) for f, v in zip(fmts, row)]
        return out

    # -- changes ------------------------------------------------------------------
    def apply(self, changes: Changes, names: dict[str, tuple[str, str]]) -> None:
        for name, rows in changes.appends.items():
            self._append(name, rows)
        for name, cells in changes.updates.items():
            self._update(name, cells)
        for name, cells in changes.formats.items():
            self._restyle(name, cells)
        for name, (header, rows) in changes.replace.items():
            self._replace(name, tuple(header), rows)
        for name, text in changes.titles.items():
            self.sheet(self.table(name)).set(2, 1, Cell(text))
        for name, value in changes.names.items():
            loc = names.get(name)
            if loc is None:
                raise WorkbookError(f"the setting {name} has no defined name in the workbook")
            sheet, ref = loc
            m = _CELL.match(ref)
            style = self._style(None, value)
            self.sheet_by_name(sheet).set(int(m.group(2)), col_number(m.group(1)), Cell(value, style))
        self._finish()

    def _append(self, name: str, rows: Sequence[tuple]) -> None:
        t = self.table(name)
        if t.totals:
            raise WorkbookError(f"{self.pkg.path.name}: the table {name} on sheet {t.sheet!r} shows a totals row, "
                                "below which ardesk cannot add rows; turn the totals row off (Table Design), then run "
                                "again. Nothing was written.")
        edit = self.sheet(t)
        c0, r0, c1, r1 = parse_ref(t.ref)
        width = c1 - c0 + 1
        last = r1
        if r1 == r0 + 1:          # an empty table keeps one blank row; fill it first
            cells = edit.row_cells(r1)
            if not any(has_value(x) for c, x in cells.items() if c0 <= c <= c1):
                last = r0
        styles = []
        alike: dict[tuple, list[int | None]] = {}
        for row in rows:
            if len(row) != width:
                raise WorkbookError(f"{name}: a row of {len(row)} values for {width} columns")
            styles.append(self._row_styles(tuple(schema_formats(name, t.columns, row)), row, alike))
        edit.append(last + 1, c0, rows, styles)
        self._set_ref(t, f"{column_letter(c0)}{r0}:{column_letter(c1)}{last + len(rows)}")

    def _update(self, name: str, cells: Sequence[tuple[int, str, Any]]) -> None:
        t = self.table(name)
        edit = self.sheet(t)
        c0, r0, c1, r1 = parse_ref(t.ref)
        for rownum, column, value in cells:
            if not r0 < rownum <= r1:
                raise WorkbookError(f"{name}: row {rownum} is outside the table ({t.ref})")
            if column not in t.columns:
                raise WorkbookError(f"Sheet {t.sheet!r}: table {name} has no column {column!r}")
            edit.set(rownum, c0 + t.columns.index(column), Cell(value, self._style(None, value)))

    def _restyle(self, name: str, cells: Sequence[tuple[int, str, str]]) -> None:
        """Number formats of cells of existing rows; their values stay as they are."""
        t = self.table(name)
        edit = self.sheet(t)
        c0, r0, c1, r1 = parse_ref(t.ref)
        for rownum, column, fmt in cells:
            if not r0 < rownum <= r1 or column not in t.columns:
                raise WorkbookError(f"{name}: no cell at row {rownum}, column {column!r} ({t.ref})")
            col = c0 + t.columns.index(column)
            style = self.styles.index(fmt)
            written = edit.edits.get(rownum, {}).get(col)
            if written is not None and written.value is not KEEP:
                written.style = style
            else:
                edit.set(rownum, col, Cell(KEEP, style))

    def _replace(self, name: str, header: tuple[str, ...], rows: Sequence[tuple]) -> None:
        t = self.table(name)
        edit = self.sheet(t)
        c0, r0, c1, r1 = parse_ref(t.ref)
        header_cells = edit.row_cells(r0)
        first = header_cells.get(c0, b"")
        s = attributes(first[:first.find(b">") + 1]).get(b"s") if first else None
        header_style = int(s) if s else None
        end_row = r0 + max(len(rows), 1)
        for r in range(r0 + 1, r1 + 1):     # rows the table no longer covers lose their cells, formats too
            for c in range(c0, c1 + 1):
                edit.set(r, c, None if r <= end_row else Cell(None))
        for c in range(c0 + len(header), c1 + 1):
            edit.set(r0, c, None)
        for j, h in enumerate(header):
            edit.set(r0, c0 + j, Cell(h, header_style))
        last = edit.last_row()
        fresh = max(last, r1) + 1 if last is not None else float("inf")     # rows from here on: none in the sheet
        block, styles = [], []
        alike: dict[tuple, list[int | None]] = {}
        for i, row in enumerate(rows, start=1):
            fmts = schema_formats(name, header, row)
            if r0 + i >= fresh:             # written straight from the values, as appended rows are
                block.append(row)
                styles.append(self._row_styles(tuple(fmts), row, alike))
                continue
            for j, v in enumerate(row):
                edit.set(r0 + i, c0 + j, Cell(v, self._style(fmts[j], v)))
        edit.append(r0 + len(rows) - len(block) + 1, c0, block, styles)
        self._set_ref(t, f"{column_letter(c0)}{r0}:{column_letter(c0 + len(header) - 1)}{end_row}", header)

    def _set_ref(self, t: TablePart, ref: str, header: tuple[str, ...] | None = None) -> None:
        """§18.5.1.2 table/@ref and §18.3.1.2 autoFilter/@ref; §18.5.1.4 tableColumns when the header changed."""
        xml = self.pkg.read(t.part)
        start = re.search(rb"<(\w+:)?table\b[^>]*>", xml)
        tag = re.sub(rb'\sref="[^"]*"', b' ref="%s"' % ref.encode(), start.group(), count=1)
        xml = xml[:start.start()] + tag + xml[start.end():]
        xml = re.sub(rb'(<(?:\w+:)?autoFilter\b[^>]*?\sref=")[^"]*"', rb'\g<1>' + ref.encode() + b'"', xml, count=1)
        if header is not None and tuple(header) != t.columns:
            p = (start.group(1) or b"")
            cols = b"".join(b'<%stableColumn id="%d" name="%s"/>' % (p, i, _attr(h)) for i, h in
                            enumerate(header, start=1))
            block = b'<%stableColumns count="%d">%s</%stableColumns>' % (p, len(header), cols, p)
            xml = re.sub(rb"<(?:\w+:)?tableColumns\b.*?</(?:\w+:)?tableColumns>", lambda m: block, xml, count=1,
                         flags=re.S)
            t.columns = tuple(header)
        t.ref = ref
        self.pkg.replace(t.part, xml)

    def _finish(self) -> None:
        for part, edit in self._sheets.items():
            if not edit.touched:
                continue
            self.pkg.replace(part, edit.pieces)
        if any(e.formula_overwritten for e in self._sheets.values()):
            self._drop_calc_chain()
        if any(e.touched for e in self._sheets.values()):
            self._full_calc_on_load()

    def _drop_calc_chain(self) -> None:
        """§18.6: a chain naming a cell that no longer holds a formula makes Excel repair the file; Excel
        rebuilds a missing one."""
        wb = workbook_part(self.pkg)
        for rel in self.pkg.relationships(wb):
            if rel["Type"] == CALC_CHAIN_REL:
                self.pkg.remove(rel["Target"])
                rels = rels_name(wb)
                xml = re.sub(rb'<Relationship\b[^>]*\sId="%s"[^>]*/>' % rel["Id"].encode(), b"", self.pkg.read(rels))
                self.pkg.replace(rels, xml)
                ct = self.pkg.read("[Content_Types].xml")
                ct = re.sub(rb'<Override\b[^>]*PartName="/%s"[^>]*/>' % re.escape(rel["Target"].encode()), b"", ct)
                self.pkg.replace("[Content_Types].xml", ct)

    def _full_calc_on_load(self) -> None:
        wb = workbook_part(self.pkg)
        xml = self.pkg.read(wb)
        m = re.search(rb"<(\w+:)?calcPr\b[^>]*?/?>", xml)
        if m is not None:
            if b'fullCalcOnLoad="1"' in m.group() or b'fullCalcOnLoad="true"' in m.group():
                return
            tag = re.sub(rb'\sfullCalcOnLoad="[^"]*"', b"", m.group())
            tag = re.sub(rb"(<(?:\w+:)?calcPr)", rb'\1 fullCalcOnLoad="1"', tag, count=1)
            xml = xml[:m.start()] + tag + xml[m.end():]
        else:
            p = re.match(rb"(?:<\?xml[^>]*>\s*)?<(\w+:)?workbook\b", xml).group(1) or b""
            later = re.search(rb"<(?:\w+:)?(?:oleSize|customWorkbookViews|pivotCaches|smartTagPr|smartTagTypes|"
                              rb"webPublishing|fileRecoveryPr|webPublishObjects|extLst)\b|</(?:\w+:)?workbook>", xml)
            xml = xml[:later.start()] + b'<%scalcPr fullCalcOnLoad="1"/>' % p + xml[later.start():]
        self.pkg.replace(wb, xml)


def _attr(text: str) -> bytes:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;").encode()


def write_package(pkg: Package, changes: Changes, names: dict[str, tuple[str, str]],
                  segments: dict[str, Segments] | None = None) -> None:
    """Apply ``changes`` to ``pkg`` (nothing is written to disk until ``pkg.save``); ``segments`` as
    :class:`PackageWriter` takes them."""
    PackageWriter(pkg, segments).apply(changes, names)


def written_segments(pkg: Package, parts: Sequence[str]) -> dict[str, Segments]:
    """The segments (:mod:`.segments`) of those of ``parts`` that ``pkg.save`` wrote as a sheet's head, rows
    and tail with the number of its last row."""
    out = {}
    for part in parts:
        segs, meta = pkg.written.get(part, ((), {}))
        if len(segs) == 3 and isinstance(meta.get("last_row"), int):
            out[part] = Segments(*segs, meta["last_row"])
    return out
