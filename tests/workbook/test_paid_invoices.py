"""The Paid invoices tab and the days-to-pay averages on Aging, against a computation of their own.

The demo workbook (60 customers, three months of billing and receipts) is the data set; the check
reads its Invoices and Allocations with python-calamine and works out every paid date here.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal as D

from ardesk.cli import main

REDUCING = {"applied", "credit applied", "write-off", "suspense cleared"}


def _records(path, name):
    from python_calamine import CalamineWorkbook
    t = CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(name)
    return [dict(zip(t.columns, r)) for r in t.to_python() if r[0] not in ("", None)]


def _day(v):
    return v.date() if hasattr(v, "date") and callable(v.date) else v


def test_every_paid_invoice_and_the_averages_equal_an_own_computation(demo, capsys):
    as_of = date(2026, 10, 31)
    assert main(["report", str(demo), "--as-of", as_of.isoformat(), "--json"]) == 0
    capsys.readouterr()
    invoices = {r["InvoiceNo"]: r for r in _records(demo, "tblInvoices")}
    allocs = sorted((a for a in _records(demo, "tblAllocations") if a["Kind"] in REDUCING and a["InvoiceNo"]),
                    key=lambda a: _day(a["Date"]))
    applied: dict[str, D] = defaultdict(D)
    expected = {}
    for a in allocs:
        inv = invoices.get(a["InvoiceNo"])
        if inv is None or inv["Kind"] != "invoice" or a["InvoiceNo"] in expected or _day(a["Date"]) > as_of:
            continue
        applied[a["InvoiceNo"]] += D(str(a["Amount"]))
        if applied[a["InvoiceNo"]] >= D(str(inv["Total"])):
            paid = _day(a["Date"])
            expected[a["InvoiceNo"]] = (inv["CustomerID"], paid, (paid - _day(inv["IssueDate"])).days,
                                        max((paid - _day(inv["DueDate"])).days, 0))
    tab = _records(demo, "tblPaidInvoices")
    got = {r["InvoiceNo"]: (r["CustomerID"], _day(r["PaidDate"]), int(r["DaysToPay"]), int(r["DaysLate"]))
           for r in tab}
    assert len(expected) > 100 and any(v[3] > 0 for v in expected.values())
    assert got == expected

    def mean(xs):
        return (D(sum(xs)) / len(xs)).quantize(D("0.1"), rounding=ROUND_HALF_UP)
    per_customer = defaultdict(list)
    for cid, _paid, days, late in expected.values():
        per_customer[cid].append((days, late))
    checked = 0
    for row in _records(demo, "tblAging"):
        if row["CustomerID"] == "TOTAL":
            continue
        if row["CustomerID"] in per_customer:
            pairs = per_customer[row["CustomerID"]]
            assert D(str(row["AvgDaysToPay"])) == mean([p[0] for p in pairs])
            assert D(str(row["AvgDaysLate"])) == mean([p[1] for p in pairs])
            checked += 1
        else:
            assert row["AvgDaysToPay"] in ("", None)
    assert checked > 10
