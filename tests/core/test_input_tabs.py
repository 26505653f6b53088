"""The input tabs (Customers, Charges, Receipts) are read and checked a column at a time; they must
give what reading them row by row gave.

The oracles below are the readers as they were: every row through the row path of
:mod:`tests.core.test_ledger_columns`, then each check in turn, the date window worked out again for
every receipt.  Random tabs (duplicate IDs, blanks, bad currencies, negative or huge numbers, text
where a number belongs, dates in and out of the window and on its edges) must give equal records and
equal problems, in the same order; so must the demo workbook.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from ardesk import schema
from ardesk.core import read as rd
from ardesk.core.model import Charge, Customer, Problem, Receipt, Settings
from ardesk.core.money import MoneyError, exponent, fmt, is_currency, to_minor
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Table

from .test_ledger_columns import FAST, _rows, blank, currency, day, mostly, odd, text


# -- the oracles: the readers as they were ------------------------------------------------------
def oracle_implausible(settings: Settings, when: date, minor: int, currency: str) -> str:
    lo, hi = rd.date_window(settings)
    if not lo <= when <= hi:
        return (f"the date {when} lies outside {lo}..{hi} ({settings.date_window_days} days around the period "
                f"{settings.period or '(none set)'}, Settings DateWindowDays)")
    if abs(minor) > settings.max_minor(currency):
        e = exponent(currency)
        return (f"the amount {currency} {fmt(minor, e)} is above the largest plausible amount "
                f"{fmt(settings.max_minor(currency), e)} (Settings MaxAmount)")
    return ""


def oracle_customers(t: Table, settings: Settings) -> tuple[dict[str, Customer], list[Problem]]:
    problems: list[Problem] = []
    r = rd.RowReader(t, schema.CUSTOMERS, problems)
    out: dict[str, Customer] = {}
    cols = [("CustomerID", None, True), ("Name", None, True), ("Email", None, False),
            ("Address", None, False), ("PostalCode", None, False), ("Country", None, False),
            ("TermsDays", rd.as_int, True), ("TaxRate", rd.as_decimal, True), ("Currency", None, False),
            ("CreditLimit", rd.RAW, False), ("Status", rd.choice(schema.CUSTOMER_STATUS), False),
            ("BankAccount", None, False), ("City", None, False), ("Locale", None, False),
            ("Delivery", rd.choice(schema.DELIVERY_CHANNELS), False),
            ("EInvoice", rd.choice(schema.EINVOICE_FORMATS), False),
            ("VatID", None, False), ("BuyerReference", None, False), ("PeppolEndpoint", None, False)]
    for rownum, v in _rows(r, cols):
        cid, name, email, addr, pc, country, terms, rate, cur, limit, status, bank = v[:12]
        cur = (cur or settings.base_currency).upper()
        status = status or "active"
        bad = False
        if cid in out:
            r.error(rownum, "CustomerID", cid, f"duplicate customer ID {cid!r} (first on row {out[cid].row})")
            bad = True
        if terms < 0:
            r.error(rownum, "TermsDays", terms, f"payment terms {terms} days cannot be negative")
            bad = True
        if rate < 0 or rate >= 1:
            r.error(rownum, "TaxRate", rate, f"tax rate {rate} is outside 0%..100%: type 20% (0.2), not 20")
            bad = True
        if not is_currency(cur):
            r.error(rownum, "Currency", cur, f"currency {cur!r} is not an ISO 4217 code such as EUR")
            bad = True
        if terms > 3650:
            r.error(rownum, "TermsDays", terms, f"payment terms of {terms} days are more than ten years")
            bad = True
        credit_limit = None
        if limit is not None:
            try:
                credit_limit = to_minor(limit, exponent(cur))
            except MoneyError as exc:
                r.error(rownum, "CreditLimit", limit, str(exc))
                bad = True
        if bad:
            continue
        city, locale, delivery, einvoice, vat_id, buyer_ref, peppol = v[12:]
        out[cid] = Customer(cid, name, terms, rate, cur, status, email, addr, pc, country, credit_limit, bank, rownum,
                            city, locale, delivery or "", einvoice or "", vat_id, buyer_ref, peppol)
    return out, problems


def oracle_charges(t: Table, customers: dict[str, Customer], settings: Settings
                   ) -> tuple[list[Charge], list[Problem]]:
    problems: list[Problem] = []
    r = rd.RowReader(t, schema.CHARGES, problems)
    out: list[Charge] = []
    seen: dict[str, int] = {}
    cols = [("ChargeID", None, True), ("CustomerID", None, True), ("Item", None, True),
            ("Description", None, False), ("Quantity", rd.as_decimal, True), ("UnitPrice", rd.as_decimal, True),
            ("Frequency", rd.choice(schema.FREQUENCIES), True), ("StartDate", rd.as_date, True),
            ("EndDate", rd.as_date, False), ("IssueDate", rd.as_date, False)]
    for rownum, v in _rows(r, cols):
        chid, cid, item, desc, qty, price, freq, start, end, issued = v
        bad = False
        if chid in seen:
            r.error(rownum, "ChargeID", chid, f"duplicate charge ID {chid!r} (first on row {seen[chid]})")
            bad = True
        if cid not in customers:
            r.error(rownum, "CustomerID", cid, f"unknown customer {cid!r}: not on the Customers sheet")
            bad = True
        if qty < 0:
            r.error(rownum, "Quantity", qty, f"quantity {qty} is negative; use a credit note to give money back")
            bad = True
        if price < 0:
            r.error(rownum, "UnitPrice", price, f"unit price {price} is negative; use a credit note instead")
            bad = True
        if qty * price > settings.max_amount:
            r.error(rownum, "Quantity", qty, f"quantity {qty} x unit price {price} = {qty * price} is above the "
                    f"largest plausible amount {settings.max_amount} (Settings MaxAmount)")
            bad = True
        if end is not None and end < start:
            r.error(rownum, "EndDate", end, f"end date {end} is before the start date {start}")
            bad = True
        if issued is not None and freq != "once":
            r.error(rownum, "IssueDate", issued, f"an issue date of its own is for one-off charges; this one is {freq}")
            bad = True
        seen.setdefault(chid, rownum)
        if not bad:
            out.append(Charge(chid, cid, item, qty, price, freq, start, end, desc, rownum, issued))
    return out, problems


def oracle_receipts(t: Table, settings: Settings, customers: dict[str, Customer]
                    ) -> tuple[list[Receipt], list[Problem]]:
    problems: list[Problem] = []
    r = rd.RowReader(t, schema.RECEIPTS, problems)
    out: list[Receipt] = []
    cols = [("Date", rd.as_date, True), ("Method", rd.choice(schema.METHODS), True), ("Payer", None, False),
            ("CustomerID", None, False), ("Reference", None, False), ("CheckNo", None, False),
            ("Amount", rd.RAW, True), ("Currency", None, False), ("PaymentID", None, False)]
    for rownum, v in _rows(r, cols):
        d, method, payer, cid, ref, check, amount, cur, pid = v
        cur = (cur or (customers[cid].currency if cid in customers else settings.base_currency)).upper()
        try:
            minor = to_minor(amount, exponent(cur))
        except MoneyError as exc:
            r.error(rownum, "Amount", amount, str(exc))
            continue
        bad = False
        if minor <= 0:
            r.error(rownum, "Amount", amount, f"a receipt of {amount} must be positive; refunds are credit notes")
            bad = True
        if not is_currency(cur):
            r.error(rownum, "Currency", cur, f"currency {cur!r} is not an ISO 4217 code such as EUR")
            continue
        why = oracle_implausible(settings, d, minor, cur)
        if why:
            r.error(rownum, "Date" if why.startswith("the date") else "Amount",
                    d if why.startswith("the date") else amount, why)
            bad = True
        if cid and cid not in customers:
            r.error(rownum, "CustomerID", cid, f"unknown customer {cid!r}: not on the Customers sheet")
            bad = True
        if not bad:
            out.append(Receipt(d, method, minor, cur, payer, cid, ref, check, rownum, pid))
    return out, problems


def outcome(f, *args) -> str:
    """What a reader gives, or the kind of exception it raises (a Decimal NaN in a cell cannot be compared),
    as its repr: Decimal('1.0') == Decimal('1') and 0.0 == -0.0, yet they are written out differently."""
    try:
        return repr(f(*args))
    except ArithmeticError as exc:
        return repr(type(exc))


# -- random tabs ---------------------------------------------------------------------------------
def tab(name: str, sheet: str, header: list[str], wild, clean, draw) -> Table:
    """A table of rows: either all drawn from ``wild`` cells, or drawn from ``clean`` ones (a row that
    passes every check) with a few wild rows planted among them, so that a table whose only flaw is one
    row is common; now and then a blank row, a short row, the last column missing."""
    n = draw(st.integers(0, 12))
    if draw(st.booleans()):
        rows = [draw(wild(i)) for i in range(n)]
    else:
        rows = [draw(clean(i)) for i in range(n)]
        for _ in range(draw(st.integers(0, 2)) if n else 0):
            rows[draw(st.integers(0, n - 1))] = draw(wild(n))
    if draw(st.integers(0, 40)) == 0:
        header = header[:-1]                       # the last column left out (an older workbook)
    out = []
    for row in rows:
        kind = draw(st.sampled_from(["row"] * 18 + ["blank", "short"]))
        if kind == "blank":
            out.append(tuple(draw(blank) for _h in header))
        elif kind == "short":
            out.append(tuple(row[:draw(st.integers(1, len(header) - 1))]))
        else:
            out.append(tuple(row[:len(header)]))
    return Table(name, sheet, tuple(header), out, first_row=2)


def cells(header: list[str], strategies: dict, default) -> st.SearchStrategy:
    return st.tuples(*[strategies.get(h, default) for h in header])


IDS = ["C1", "C2", "C3", "C4", " C1", "c2", "C5"]
customer_id = st.one_of(st.sampled_from(IDS), st.sampled_from(IDS), mostly(st.sampled_from(IDS)),
                        st.sampled_from([1001.0, 1001, "1001"]))
terms = mostly(st.one_of(st.sampled_from([0, 14, 30, 30.0, 3650, 3651, -1, 30.5]), st.integers(-5, 4000)))
tax = mostly(st.one_of(st.sampled_from([0.2, 0.21, 0, 0.0, -0.0, 1, 0.999, 1.0, -0.01, 20, Decimal("0.07")]),
                       st.floats(-0.5, 1.5)))
limit = st.one_of(st.none(), st.sampled_from([50000, 5000.0, 0.005, 1e15, -10, "5,000", 12.345]),
                  st.integers(0, 10**6), odd)
status = st.sampled_from(["active", "Active", " hold", "inactive", "closed", "", None, 3])
delivery = st.sampled_from([None, None, "email", "POST", "email+post", "fax", ""])
einvoice = st.sampled_from([None, None, "none", "Peppol", "xrechnung", "ubl"])
CUSTOMER_HEADER = [c.name for c in schema.CUSTOMERS.columns]


@st.composite
def customers_tab(draw):
    wild = {"CustomerID": customer_id, "Name": text, "Email": st.one_of(st.none(), text),
            "TermsDays": terms, "TaxRate": tax, "Currency": currency, "CreditLimit": limit, "Status": status,
            "Delivery": delivery, "EInvoice": einvoice}

    def clean(i):
        return cells(CUSTOMER_HEADER, {
            "CustomerID": st.just(f"C{i + 1}"), "Name": st.sampled_from(["Acme", "Blue"]),
            "TermsDays": st.sampled_from([0, 30, 30.0, 3650]), "TaxRate": st.sampled_from([0.2, 0, 0.999, 0.0, -0.0]),
            "Currency": st.sampled_from(["EUR", "jpy", None, ""]), "CreditLimit": st.sampled_from([None, 5000, 12.5]),
            "Status": st.sampled_from(["active", None, "Hold"]), "Delivery": delivery.filter(lambda d: d != "fax"),
            "EInvoice": st.sampled_from([None, "none", "Peppol"])}, st.none())
    return tab("tblCustomers", "Customers", CUSTOMER_HEADER,
               lambda i: cells(CUSTOMER_HEADER, wild, st.one_of(st.none(), text)), clean, draw)


def known_customers() -> dict[str, Customer]:
    return {"C1": Customer("C1", "Acme", 30, Decimal("0.2"), "EUR"),
            "C2": Customer("C2", "Blue", 30, Decimal("0.2"), "JPY"),
            "C3": Customer("C3", "Bahrain Co", 30, Decimal("0"), "BHD")}


CHARGE_HEADER = [c.name for c in schema.CHARGES.columns]
quantity = mostly(st.one_of(st.sampled_from([1, 2, 5, 1.5, 0, -1, 0.0, -0.0, 1e9]), st.floats(0, 100),
                            st.decimals(0, 100, places=2)))
price = mostly(st.one_of(st.sampled_from([1250, 99.99, 0.005, -5, 10**7, 10**7 + 0.01]), st.floats(0, 10**4),
                         st.integers(0, 10**6)))
frequency = mostly(st.sampled_from(["monthly", "Monthly ", "once", "quarterly", "annual", "weekly"]))
some_day = st.dates(date(2025, 1, 1), date(2027, 12, 31))
optional_day = st.one_of(st.none(), st.none(), some_day, day)


@st.composite
def charges_tab(draw):
    wild = {"ChargeID": mostly(st.sampled_from(["K1", "K2", "K3", "K4", "K5", " K1"])),
            "CustomerID": st.one_of(st.sampled_from(["C1", "C2", "C3"]), customer_id), "Item": text,
            "Description": st.one_of(st.none(), text), "Quantity": quantity, "UnitPrice": price,
            "Frequency": frequency, "StartDate": mostly(some_day), "EndDate": optional_day,
            "IssueDate": st.one_of(st.none(), st.none(), st.none(), some_day)}

    def clean(i):
        return cells(CHARGE_HEADER, {
            "ChargeID": st.just(f"K{i + 1}"), "CustomerID": st.sampled_from(["C1", "C2", "C3"]), "Item": st.just("A"),
            "Quantity": st.sampled_from([1, 2, 0.5, 0.0, -0.0, Decimal("1.50")]),
            "UnitPrice": st.sampled_from([1250, 99.99, 0.0, 0]), "Frequency": st.sampled_from(["monthly", "annual"]),
            "StartDate": st.just(date(2026, 1, 1)),
            "EndDate": st.sampled_from([None, date(2026, 1, 1), date(2027, 1, 1)])},
            st.none())
    return tab("tblCharges", "Charges", CHARGE_HEADER, lambda i: cells(CHARGE_HEADER, wild, st.none()), clean, draw)


settings_drawn = st.builds(
    lambda period, days, most, base: Settings(period=period, date_window_days=days, max_amount=most,
                                              base_currency=base),
    st.sampled_from(["2026-10", "2026-02", "2024-12", ""]), st.sampled_from([1, 2, 31, 400, 36_500]),
    st.sampled_from([Decimal(1000), Decimal("10000000"), Decimal("0.5"), Decimal("99.99")]),
    st.sampled_from(["EUR", "JPY", "USD"]))


def edges(settings: Settings):
    """Dates on, just inside and just outside the settings' window, and any other day."""
    lo, hi = rd.date_window(settings)
    near = [d for base in (lo, hi) for k in (-1, 0, 1)
            if date.min <= base <= date.max and (d := _shift(base, k)) is not None]
    return st.one_of(st.sampled_from(near), st.dates(), st.dates(date(2020, 1, 1), date(2030, 12, 31)))


