"""Build the billing workbook from the layout in :mod:`ardesk.schema`.

``ardesk init`` calls :func:`create_workbook`; ``workbooks/ardesk-template.xlsx``
is its output, committed so a clerk can start without Python.  Every table is
a real Excel table (ListObject) with a header style, column number formats,
frozen header row and data validation on input columns.  Settings are cells
on the Settings sheet, each reached through a workbook-level defined name.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from .. import schema
from ..schema import CHOICE, DATE, DECIMAL, INT, MONEY, NUMBER_FORMATS, RATE, TableDef
from .port import column_letter

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
NOTE_FONT = Font(italic=True, color="595959")
FIXED_TIME = datetime(2026, 1, 1)
LAST_ROW = 1048576
WIDE_PAGE = 110   # column widths (characters) above which a tab prints landscape

def setting_cell(name: str) -> str:
    """The Settings cell (e.g. 'B5') that a defined name points to."""
    for i, s in enumerate(schema.SETTINGS):
        if s.name == name:
            return f"B{i + 2}"
    raise KeyError(name)


def _style_header(ws, row: int, first_col: int, ncols: int) -> None:
    for c in range(first_col, first_col + ncols):
        cell = ws.cell(row=row, column=c)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")


def add_table(ws, tdef: TableDef, header: tuple[str, ...] | None = None) -> None:
    """Place an empty table (header plus one blank row, as Excel requires)."""
    header = header or tdef.header
    anchor_col = ord(tdef.anchor[0]) - 64
    anchor_row = int(tdef.anchor[1:])
    for i, name in enumerate(header):
        ws.cell(row=anchor_row, column=anchor_col + i, value=name)
    _style_header(ws, anchor_row, anchor_col, len(header))
    last = column_letter(anchor_col + len(header) - 1)
    ref = f"{tdef.anchor}:{last}{anchor_row + 1}"
    table = Table(displayName=tdef.name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    for i, name in enumerate(header):
        col = tdef.column(name) if name in tdef.header else None
        letter = column_letter(anchor_col + i)
        dim = ws.column_dimensions[letter]
        dim.width = col.width if col else 12
        kind = col.kind if col else MONEY
        dim.number_format = NUMBER_FORMATS[kind]
    ws.freeze_panes = ws.cell(row=anchor_row + 1, column=1)
    widths = sum((tdef.column(n).width if n in tdef.header else 12) for n in header)
    print_setup(ws, anchor_row, widths)


def print_setup(ws, header_row: int, widths: float) -> None:
    """Every tab prints fit to one page wide (landscape when its columns are wide), with its header
    rows repeated on each page and the sheet name and page numbers in the footer."""
    wide = widths > WIDE_PAGE
    ws.page_setup.orientation = "landscape" if wide else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"1:{header_row}"
    ws.print_options.gridLines = False
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"
    ws.evenFooter.left.text = "&A"
    ws.evenFooter.right.text = "Page &P of &N"


def _validations(ws, tdef: TableDef) -> None:
    for i, col in enumerate(tdef.columns):
        letter = column_letter(1 + i)
        sqref = f"{letter}2:{letter}{LAST_ROW}"
        dv = None
        if col.kind == CHOICE and col.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=not col.required)
        elif col.kind == DATE:
            dv = DataValidation(type="date", operator="greaterThan", formula1="1")
        elif col.kind == INT:
            dv = DataValidation(type="whole", operator="between", formula1="0", formula2="3650")
        elif col.kind in (MONEY, DECIMAL) and col.name != "Amount":
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
        elif col.kind == MONEY:
            dv = DataValidation(type="decimal", operator="between", formula1="-1E+12", formula2="1E+12")
        elif col.kind == RATE:
            dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="1")
        if (tdef.name, col.name) in schema.LISTS:
            # a list validation cannot name a table column itself; INDIRECT of the structured
            # reference can, and follows the table as it grows
            source, source_column = schema.LISTS[tdef.name, col.name]
            dv = DataValidation(type="list", formula1=f'INDIRECT("{source}[{source_column}]")', allow_blank=True)
        if dv is None:
            continue
        dv.error = f"{col.name}: {col.note or 'see the Settings sheet and README'}"
        dv.errorTitle = f"ardesk: {tdef.sheet}.{col.name}"
        dv.showErrorMessage = True
        dv.add(sqref)
        ws.add_data_validation(dv)


def _guard_ledger(ws, tdef: TableDef) -> None:
    """Refuse typing into a posted ledger row: a validation rule no typed value passes.

    Validation applies to what a clerk types, not to what a program writes, so every engine still
    appends: the file adapter (openpyxl), classic Excel (COM / AppleScript), xlwings Lite and xlwings
    Server (Office.js).  Sheet protection would stop the last two: Office.js refuses to write a
    protected sheet, and xlwings sends no action to lift it.
    """
    last = column_letter(len(tdef.columns))
    dv = DataValidation(type="custom", formula1="FALSE", allow_blank=True)
    dv.errorTitle = f"ardesk: {tdef.sheet} is a ledger"
    dv.error = ("Posted rows are never edited. Correct a mistake with a reversing entry or a credit note "
                "(ardesk posts them); see the README, Accounting rules.")
    dv.showErrorMessage = True
    dv.add(f"A2:{last}{LAST_ROW}")
    ws.add_data_validation(dv)


def _settings_sheet(wb: Workbook) -> None:
    ws = wb.active
    ws.title = "Settings"
    for i, h in enumerate(("Setting", "Value", "Note"), start=1):
        ws.cell(row=1, column=i, value=h)
    _style_header(ws, 1, 1, 3)
    for r, s in enumerate(schema.SETTINGS, start=2):
        ws.cell(row=r, column=1, value=s.label)
        cell = ws.cell(row=r, column=2, value=s.default)
        cell.number_format = NUMBER_FORMATS.get(s.kind, "General") if s.kind != schema.TEXT else "@"
        if s.kind in (INT, DECIMAL):
            cell.number_format = "General"
        ws.cell(row=r, column=3, value=s.note).font = NOTE_FONT
        wb.defined_names[s.name] = DefinedName(s.name, attr_text=f"Settings!$B${r}")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 70
    ws.freeze_panes = "A2"
    print_setup(ws, 1, 40 + 26 + 70)
    basis = DataValidation(type="list", formula1='"due,invoice"')
    basis.add(setting_cell("AgingBasis"))
    ws.add_data_validation(basis)


def aging_header(buckets: tuple[str, ...]) -> tuple[str, ...]:
    return ("CustomerID", "Name", "Currency", *buckets, "Total", "AvgDaysToPay", "AvgDaysLate")


def aging_totals_header(buckets: tuple[str, ...]) -> tuple[str, ...]:
    return ("Currency", *buckets, "Total")


CHART_CURRENCIES = 6   # rows of AgingTotals the aging chart draws (one series per currency)
TREND_MONTHS = 12


def _text_categories(chart, ref) -> None:
    """Category labels that are text (months, bucket names) as a string reference (§21.2.2.215 strRef)."""
    from openpyxl.chart.data_source import AxDataSource, StrRef
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(ref)))


def _charts(wb: Workbook, buckets: int) -> None:
    """Native charts over the report tables' cells, so Excel redraws them when a run refills the tables
    (DrawingML charts, ECMA-376 Part 1 §21.2)."""
    from openpyxl.chart import BarChart, LineChart, Reference
    ws = wb["AgingTotals"]
    first, last = 5, 4 + CHART_CURRENCIES
    aging = BarChart()
    aging.type, aging.grouping = "col", "clustered"
    aging.title, aging.y_axis.title = "Open items by days past due and currency", "amount"
    aging.add_data(Reference(ws, min_col=1, max_col=1 + buckets, min_row=first, max_row=last), from_rows=True,
                   titles_from_data=True)
    _text_categories(aging, Reference(ws, min_col=2, max_col=1 + buckets, min_row=4, max_row=4))
    aging.width, aging.height = 22, 10
    ws.add_chart(aging, f"{column_letter(buckets + 4)}4")
    ws = wb["Trends"]
    months = Reference(ws, min_col=1, min_row=5, max_row=4 + TREND_MONTHS)
    flows = BarChart()
    flows.type, flows.grouping = "col", "clustered"
    flows.title, flows.y_axis.title = "Invoiced and collected by month", "base currency"
    flows.add_data(Reference(ws, min_col=3, max_col=4, min_row=4, max_row=4 + TREND_MONTHS), titles_from_data=True)
    _text_categories(flows, months)
    flows.width, flows.height = 22, 9
    ws.add_chart(flows, "H4")
    dso = LineChart()
    dso.title, dso.y_axis.title = "DSO by month", "days"
    dso.add_data(Reference(ws, min_col=6, min_row=4, max_row=4 + TREND_MONTHS), titles_from_data=True)
    _text_categories(dso, months)
    dso.width, dso.height = 22, 8
    ws.add_chart(dso, "H23")


def _chain_state(ws, tdef: TableDef) -> None:
    """The ChainState tab: very hidden (no clerk unhides it by accident), seeded with the empty ledgers' chain
    states so the first click from Lite or Server already hashes only the rows posted since."""
    from .quickstate import seed
    rows = seed()
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            ws.cell(row=2 + i, column=1 + j, value=v)
    table = ws.tables[tdef.name]
    table.ref = f"A1:{column_letter(len(tdef.header))}{1 + len(rows)}"
    if table.autoFilter is not None:
        table.autoFilter.ref = table.ref
    ws.sheet_state = "veryHidden"


def build_template() -> Workbook:
    from ..core.reports.aging import bucket_labels, parse_buckets
    wb = Workbook()
    _settings_sheet(wb)

    by_sheet = {t.sheet: t for t in schema.TABLES.values()}
    buckets = bucket_labels(parse_buckets("30,60,90"))
    for sheet in schema.SHEET_ORDER[1:]:
        ws = wb.create_sheet(sheet)
        tdef = by_sheet[sheet]
        header = {schema.AGING.name: aging_header(buckets),
                  schema.AGING_TOTALS.name: aging_totals_header(buckets)}.get(tdef.name)
        if tdef.anchor != "A1":
            ws["A1"] = sheet
            ws["A1"].font = TITLE_FONT
            ws["A2"] = "Not run yet: use Reports (ribbon) or `ardesk report`."
            ws["A2"].font = NOTE_FONT
        add_table(ws, tdef, header)
        if tdef.role == "input":
            _validations(ws, tdef)
        if tdef.role == "ledger":
            _guard_ledger(ws, tdef)
        if tdef is schema.REVIEW:
            ws.freeze_panes = ws.cell(row=2, column=schema.REVIEW_FROZEN_COLUMNS + 1)
        if tdef.role == "state":
            _chain_state(ws, tdef)
            continue
        ws.sheet_properties.tabColor = {"input": "2E75B6", "ledger": "7F7F7F", "report": "70AD47"}[tdef.role]
    _charts(wb, len(buckets))
    wb.properties.creator = "ardesk"
    wb.properties.title = "ardesk billing workbook"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def create_workbook(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a new, empty billing workbook.  Refuses to replace an existing file."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; ardesk init never overwrites a workbook")
    wb = build_template()
    from .fileadapter import save_atomic
    save_atomic(wb, path, backup=False)
    return path
