"""The ledger readers convert whole columns; they must give what reading row by row gives.

The oracle below is the row path the readers had before: every cell through its converter,
every money cell through ``to_minor`` once its row's currency is known.  Random tables full of
the cells a clerk or another program leaves in a ledger (text in a money column, too many
decimals, blanks, Decimals, huge numbers, NaN...) must give equal records and equal problems,
in the same order.
"""
from __future__ import annotations

import math
from datetime import date, datetime, time
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from ardesk import schema
from ardesk.core import read as rd
from ardesk.core.ledger.journal_lines import Journal
from ardesk.core.model import Allocation, Invoice, InvoiceLine, JournalLine, Payment
from ardesk.core.money import MoneyError, exact_minor, exponent, to_minor
from ardesk.io.port import Table


# -- the oracle: one row at a time, one cell at a time ------------------------------------------
def _rows(r: rd.RowReader, columns):
    """(row number, values) of the rows without a bad cell, reporting the bad ones first."""
    if not r.ok:
        return []
    t = r.table
    out, errors = [], []
    for n, raw in enumerate(t.rows):
        if t.is_blank(raw):
            continue
        values, bad = [], False
        for name, conv, required in columns:
            ix = t.header.index(name) if name in t.header else None
            v = raw[ix] if ix is not None and ix < len(raw) else None
            if v is None or (isinstance(v, str) and not v.strip()):
                values.append("" if conv is None else None)
                if required:
                    errors.append((t.first_row + n, name, None, "is required"))
                    bad = True
            elif conv is None:
                values.append(rd.as_text(v))
            else:
                try:
                    values.append(conv(v))
                except (rd.CellError, MoneyError) as exc:
                    errors.append((t.first_row + n, name, v,
                                   f"{v!r} {exc}" if isinstance(exc, rd.CellError) else str(exc)))
                    bad = True
        if not bad:
            out.append((t.first_row + n, values))
    for rownum, name, v, message in errors:
        r.error(rownum, name, v, message)
    return out


def _money(values, money_ix, cur_ix, r, rownum, names):
    cur = (values[cur_ix] or "EUR").upper() if cur_ix is not None else "EUR"
    out = list(values)
    for k, name in zip(money_ix, names):
        if values[k] is None:
            out[k] = 0
            continue
        try:
            out[k] = to_minor(values[k], exponent(cur))
        except MoneyError as exc:
            r.error(rownum, name, values[k], str(exc))
            return None
    if cur_ix is not None:
        out[cur_ix] = cur
    return out


INVOICE_COLS = [("InvoiceNo", None, True), ("Kind", None, True), ("CustomerID", None, True),
                ("IssueDate", rd.as_date, True), ("DueDate", rd.as_date, True), ("Period", None, False),
                ("Currency", None, True), ("Net", rd.RAW, True), ("Tax", rd.RAW, True), ("Total", rd.RAW, True),
                ("CreditorRef", None, False), ("RelatesTo", None, False)]
LINE_COLS = [("InvoiceNo", None, True), ("LineNo", rd.as_int, True), ("ChargeID", None, False),
             ("Item", None, False), ("Description", None, False), ("Quantity", rd.as_decimal, False),
             ("UnitPrice", rd.as_decimal, False), ("ServiceFrom", rd.as_date, False),
             ("ServiceTo", rd.as_date, False), ("Factor", rd.as_decimal, False), ("Net", rd.RAW, True),
             ("Currency", None, False), ("BillingKey", None, False)]
PAYMENT_COLS = [("PaymentID", None, True), ("Date", rd.as_date, True), ("Amount", rd.RAW, True),
                ("Currency", None, True), ("Fingerprint", None, True), ("Source", None, False),
                ("Method", None, False), ("Payer", None, False), ("CustomerID", None, False),
                ("Reference", None, False), ("CheckNo", None, False), ("PayerAccount", None, False)]
ALLOCATION_COLS = [("AllocationID", None, True), ("Date", rd.as_date, True), ("Kind", None, True),
                   ("Amount", rd.RAW, True), ("Currency", None, True), ("PaymentID", None, False),
                   ("InvoiceNo", None, False), ("CustomerID", None, False), ("Rule", None, False),
                   ("Reason", None, False)]