def _shift(d: date, days: int) -> date | None:
    try:
        return d + timedelta(days=days)
    except OverflowError:
        return None


RECEIPT_HEADER = [c.name for c in schema.RECEIPTS.columns]
receipt_amount = mostly(st.one_of(st.sampled_from([1000, 1000.0, 1000.01, 999.99, 0.5, 0.51, 0, -5, 100000, 0.004]),
                                  st.floats(-10, 2000), st.integers(-10, 10**6),
                                  st.decimals(-10, 2000, places=3)))


@st.composite
def receipts_tab(draw, settings: Settings):
    wild = {"Date": st.one_of(mostly(edges(settings)), day),
            "Method": mostly(st.sampled_from(["check", "Transfer", " cash", "card", "barter"])),
            "Payer": st.one_of(st.none(), text), "CustomerID": st.one_of(st.none(), st.just(""), customer_id),
            "Reference": st.one_of(st.none(), text), "CheckNo": st.one_of(st.none(), text),
            "Amount": receipt_amount, "Currency": currency, "PaymentID": st.one_of(st.none(), text)}
    lo, hi = rd.date_window(settings)

    def clean(_i):
        return cells(RECEIPT_HEADER, {
            "Date": st.dates(max(lo, date(1990, 1, 1)), min(hi, date(2100, 1, 1))) if lo <= date(2100, 1, 1) and
            hi >= date(1990, 1, 1) else st.just(lo), "Method": st.just("check"),
            "CustomerID": st.sampled_from(["C1", "C2", None]), "Amount": st.sampled_from([0.5, 0.49, 7, 0.25]),
            "Currency": st.sampled_from([None, "EUR", "usd"])}, st.none())
    return tab("tblReceipts", "Receipts", RECEIPT_HEADER, lambda i: cells(RECEIPT_HEADER, wild, st.none()), clean,
               draw)


