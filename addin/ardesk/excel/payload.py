"""A workbook file as xlwings' remote engine sees it, and its actions applied back.

:func:`book_payload` reads an .xlsx with openpyxl and builds the JSON that the
xlwings Office.js client (xlwings Lite, xlwings Server) posts to Python:
``{client, version, book, names, sheets: [{name, values, tables, ...}]}``.
``xw.Book(json=payload)`` then opens it on the remote engine, so the ribbon
buttons run on Linux exactly as they run behind Excel on the web.

:func:`apply_actions` plays the actions Python sends back
(``book.json()["actions"]``) onto the file with openpyxl, the way Excel does:
a string written into a cell is parsed as if typed (``=...`` is a formula,
``2026-10`` a date, ``0012`` a number) unless it starts with an apostrophe,
which marks text.  An action it does not know raises
:class:`UnknownActionError`, so nothing is silently skipped.

The tests use both to compare a button run through the remote engine with the
same step run by the file adapter; the benchmark uses them to time a click.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Iterable

from .. import schema

DATE_MODES = ("iso", "serial")


class UnknownActionError(ValueError):
    """An action from the remote engine that :func:`apply_actions` does not know how to apply."""


def _serial(v: dt.date) -> float:
    if isinstance(v, dt.datetime):
        delta = v - dt.datetime.combine(schema.EPOCH, dt.time())
        return delta.days + delta.seconds / 86400
    return float((v - schema.EPOCH).days)


def _cell_payload(v: Any, dates: str) -> Any:
    if v is None:
        return ""
    if isinstance(v, (dt.datetime, dt.date)):
        if dates == "serial":
            return _number(_serial(v))
        if not isinstance(v, dt.datetime):
            v = dt.datetime.combine(v, dt.time())
        # what the Office.js client sends for a cell Excel classifies as a date
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    if isinstance(v, dt.time):
        return _number((v.hour * 3600 + v.minute * 60 + v.second) / 86400)
    return _number(v) if type(v) is float else v


def _number(v: float) -> int | float:
    """A number as the client's JSON carries it: JavaScript has one number type and JSON.stringify writes
    49.0 as 49, which Python reads back as an int."""
    return int(v) if v.is_integer() else v


def book_payload(path: str | Path, *, dates: str = "iso", client: str = "Office.js",
                 active_sheet: int = 0, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> dict:
    """The remote engine's payload for the workbook at ``path``.

    ``dates``: ``"iso"`` sends date cells as ISO strings (Excel 2021/365),
    ``"serial"`` as serial numbers (older Excel, or formats Excel does not
    classify as dates).  ``include``/``exclude``: the script's sheet lists, as
    xlwings' client applies them: a sheet left out is still listed, with no
    values and no tables (names are always sent).
    """
    if dates not in DATE_MODES:
        raise ValueError(f"dates must be one of {DATE_MODES}, not {dates!r}")
    include, exclude = list(include), list(exclude)
    if include and exclude:
        raise ValueError("Either use 'include' or 'exclude', but not both!")
    import xlwings as xw
    from openpyxl import load_workbook
    wb = load_workbook(path, data_only=True)
    sheet_index = {ws.title: i for i, ws in enumerate(wb.worksheets)}
    names = []
    for name, dn in wb.defined_names.items():
        dests = list(dn.destinations)
        entry = {"name": name, "refers_to": "=" + dn.attr_text, "sheet_index": None, "address": None,
                 "scope_sheet_name": None, "scope_sheet_index": None, "book_scope": True}
        if len(dests) == 1 and dests[0][0] in sheet_index:
            title, ref = dests[0]
            entry["sheet_index"] = sheet_index[title]
            entry["address"] = ref.replace("$", "")
        names.append(entry)
    sheets = []
    for ws in wb.worksheets:
        if (include and ws.title not in include) or ws.title in exclude:
            sheets.append({"name": ws.title, "values": [[]], "pictures": [], "tables": []})
            continue
        width = max(ws.max_column, 1)
        values = [[_cell_payload(c.value, dates) for c in row]
                  for row in ws.iter_rows(min_row=1, max_row=max(ws.max_row, 1), min_col=1, max_col=width)]
        tables = []
        for tname in ws.tables:
            t = ws.tables[tname]
            ref = t.ref.replace("$", "")
            a, b = ref.split(":")
            head_end = re.sub(r"\d+$", "", b) + re.sub(r"^[A-Z]+", "", a)
            body_start = re.sub(r"\d+$", "", a) + str(int(re.sub(r"^[A-Z]+", "", a)) + 1)
            tables.append({
                "name": t.displayName,
                "range_address": ref,
                "header_row_range_address": f"{a}:{head_end}",
                "data_body_range_address": f"{body_start}:{b}",
                "total_row_range_address": None,
                "show_headers": True,
                "show_totals": False,
                "table_style": t.tableStyleInfo.name if t.tableStyleInfo is not None else "",
                "show_autofilter": t.autoFilter is not None,
            })
        sheets.append({"name": ws.title, "values": values, "pictures": [], "tables": tables})
    return {
        "client": client,
        "version": xw.__version__,
        "book": {"name": Path(path).name, "active_sheet_index": active_sheet, "selection": "A1"},
        "names": names,
        "sheets": sheets,
    }


# -- applying actions ------------------------------------------------------------
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ISO_DATETIME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})[-/](\d{1,2})$")


def excel_input(s: str, year: int = 2026) -> Any:
    """What Excel stores when ``s`` is typed into a General cell (the cases this project meets)."""
    if s.startswith("'"):
        return s[1:]
    if s.startswith("="):
        return s                      # a formula (openpyxl stores a string starting "=" as one)
    if s.upper() in ("TRUE", "FALSE"):
        return s.upper() == "TRUE"
    if _NUMBER.match(s.strip()):
        f = float(s)
        return int(f) if f.is_integer() and "." not in s and "e" not in s.lower() else f
    m = _ISO_DATETIME.match(s)
    if m:
        y, mo, d, h, mi, sec = (int(x or 0) for x in m.groups())
        return dt.datetime(y, mo, d, h, mi, sec)
    m = _ISO_DATE.match(s)
    if m:
        return dt.datetime(*map(int, m.groups()))
    m = _YEAR_MONTH.match(s)
    if m and 1 <= int(m.group(2)) <= 12:
        return dt.datetime(int(m.group(1)), int(m.group(2)), 1)
    m = _MONTH_DAY.match(s)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        try:
            return dt.datetime(year, a, b)       # "1-30": 30 January
        except ValueError:
            pass
    return s


def _cells(ws, action):
    r0, c0 = action["start_row"] + 1, action["start_column"] + 1
    for i in range(action["row_count"]):
        for j in range(action["column_count"]):
            yield i, j, ws.cell(row=r0 + i, column=c0 + j)


def apply_actions(wb, actions: Iterable[dict]) -> list[dict]:
    """Apply remote-engine actions to an openpyxl workbook; returns the alerts shown."""
    from openpyxl.worksheet.table import Table as XLTable, TableStyleInfo
    alerts = []
    for action in actions:
        func = action["func"]
        ws = wb.worksheets[action["sheet_position"]] if action.get("sheet_position") is not None else None
        if func == "setValues":
            values = action["values"]
            for i, j, cell in _cells(ws, action):
                v = values[i][j]
                text = isinstance(v, str) and v.startswith("'")
                if isinstance(v, str):
                    v = None if v == "" else excel_input(v)
                cell.value = v
                if text or (isinstance(v, str) and not v.startswith("=")):
                    cell.data_type = "s"          # text; a string starting "=" otherwise stays a formula
                if isinstance(v, (dt.datetime, dt.date)) and cell.number_format == "General":
                    cell.number_format = "yyyy-mm-dd"     # Excel formats a typed date as a date
        elif func == "rangeClearContents":
            for _i, _j, cell in _cells(ws, action):
                cell.value = None
        elif func == "setNumberFormat":
            fmt = action["args"][0]
            for _i, _j, cell in _cells(ws, action):
                cell.number_format = fmt
        elif func == "resizeTable":
            index, address = action["args"]
            name = list(ws.tables)[int(index)]
            t = ws.tables[name]
            ref = address.split("!")[-1].replace("$", "")
            t.ref = ref
            if t.autoFilter is not None:
                t.autoFilter.ref = ref
        elif func == "addSheet":
            position, name = action["args"][:2]
            wb.create_sheet(title=name, index=int(position))
        elif func == "addTable":
            address, _has_headers, style, name = action["args"]
            new = XLTable(displayName=name, ref=address.replace("$", ""))
            new.tableStyleInfo = TableStyleInfo(name=style or "TableStyleLight9", showRowStripes=True)
            ws.add_table(new)
        elif func == "alert":
            prompt, title, buttons, mode, callback = action["args"]
            alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        else:
            raise UnknownActionError(f"action {func!r} is not known to apply_actions: {action}")
    return alerts


def apply_to_payload(payload: dict, actions: Iterable[dict], *, dates: str = "iso") -> dict:
    """The payload the client sends for the next click once Excel applied ``actions``: cell values as Excel
    stores what was written (:func:`excel_input`) and sends it back, tables resized.  For timing a click
    that follows another on a book too big to go through a file in between; formats are not kept."""
    import copy
    out = copy.deepcopy(payload)
    for action in actions:
        func = action["func"]
        sheet = out["sheets"][action["sheet_position"]] if action.get("sheet_position") is not None else None
        if func in ("setValues", "rangeClearContents"):
            r0, c0 = action["start_row"], action["start_column"]
            rows, cols = action["row_count"], action["column_count"]
            values = sheet["values"]
            width = max(len(values[0]) if values else 0, c0 + cols)
            values.extend([] for _ in range(r0 + rows - len(values)))
            for row in values:
                row.extend([""] * (width - len(row)))
            for i in range(rows):
                for j in range(cols):
                    v = action["values"][i][j] if func == "setValues" else ""
                    if isinstance(v, str):
                        v = None if v == "" else excel_input(v)
                    values[r0 + i][c0 + j] = _cell_payload(v, dates)
        elif func == "resizeTable":
            index, address = action["args"]
            a, b = address.split("!")[-1].replace("$", "").split(":")
            col_a, row_a = re.match(r"([A-Z]+)(\d+)", a).groups()
            col_b = re.match(r"[A-Z]+", b).group()
            table = sheet["tables"][int(index)]
            table.update(range_address=f"{a}:{b}", header_row_range_address=f"{a}:{col_b}{row_a}",
                         data_body_range_address=f"{col_a}{int(row_a) + 1}:{b}")
        elif func not in ("setNumberFormat", "alert"):
            raise UnknownActionError(f"action {func!r} is not known to apply_to_payload: {action}")
    return out


def apply_to_file(path: str | Path, actions: list[dict]) -> list[dict]:
    """Apply actions to the workbook file at ``path`` (saved atomically); returns the alerts."""
    from openpyxl import load_workbook
    path = Path(path)
    keep_vba = path.suffix.lower() in (".xlsm", ".xlam")
    wb = load_workbook(path, keep_vba=keep_vba)
    alerts = apply_actions(wb, actions)
    if any(a["func"] != "alert" for a in actions):
        from ..io.fileadapter import save_atomic
        save_atomic(wb, path, backup=False)
    return alerts