JOURNAL_COLS = [("EntryID", None, True), ("LineNo", rd.as_int, True), ("Date", rd.as_date, True),
                ("Account", None, True), ("Debit", rd.RAW, False), ("Credit", rd.RAW, False),
                ("Currency", None, True), ("CustomerID", None, False), ("DocType", None, False),
                ("DocNo", None, False), ("Memo", None, False), ("AccountName", None, False)]


def oracle_invoice_lines(t, problems):
    r = rd.RowReader(t, schema.INVOICE_LINES, problems)
    out = []
    for rownum, v in _rows(r, LINE_COLS):
        v = _money(v, (10,), 11, r, rownum, ("Net",))
        if v is not None:
            out.append(InvoiceLine(*v))
    return out


def oracle_invoices(t, lines=None):
    problems = []
    r = rd.RowReader(t, schema.INVOICES, problems)
    by_no = {}
    if lines is not None:
        for ln in oracle_invoice_lines(lines, problems):
            by_no.setdefault(ln.invoice_no, []).append(ln)
    out, seen = [], set()
    for rownum, v in _rows(r, INVOICE_COLS):
        v = _money(v, (7, 8, 9), 6, r, rownum, ("Net", "Tax", "Total"))
        if v is None:
            continue
        no, kind, cid, issued, due, period, cur, net, tax, total, rf, rel = v
        if no in seen:
            r.error(rownum, "InvoiceNo", no, f"invoice number {no} appears twice in the ledger")
            continue
        seen.add(no)
        if net + tax != total:
            r.error(rownum, "Total", total, f"net + tax ({net + tax}) does not equal total ({total}) in minor units")
        out.append(Invoice(no, cid, issued, due, cur, net, tax, total, kind, period, rf, rel,
                           tuple(by_no.get(no, ()))))
    return out, problems


def _oracle_records(t, tdef, cols, money_ix, cur_ix, names, record):
    """Records of a ledger with money columns and no checks of its own, row by row."""
    problems = []
    r = rd.RowReader(t, tdef, problems)
    out = []
    for rownum, v in _rows(r, cols):
        v = _money(v, money_ix, cur_ix, r, rownum, names)
        if v is not None:
            out.append(record(*v))
    return out, problems


def oracle_payments(t):
    return _oracle_records(t, schema.PAYMENTS, PAYMENT_COLS, (2,), 3, ("Amount",), Payment)


def oracle_allocations(t):
    problems = []
    r = rd.RowReader(t, schema.ALLOCATIONS, problems)
    out = []
    for rownum, v in _rows(r, ALLOCATION_COLS):
        v = _money(v, (3,), 4, r, rownum, ("Amount",))
        if v is None:
            continue
        if v[2] not in schema.ALLOCATION_KINDS:
            r.error(rownum, "Kind", v[2], f"allocation kind {v[2]!r} is not one of {', '.join(schema.ALLOCATION_KINDS)}")
            continue
        out.append(Allocation(*v))
    return out, problems


def oracle_journal(t):
    return _oracle_records(t, schema.JOURNAL, JOURNAL_COLS, (4, 5), 6, ("Debit", "Credit"), JournalLine)


# -- random cells --------------------------------------------------------------------------------
blank = st.sampled_from([None, "", "  ", "\t"])
odd = st.one_of(blank, st.booleans(), st.sampled_from(["n/a", "12.50", " 7 ", "2026-01-05", "1,234.00"]),
                st.sampled_from([time(10, 30), datetime(2026, 3, 1, 9, 0), date(2026, 2, 1)]),
                st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
                st.decimals(allow_nan=True, allow_infinity=True, places=None))


def mostly(good):
    """Usually a good cell, now and then any odd one."""
    return st.integers(0, 19).flatmap(lambda k: odd if k == 0 else good)


exact = st.tuples(st.integers(-10**9, 10**9), st.sampled_from([0, 2, 3])).map(lambda me: me[0] / 10 ** me[1])
money = st.integers(0, 3).flatmap(lambda k: exact if k else st.one_of(
    st.floats(-1e7, 1e7),                                       # any number of decimals
    st.sampled_from([0.0, -0.0, 1.005, 2.675, 0.001, 0.0004, 1e-9, 5e-324, 2.0 ** 49 / 100,
                     2.0 ** 49 / 1000 + 0.5, 2.0 ** 50 / 100, 9.99e14, 1e15, 1.5e15, 2.0 ** 53, 1e300]),
    st.integers(-10**6, 10**6), st.decimals(-10**6, 10**6, places=4), odd))