# -- the tests ---------------------------------------------------------------------------------------
@FAST
@given(customers_tab(), settings_drawn)
def test_customers_as_read_row_by_row(t, settings):
    assert outcome(rd.read_customers, t, settings) == outcome(oracle_customers, t, settings)


@FAST
@given(charges_tab(), settings_drawn)
def test_charges_as_read_row_by_row(t, settings):
    customers = known_customers()
    assert outcome(rd.read_charges, t, customers, "", settings) == outcome(oracle_charges, t, customers, settings)


@FAST
@given(st.data(), settings_drawn)
def test_receipts_as_read_row_by_row(data, settings):
    t = data.draw(receipts_tab(settings))
    customers = known_customers()
    assert outcome(rd.read_receipts, t, settings, customers) == outcome(oracle_receipts, t, settings, customers)


@FAST
@given(st.data(), settings_drawn, st.sampled_from(["EUR", "JPY", "BHD", "KWD", "XXX", "USD"]))
def test_implausible_once_per_run_as_per_line(data, settings, cur):
    """One check made for a whole run says of each line what the check per line said."""
    implausible = rd.Implausible(settings)
    largest = settings.max_minor(cur)
    for _ in range(5):
        when = data.draw(edges(settings))
        minor = data.draw(st.one_of(st.sampled_from([largest, largest + 1, -largest, -largest - 1, 0, 1]),
                                    st.integers(-10 * largest - 10, 10 * largest + 10)))
        assert implausible(when, minor, cur) == oracle_implausible(settings, when, minor, cur)


