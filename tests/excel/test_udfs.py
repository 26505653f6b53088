"""Worksheet functions, called directly and through xlwings' custom-function runtime.

The figures must be the reports' figures for the same as-of date: aging
totals = Aging tab totals, balance = sum of open items, DSO = Summary tab.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from decimal import Decimal

import pytest

from ardesk.excel import udfs
from ardesk.io.fileadapter import FileWorkbook

from .xlremote_helpers import file_run, inbox_files

AS_OF = dt.date(2026, 10, 31)
EXCEL_FLOWS = [(-10000, dt.date(2008, 1, 1)), (2750, dt.date(2008, 3, 1)), (4250, dt.date(2008, 10, 30)),
               (3250, dt.date(2009, 2, 15)), (2750, dt.date(2009, 4, 1))]


@pytest.fixture(scope="module")
def reported(demo_dir, tmp_path_factory):
    """The demo workbook after Reports, and its Invoices and Allocations as Excel passes them to a UDF."""
    from ardesk.excel.payload import book_payload
    path = tmp_path_factory.mktemp("udf") / "billing.xlsx"
    shutil.copy(demo_dir / "billing.xlsx", path)
    assert not file_run(path, "month-end", bank_files=inbox_files(demo_dir)).problems
    payload = book_payload(path, dates="serial")          # Office.js passes date cells as serial numbers
    ranges = {}
    for sheet in payload["sheets"]:
        for t in sheet["tables"]:
            a, b = t["range_address"].split(":")
            r0, r1 = int(a[1:]), int("".join(c for c in b if c.isdigit()))
            width = len(sheet["values"][r0 - 1])
            ncol = ord(b[0]) - 64 if b[1].isdigit() else width
            ranges[t["name"]] = [[None if v == "" else v for v in row[:ncol]] for row in sheet["values"][r0 - 1:r1]]
    return path, ranges


def call(name, *args):
    """A custom-function call as xlwings Lite/Server make it (scalars arrive as 1x1 arrays)."""
    import xlwings as xw
    from xlwings.server import custom_functions_call
    data = {"func_name": name, "version": xw.__version__, "client": "Office.js", "runtime": "1.4",
            "culture_info_name": "en-US", "date_format": "yyyy-mm-dd",
            "args": [a if isinstance(a, list) else [[a]] for a in args]}
    return asyncio.run(custom_functions_call(data, udfs))


def serial(d: dt.date) -> float:
    return float((d - dt.date(1899, 12, 30)).days)


def scalar(v):
    return v[0][0] if isinstance(v, list) else v


def test_registered_for_the_remote_runtime():
    from xlwings.server import custom_functions_meta
    meta = custom_functions_meta(udfs)
    names = {f["name"] for f in meta["functions"]} if isinstance(meta, dict) else {f["name"] for f in meta}
    assert {"ARDESK_BALANCE", "ARDESK_OPEN_ITEMS", "ARDESK_AGING", "ARDESK_DSO", "ARDESK_INSTALLMENTS",
            "ARDESK_XIRR", "ARDESK_XNPV", "ARDESK_CUSTOMER_XIRR"} <= names


def test_xirr_xnpv_match_excel_documentation():
    values = [[v] for v, _ in EXCEL_FLOWS]
    dates = [[d] for _, d in EXCEL_FLOWS]
    assert udfs.ardesk_xirr(values, dates) == pytest.approx(0.373362535, abs=5e-9)
    assert udfs.ardesk_xnpv(0.09, values, dates) == pytest.approx(2086.65, abs=0.005)
    via = scalar(call("ardesk_xirr", values, [[serial(d)] for _, d in EXCEL_FLOWS]))
    assert via == pytest.approx(0.373362535, abs=5e-9)
    assert scalar(call("ardesk_xnpv", 0.09, values, [[serial(d)] for _, d in EXCEL_FLOWS])) == \
        pytest.approx(2086.65, abs=0.005)


def test_aging_totals_equal_the_aging_tab(reported):
    path, r = reported
    tab = FileWorkbook(path).read_tables(["tblAging"])["tblAging"]
    totals = {row[2]: row[3:] for row in tab.rows if row[0] == "TOTAL"}
    assert totals
    for got in (udfs.ardesk_aging(AS_OF, r["tblInvoices"], r["tblAllocations"]),
                call("ardesk_aging", serial(AS_OF), r["tblInvoices"], r["tblAllocations"])):
        assert got[0] == ["CustomerID", "Currency"] + list(tab.header[3:])
        mine = {row[1]: row[2:] for row in got[1:] if row[0] == "TOTAL"}
        assert mine.keys() == totals.keys()
        for cur in totals:
            assert [Decimal(str(v)) for v in mine[cur]] == [Decimal(str(v)) for v in totals[cur]]


def test_balance_equals_open_items_and_aging_row(reported):
    path, r = reported
    tab = FileWorkbook(path).read_tables(["tblAging"])["tblAging"]
    row = next(x for x in tab.rows if x[0] not in ("TOTAL", None))
    cid, total = row[0], row[tab.header.index("Total")]
    bal = udfs.ardesk_balance(cid, AS_OF, r["tblInvoices"], r["tblAllocations"])
    items = udfs.ardesk_open_items(cid, AS_OF, r["tblInvoices"], r["tblAllocations"])
    assert items[0][:2] == ["InvoiceNo", "Kind"] and len(items) > 1
    assert round(sum(i[6] for i in items[1:]), 2) == pytest.approx(bal) == pytest.approx(float(total))
    assert scalar(call("ardesk_balance", cid, serial(AS_OF), r["tblInvoices"], r["tblAllocations"])) == \
        pytest.approx(bal)
    one = call("ardesk_aging", serial(AS_OF), r["tblInvoices"], r["tblAllocations"], cid)
    assert len(one) == 2 and one[1][0] == cid and one[1][one[0].index("Total")] == pytest.approx(float(total))


def test_dso_equals_the_summary_tab(reported):
    path, r = reported
    tab = FileWorkbook(path).read_tables(["tblSummary"])["tblSummary"]
    want = {(row[1], row[2]): row[3] for row in tab.rows if row[0] == "Metrics"}
    for cur in ("EUR", "USD"):
        std = udfs.ardesk_dso(AS_OF, r["tblInvoices"], r["tblAllocations"], "standard", cur)
        cb = scalar(call("ardesk_dso", serial(AS_OF), r["tblInvoices"], r["tblAllocations"], "count-back", cur))
        assert Decimal(str(std)) == Decimal(str(want[("DSO (standard)", cur)]))
        assert Decimal(str(cb)) == Decimal(str(want[("DSO (count-back)", cur)]))


def test_installment_plan():
    # 12 % effective a year on actual days from one month before the first due date (2026-10-30):
    # 1,000.00 x (1.12^(31/365) - 1) = 9.67 for the first 31 days; Excel's PMT(1%, 12, -1000) would be 88.85
    plan = udfs.ardesk_installments(1000, 12, 0.12, dt.date(2026, 11, 30))
    assert plan[0] == ["No", "DueDate", "Payment", "Interest", "Principal", "Remaining"]
    assert len(plan) == 13 and plan[1][2] == 88.56 and plan[1][3] == 9.67
    assert plan[-1][5] == 0 and round(sum(p[4] for p in plan[1:]), 2) == 1000
    assert plan[2][1] == dt.date(2026, 12, 30)
    flat = udfs.ardesk_installments(100, 3, 0)
    assert [p[2] for p in flat[1:]] == [33.33, 33.33, 33.34]
    via = call("ardesk_installments", 1000, 12, 0.12, serial(dt.date(2026, 11, 30)))
    assert len(via) == 13 and via[1][2] == 88.56
    # the plan's own date: 29 days to the first instalment
    dated = call("ardesk_installments", 1000, 12, 0.12, serial(dt.date(2026, 11, 30)), 1, None,
                 serial(dt.date(2026, 11, 1)))
    assert dated[1][2:4] == [88.5, 9.04]


def test_customer_flows_and_xirr(reported):
    _path, r = reported
    inv = r["tblInvoices"]
    cid = inv[1][inv[0].index("CustomerID")]
    flows = udfs.ardesk_customer_flows(cid, AS_OF, inv, r["tblAllocations"])
    assert flows[0] == ["Date", "Amount", "What"] and any(f[1] < 0 for f in flows[1:])
    rate = udfs.ardesk_customer_xirr(cid, AS_OF, inv, r["tblAllocations"])
    assert isinstance(rate, float)
    npv0 = udfs.ardesk_customer_xnpv(0.0, cid, AS_OF, inv, r["tblAllocations"])
    assert npv0 == pytest.approx(sum(f[1] for f in flows[1:]))


def test_bad_arguments_give_a_clear_text(reported):
    _path, r = reported
    assert udfs.ardesk_balance("C9999", AS_OF, r["tblInvoices"], r["tblAllocations"]) == \
        "#ARDESK: customer C9999 not found in the invoices"
    assert udfs.ardesk_balance("C0001", "soon", r["tblInvoices"], r["tblAllocations"]).startswith(
        "#ARDESK: as-of date 'soon' is not a date")
    wrong = udfs.ardesk_aging(AS_OF, r["tblAllocations"], r["tblAllocations"])
    assert wrong.startswith("#ARDESK: ") and "lacks column" in wrong
    assert udfs.ardesk_dso(AS_OF, r["tblInvoices"], r["tblAllocations"]).startswith("#ARDESK: the invoices has")
    assert udfs.ardesk_installments(1000, 0, 0.1).startswith("#ARDESK: need a positive balance")
    # a bucket cell typed as a number arrives as 30.0; a decimal is refused, not read as 15
    assert udfs.ardesk_aging(AS_OF, r["tblInvoices"], r["tblAllocations"], None, 30.0)[0][-5:] == \
        ["1-30", "Over 30", "Total", "AvgDaysToPay", "AvgDaysLate"]
    assert udfs.ardesk_aging(AS_OF, r["tblInvoices"], r["tblAllocations"], None, "1.05").startswith(
        "#ARDESK: aging buckets '1.05'")
    via = scalar(call("ardesk_balance", "C9999", serial(AS_OF), r["tblInvoices"], r["tblAllocations"]))
    assert via == "#ARDESK: customer C9999 not found in the invoices"
