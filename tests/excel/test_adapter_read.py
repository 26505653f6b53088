"""The xlwings adapter reads a workbook as the file adapter does, whatever the client sends for dates."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.rows import canonical

from .xlremote_helpers import TABLES


@pytest.mark.parametrize("dates", ["iso", "serial"])
def test_reads_like_the_file_adapter(demo_dir, dates):
    import xlwings as xw
    from ardesk.excel.adapter import XlwingsWorkbook
    from ardesk.excel.payload import book_payload
    path = demo_dir / "billing.xlsx"
    remote = XlwingsWorkbook(xw.Book(json=book_payload(path, dates=dates)))
    local = FileWorkbook(path)
    got, want = remote.read_tables(TABLES), local.read_tables(TABLES)
    for name in TABLES:
        g, w = got[name], want[name]
        assert (g.header, g.first_row, g.first_col, g.sheet) == (w.header, w.first_row, w.first_col, w.sheet)
        assert [tuple(map(canonical, r)) for r in g.rows] == [tuple(map(canonical, r)) for r in w.rows], name
    issue = got["tblInvoices"].rows[0][got["tblInvoices"].index("IssueDate")]
    assert type(issue) is dt.date                          # a date, not an ISO string or a serial number
    audit_at = got["tblAudit"].rows[0][0]
    assert isinstance(audit_at, dt.datetime) and audit_at.hour == 9
    assert remote.read_settings() == {k: v for k, v in local.read_settings().items()}
    assert remote.read_settings()["Period"] == "2026-10"


def test_cell_values_out():
    from decimal import Decimal
    from ardesk.excel.adapter import cell_out, from_serial
    assert cell_out(Decimal("1250.10")) == 1250.1 and type(cell_out(Decimal("1"))) is float
    assert cell_out("=SUM(A1)") == "'=SUM(A1)" and cell_out("+32 2 555") == "'+32 2 555"
    assert cell_out("-5") == "'-5" and cell_out("@user") == "'@user" and cell_out("2026-10") == "'2026-10"
    assert cell_out("") is None and cell_out(None) is None and cell_out(True) is True
    assert cell_out(dt.date(2026, 10, 31)) == dt.date(2026, 10, 31)
    assert from_serial(46326) == dt.date(2026, 10, 31)
    assert from_serial(46326.375) == dt.datetime(2026, 10, 31, 9, 0)


def test_button_module_imports_lean():
    """A click's import pulls in none of the heavy libraries (bench/bench_excel.py times it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLWINGS_LICENSE_KEY", "XLWINGS_ON_SERVER")}
    code = ("import sys; import ardesk.excel.buttons; "
            "print(sorted(m for m in ('xlwings', 'pandas', 'numpy', 'openpyxl', 'python_calamine') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_loading_the_scripts_on_a_remote_runtime_imports_what_a_click_runs():
    """Where xlwings Server or Lite loads the scripts, the app is imported then, not in the first click."""
    from ardesk.excel.buttons import SCRIPTS
    env = {**{k: v for k, v in os.environ.items() if k != "XLWINGS_ON_SERVER"}, "XLWINGS_LICENSE_KEY": "noncommercial"}
    code = ("import sys; import ardesk.excel.buttons as b; "
            "print(len(b.REGISTERED), sorted(m for m in ('ardesk.app', 'ardesk.excel.adapter', 'pandas') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    count, modules = out.strip().split(" ", 1)
    assert int(count) == len(SCRIPTS) and modules == "['ardesk.app', 'ardesk.excel.adapter', 'pandas']"


def test_remote_values_parse_column_by_column_as_cell_by_cell():
    """Each distinct value of a column is converted once; the table reads as the cells do one by one."""
    from ardesk.excel.adapter import _remote_table
    iso = "2026-10-31T00:00:00.000Z"
    raw = [["InvoiceNo", "IssueDate", "CustomerID", "Net"],
           ["INV-1", iso, "", 10.0],
           ["INV-2", 46326, iso, ""],              # a serial in the date column; ISO text elsewhere is a date too
           ["INV-3", True, "C1"],                  # a short row; TRUE in a date column stays TRUE...
           ["INV-4", 1, "2026-10-31T09:30:00.000Z", 1]]      # ...while the serial 1 is a date (1899-12-31 in the 1900 system as xlwings counts it)
    t = _remote_table("tblInvoices", raw, first_row=2, first_col=1)
    d = dt.date(2026, 10, 31)
    assert t.header == ("InvoiceNo", "IssueDate", "CustomerID", "Net")
    assert t.rows == [("INV-1", d, None, 10.0), ("INV-2", d, d, None), ("INV-3", True, "C1", None),
                      ("INV-4", dt.date(1899, 12, 31), dt.datetime(2026, 10, 31, 9, 30), 1)]
    assert type(t.rows[3][3]) is int and type(t.rows[2][1]) is bool
    assert _remote_table("tblInvoices", raw[:1], first_row=2, first_col=1).rows == []


def test_remote_cells_as_raw_value(demo_dir):
    """Blocks read from the sheet's values as sent equal xlwings' own range reading: whole tables, a
    middle block, and blocks partly or wholly outside the used range (None there)."""
    import xlwings as xw
    from ardesk.excel.adapter import XlwingsWorkbook, remote_cells
    from ardesk.excel.payload import book_payload
    book = xw.Book(json=book_payload(demo_dir / "billing.xlsx"))
    checked = 0
    for sheet in book.sheets:
        values = sheet.api["values"]
        h, w = len(values), len(values[0])
        blocks = [(1, 1, h, w), (2, 2, max(h - 1, 2), max(w - 1, 2)), (h, w, h + 3, w + 2), (1, w + 1, 2, w + 3),
                  (h + 1, 1, h + 2, w), (1, 1, 1, 1)]
        blocks += [XlwingsWorkbook._extent(t) for t in sheet.tables]
        for r0, c0, r1, c1 in blocks:
            want = sheet.range((r0, c0), (r1, c1)).raw_value
            want = want if isinstance(want, list) and isinstance(want[0], (list, tuple)) else [[want]]
            got = remote_cells(sheet, r0, c0, r1, c1)
            assert [tuple(r) for r in got] == [tuple(r) for r in want], (sheet.name, r0, c0, r1, c1)
            checked += 1
    assert checked > 100


def _column_cell_by_cell(col, is_date):
    from ardesk.excel.adapter import _remote_value
    return [_remote_value(v, is_date) for v in col]


def _same(a, b) -> bool:
    return len(a) == len(b) and all(type(x) is type(y) and x == y for x, y in zip(a, b))


payload_cells = st.one_of(
    st.none(), st.just(""), st.text(max_size=4), st.sampled_from(["Z", "AZ", "Lopez Z", "2026-10-31T09:30:00.000Z",
                                                                    "2026-10-31T00:00:00.000Z", "x\nZ"]),
    st.integers(-3, 3), st.integers(1, 2958470), st.floats(allow_nan=False), st.booleans())


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from([st.text(max_size=5), st.one_of(st.none(), st.text(max_size=3)), st.integers(),
                        st.floats(allow_nan=False), payload_cells]).flatmap(lambda c: st.lists(c, max_size=8)),
       st.booleans())
def test_a_column_reads_as_its_cells_one_by_one(col, is_date):
    """Each distinct value converted once gives what reading each cell gives, TRUE beside 1 too."""
    from ardesk.excel.adapter import _remote_column
    assert _same(list(_remote_column(tuple(col), is_date)), _column_cell_by_cell(col, is_date))