def test_implausible_at_the_calendars_ends():
    """A window wider than the calendar stops at its first and last day, as the check per line did."""
    s = Settings(period="2026-10", date_window_days=3_000_000)
    for when in (date.min, date.max, date(2026, 10, 1)):
        assert rd.Implausible(s)(when, 1, "EUR") == oracle_implausible(s, when, 1, "EUR") == ""
    s = Settings(period="2026-10", date_window_days=1)
    for when in (date(2026, 9, 29), date(2026, 9, 30), date(2026, 11, 1), date(2026, 11, 2), date.min, date.max):
        assert rd.Implausible(s)(when, 1, "EUR") == oracle_implausible(s, when, 1, "EUR")
    assert "lies outside 2026-09-30..2026-11-01" in rd.Implausible(s)(date(2026, 9, 29), 1, "EUR")


def test_typed_tabs_fail_as_they_did():
    """The checks that fail a row: one row each, next to rows that pass, named as before."""
    s = Settings(period="2026-10", date_window_days=31, max_amount=Decimal(1000))
    h = CUSTOMER_HEADER
    row = dict.fromkeys(h)
    good = lambda **kw: tuple({**row, "Name": "N", "TermsDays": 30, "TaxRate": 0.2, **kw}[c] for c in h)  # noqa: E731
    t = Table("tblCustomers", "Customers", tuple(h), [
        good(CustomerID="C1"), good(CustomerID="C1"), good(CustomerID="C2", TermsDays=-3),
        good(CustomerID="C3", TaxRate=20), good(CustomerID="C4", Currency="ABC"), good(CustomerID="C5", TermsDays=4000),
        good(CustomerID="C6", CreditLimit="lots"), good(CustomerID="C2"),
        good(CustomerID="C7", CreditLimit=float("nan"))])
    got = rd.read_customers(t, s)
    assert got == oracle_customers(t, s)
    assert list(got[0]) == ["C1", "C2"] and got[0]["C2"].row == 9
    assert [(p.row, p.column.split()[0]) for p in got[1]] == [
        (3, "CustomerID"), (4, "TermsDays"), (5, "TaxRate"), (6, "Currency"), (7, "TermsDays"), (8, "CreditLimit"),
        (10, "CreditLimit")]
    h = RECEIPT_HEADER
    row = dict.fromkeys(h)
    paid = lambda **kw: tuple({**row, "Date": date(2026, 10, 5), "Method": "check", "Amount": 10.0,  # noqa: E731
                               "CustomerID": "C1", **kw}[c] for c in h)
    t = Table("tblReceipts", "Receipts", tuple(h), [
        paid(), paid(Date=date(2026, 8, 30)), paid(Date=date(2026, 8, 31)), paid(Amount=1000.01), paid(Amount=-1.0),
        paid(Currency="ABC"), paid(CustomerID="C9"), paid(Amount="ten"), paid(Amount=-1.0, Date=date(2025, 1, 1))])
    got = rd.read_receipts(t, s, known_customers())
    assert got == oracle_receipts(t, s, known_customers())
    assert [r.row for r in got[0]] == [2, 4]
    assert [(p.row, p.column.split()[0]) for p in got[1]] == [
        (3, "Date"), (5, "Amount"), (6, "Amount"), (7, "Currency"), (8, "CustomerID"), (9, "Amount"),
        (10, "Amount"), (10, "Date")]