text = st.integers(0, 19).flatmap(lambda k: st.sampled_from(["A", "B-1", " padded ", "x", "B"]) if k else st.one_of(
    st.integers(1, 99).map(float), blank, st.sampled_from([1234, Decimal("7"), date(2026, 1, 2), True])))
day = mostly(st.one_of(st.dates(date(2020, 1, 1), date(2030, 12, 31)),
                       st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1))))
currency = st.sampled_from(["EUR"] * 6 + ["eur", "JPY", "JPY", "BHD", " BHD ", "KWD", "USD", "XXX", "", None])
whole = mostly(st.one_of(st.integers(1, 9).map(float), st.integers(1, 9), st.floats(0, 20)))


@st.composite
def tables(draw, columns, key=None):
    """A table of random rows; some rows blank, some short; ``key`` drawn from a small pool (duplicates);
    now and then a column missing altogether."""
    if draw(st.integers(0, 30)) == 0:
        gone = draw(st.integers(0, len(columns) - 1))
        columns = columns[:gone] + columns[gone + 1:]
    n = draw(st.integers(0, 14))
    rows = []
    for _ in range(n):
        kind = draw(st.sampled_from(["row"] * 16 + ["blank", "short"]))
        if kind == "blank":
            rows.append(tuple(draw(blank) for _c in columns))
            continue
        row = [draw(key) if key is not None and name == columns[0][0] else draw(cell) for name, cell in columns]
        if kind == "short":
            row = row[:draw(st.integers(1, len(row) - 1))]
        rows.append(tuple(row))
    return Table("tblLedger", "Ledger", tuple(c for c, _ in columns), rows, first_row=2)


def _consistent(row, net_ix, tax_ix, total_ix):
    """Most invoices add up: total = net + tax, as floats of cents."""
    net, tax = row[net_ix], row[tax_ix]
    if type(net) is float and type(tax) is float and math.isfinite(net) and math.isfinite(tax):
        return row[:total_ix] + (round(net + tax, 2),) + row[total_ix + 1:]
    return row


ids = st.sampled_from(["INV-1", "INV-2", "INV-3", " INV-1", "INV-4", "INV-5", "INV-6"])
INVOICES = [("InvoiceNo", text), ("Kind", text), ("CustomerID", text), ("IssueDate", day), ("DueDate", day),
            ("Period", text), ("Currency", currency), ("Net", money), ("Tax", money),
            ("Total", money), ("CreditorRef", text), ("RelatesTo", text)]
PAYMENTS = [("PaymentID", text), ("Date", day), ("Source", text), ("Method", text), ("Payer", text),
            ("CustomerID", text), ("Reference", text), ("CheckNo", text), ("Amount", money),
            ("Currency", currency), ("Fingerprint", text), ("PayerAccount", text)]
ALLOCATIONS = [("AllocationID", text), ("Date", day), ("PaymentID", text), ("InvoiceNo", text),
               ("CustomerID", text), ("Kind", st.sampled_from(schema.ALLOCATION_KINDS * 3 + ("Applied", "paid", ""))),
               ("Amount", money), ("Currency", currency), ("Rule", text), ("Reason", text)]
JOURNAL = [("EntryID", text), ("LineNo", whole), ("Date", day), ("Account", text), ("AccountName", text),
           ("Debit", st.one_of(money, st.just(""))), ("Credit", st.one_of(money, st.just(""))),
           ("Currency", currency), ("CustomerID", text), ("DocType", text), ("DocNo", text), ("Memo", text)]
LINES = [("InvoiceNo", ids), ("LineNo", whole), ("ChargeID", text), ("Item", text), ("Description", text),
         ("Quantity", mostly(st.decimals(0, 10, places=2))), ("UnitPrice", mostly(st.floats(0, 99))),
         ("ServiceFrom", day), ("ServiceTo", day), ("Factor", mostly(st.just(1.0))), ("Net", money),
         ("Currency", currency), ("BillingKey", text)]

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.data_too_large])