@pytest.fixture(scope="module")
def demo_tabs(tmp_path_factory):
    from ardesk.demo import build_demo
    path = tmp_path_factory.mktemp("tabs") / "demo.xlsx"
    assert build_demo(path, customers=80, period="2026-10").ok
    wb = FileWorkbook(path)
    settings, _p = rd.read_settings(wb.read_settings())
    return wb.read_tables(["tblCustomers", "tblCharges", "tblReceipts"]), settings


def test_the_demo_as_read_row_by_row(demo_tabs):
    tabs, settings = demo_tabs
    customers = rd.read_customers(tabs["tblCustomers"], settings)
    assert customers == oracle_customers(tabs["tblCustomers"], settings) and len(customers[0]) == 80
    assert rd.read_charges(tabs["tblCharges"], customers[0], "", settings) == \
        oracle_charges(tabs["tblCharges"], customers[0], settings)
    receipts = rd.read_receipts(tabs["tblReceipts"], settings, customers[0])
    assert receipts == oracle_receipts(tabs["tblReceipts"], settings, customers[0]) and receipts[0]


CONVERTED = [("Whole", rd.as_int, True), ("Number", rd.as_decimal, True), ("Rate", rd.as_decimal, False),
             ("Kind", rd.choice(("a", "b c")), True), ("Mark", rd.choice(("", "x")), False),
             ("Day", rd.as_date, False), ("Money", rd.RAW, False), ("Note", None, False)]
number = st.one_of(st.sampled_from([0.0, -0.0, 1.0, 1, True, 2.5, 1e300, float("nan"), Decimal("1.0"), 3]),
                   st.integers(-10**20, 10**20), st.floats(-1e6, 1e6), odd)
converted_cells = {"Whole": number, "Number": number, "Rate": st.one_of(st.none(), number),
                   "Kind": st.sampled_from(["a", "A ", "b c", " B C", "b", "", None, 1.0]),
                   "Mark": st.sampled_from(["", " ", "x", "X", None, "y"]), "Day": day,
                   "Money": st.one_of(st.none(), number), "Note": st.one_of(st.none(), text)}


@FAST
@given(st.data())
def test_columns_converted_as_cell_by_cell(data):
    """Each converter's column taken at once gives each cell what the converter gives it (an empty column too)."""
    header = [c for c, _conv, _req in CONVERTED]
    empty = data.draw(st.sampled_from([None] + header))          # one column left empty in every row

    def wild(_i):
        return cells(header, {**converted_cells, **({empty: st.none()} if empty else {})}, st.none())
    t = tab("tblLedger", "Ledger", header, wild, wild, data.draw)
    tdef = schema.TableDef("tblLedger", "Ledger", tuple(schema.Column(c, required=c == "Whole") for c in header),
                           "ledger")
    new, old = [], []
    got = list(rd.RowReader(t, tdef, new).rows(CONVERTED))
    assert repr((got, new)) == repr((_rows(rd.RowReader(t, tdef, old), CONVERTED), old))
    assert got or new or not t.rows or all(map(t.is_blank, t.rows)) or "Whole" not in t.header