@FAST
@given(tables(INVOICES, ids), st.booleans(), st.data())
def test_invoices_as_read_row_by_row(t, sums, data):
    if sums and len(t.header) == 12:
        t.rows = [_consistent(r, 7, 8, 9) if len(r) == 12 else r for r in t.rows]
    lines = data.draw(tables(LINES)) if data.draw(st.booleans()) else None
    assert rd.read_invoices(t, lines) == oracle_invoices(t, lines)


@FAST
@given(tables(PAYMENTS))
def test_payments_as_read_row_by_row(t):
    assert rd.read_payments(t) == oracle_payments(t)


@FAST
@given(tables(ALLOCATIONS))
def test_allocations_as_read_row_by_row(t):
    assert rd.read_allocations(t) == oracle_allocations(t)


@FAST
@given(tables(JOURNAL))
def test_journal_as_read_row_by_row(t):
    journal, problems = rd.read_journal(t)
    lines, want = oracle_journal(t)
    assert (list(journal), problems) == (lines, want)
    assert journal.totals("A", ("B", "x"), None) == Journal(lines).totals("A", ("B", "x"), None)


@settings(max_examples=400, deadline=None)
@given(st.lists(money, min_size=1, max_size=30), st.sampled_from([0, 2, 3]))
def test_exact_minor_is_to_minor_where_it_says_so(values, e):
    """Every cell exact_minor vouches for is what to_minor gives; every float with at most e decimals is vouched for."""
    minor, ok = exact_minor(values, e)
    for v, m, good in zip(values, minor.tolist(), ok.tolist()):
        if good:
            assert to_minor(v, e) == m, v
        if type(v) is float and math.isfinite(v) and abs(v) < 2 ** 40 / 10 ** e and float(round(v * 10 ** e)) / 10 ** e == v:
            assert good, v


def test_exact_minor_on_the_cells_that_need_to_minor():
    """1.005 EUR and 0.001 EUR are not exact cents, 2**53 cents is too big to be sure of: each goes to to_minor."""
    values = [12.34, 1.005, 0.001, 2.0 ** 53 / 100, float("nan"), "12.34", Decimal("1.50"), 7, None, -0.0]
    minor, ok = exact_minor(values, 2)
    assert ok.tolist() == [True, False, False, False, False, False, False, False, False, True]
    assert minor.tolist()[0] == 1234


def test_problems_name_the_cell_in_row_order():
    """A bad money cell, a duplicate number and a total that does not add up, each where a clerk finds it."""
    t = Table("tblInvoices", "Invoices", tuple(c for c, _ in INVOICES), [
        ("INV-1", "invoice", "C1", date(2026, 1, 1), date(2026, 1, 31), "2026-01", "EUR", 100.0, 21.0, 121.0, "", ""),
        ("INV-2", "invoice", "C1", date(2026, 1, 1), date(2026, 1, 31), "2026-01", "JPY", 100.5, 0.0, 100.5, "", ""),
        ("INV-1", "invoice", "C2", date(2026, 1, 1), date(2026, 1, 31), "2026-01", "EUR", 10.0, 0.0, 10.0, "", ""),
        ("INV-3", "invoice", "C2", date(2026, 1, 1), "soon", "2026-01", "BHD", 1.0, 0.2, 1.2, "", ""),
        ("INV-4", "invoice", "C2", date(2026, 1, 1), date(2026, 1, 31), "2026-01", "bhd", 1.001, 0.2, 1.2, "", ""),
    ])
    invoices, problems = rd.read_invoices(t, None)
    assert [(i.number, i.currency, i.net, i.tax, i.total) for i in invoices] == [
        ("INV-1", "EUR", 10000, 2100, 12100), ("INV-2", "JPY", 101, 0, 101), ("INV-4", "BHD", 1001, 200, 1200)]
    assert [(p.row, p.column, p.value) for p in problems] == [
        (5, "DueDate (E)", "soon"), (4, "InvoiceNo (A)", "INV-1"), (6, "Total (J)", 1200)]
    assert "does not equal total (1200)" in problems[2].message and "1201" in problems[2].message
