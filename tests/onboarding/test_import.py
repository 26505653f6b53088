"""ardesk import on sample exports written from the vendors' column layouts (see exports/).

The aging check is independent of ardesk: the export is read here with the csv module and
aged by hand (days past the due date), then compared to the cent with the Aging tab that
``ardesk report --as-of`` writes, read back with python-calamine.
"""
from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path


from ardesk.cli import main
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Changes
from ardesk.io.template import create_workbook

EXPORTS = Path(__file__).parent / "exports"
QB = EXPORTS / "quickbooks"
XERO = EXPORTS / "xero"
GEN = EXPORTS / "generic"


def cli(capsys, *args) -> tuple[int, dict]:
    code = main([*map(str, args), "--json"])
    return code, json.loads(capsys.readouterr().out)


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def tables(path: Path) -> dict[str, list[dict]]:
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path), load_tables=True)
    out = {}
    for name in wb.table_names:
        t = wb.get_table_by_name(name)
        out[name] = [dict(zip(t.columns, r)) for r in t.to_python() if any(v not in ("", None) for v in r)]
    return out


def book(tmp_path, base="EUR") -> Path:
    path = create_workbook(tmp_path / "book.xlsx")
    if base != "EUR":
        ch = Changes()
        ch.names["BaseCurrency"] = base
        FileWorkbook(path).write(ch, backup=False)
    return path


# -- the independent computation ------------------------------------------------------------------
def export_items(path: Path, number: str, customer: str, due: str, open_col: str, datefmt: str, issue: str,
                 delimiter=",", decimal_comma=False, currency_col=None, kind_col=None):
    """(number, customer, issue, due, open as Decimal, currency) of every open item in an export."""
    with open(path, newline="", encoding="utf-8") as fh:
        lines = list(csv.reader(fh, delimiter=delimiter))
    head = next(i for i, line in enumerate(lines) if number in line and open_col in line)
    h = lines[head]
    out = {}
    for line in lines[head + 1:]:
        if len(line) < len(h) or not line[h.index(number)].strip():
            continue
        amount = line[h.index(open_col)].replace("$", "")
        amount = amount.replace(".", "").replace(",", ".") if decimal_comma else amount.replace(",", "")
        value = D(amount)
        if kind_col and "credit" in line[h.index(kind_col)].lower() or (kind_col and "gutschrift" in
                                                                        line[h.index(kind_col)].lower()):
            value = -abs(value)
        if value == 0:
            continue
        out[line[h.index(number)]] = (line[h.index(customer)],
                                      datetime.strptime(line[h.index(issue)], datefmt).date(),
                                      datetime.strptime(line[h.index(due)], datefmt).date(), value,
                                      line[h.index(currency_col)] if currency_col else None)
    return out


def aged_by_hand(items: dict, as_of: date) -> dict[str, list[D]]:
    """Per customer: Current, 1-30, 31-60, 61-90, Over 90 days past due, as of a date."""
    out: dict[str, list[D]] = defaultdict(lambda: [D(0)] * 5)
    for cust, issued, due, value, _cur in items.values():
        if issued > as_of:
            continue
        days = (as_of - due).days
        b = 0 if days <= 0 else 1 if days <= 30 else 2 if days <= 60 else 3 if days <= 90 else 4
        out[cust][b] += value
    return {c: v for c, v in out.items() if any(v)}


def aging_tab(capsys, path: Path, as_of: date, key_by_id: dict[str, str]) -> dict[str, list[D]]:
    code, s = cli(capsys, "report", path, "--as-of", as_of.isoformat())
    assert code == 0, s["problems"]
    assert s["subledger_equals_control"] and s["journal_balanced"]        # at past dates too
    rows = tables(path)["tblAging"]
    labels = ("Current", "1-30", "31-60", "61-90", "Over 90")
    return {key_by_id[r["CustomerID"]]: [D(str(r[k])) for k in labels] for r in rows if r["CustomerID"] != "TOTAL"}


# -- QuickBooks --------------------------------------------------------------------------------------
def test_quickbooks_import_twice_and_aging_at_past_dates(tmp_path, capsys):
    path = book(tmp_path, "USD")
    args = ("import", path, "--customers", QB / "customers.csv", "--open-invoices", QB / "ar_aging_detail.csv",
            "--format", "quickbooks")
    code, s = cli(capsys, *args)
    assert code == 0, s["problems"]
    assert (s["customers_added"], s["items_added"], s["opening_date"]) == (12, 13, "2026-06-30")
    assert all(line.endswith(": equal") for line in s["check"]) and len(s["check"]) == 13
    assert s["check"][-1] == "total: booked USD 5,011.74, the export's TOTAL line USD 5,011.74: equal"
    assert s["journal_balanced"] and s["subledger_equals_control"]
    t = tables(path)
    inv = {r["InvoiceNo"]: r for r in t["tblInvoices"]}
    assert inv["1038"]["IssueDate"] == date(2026, 6, 20) and inv["1038"]["DueDate"] == date(2026, 7, 20)
    assert inv["1038"]["Total"] == 1000.0 and inv["1040"]["Kind"] == "credit note" and inv["1040"]["Total"] == -50.0
    # one opening entry: Dr AR (its customer) per item dated its issue date, Cr the opening-balance
    # account (Settings) with each day's total
    journal = t["tblJournal"]
    assert {r["EntryID"] for r in journal} == {"JE-0000001"} and len(journal) == 26     # 13 items on 13 days
    ob = [r for r in journal if r["Account"] == "3900"]
    assert sum(D(str(r["Credit"] or 0)) - D(str(r["Debit"] or 0)) for r in ob) == D("5011.74")
    amy = [(r["Date"], r["Account"], r["CustomerID"], r["Debit"]) for r in journal if r["DocNo"] == "1038"]
    assert amy == [(date(2026, 6, 20), "1100", "C00001", 1000.0)]
    assert [(r["Date"], r["Credit"]) for r in ob if r["Date"] == date(2026, 6, 20)] == [(date(2026, 6, 20), 1000.0)]
    assert sum(D(str(r["Debit"] or 0)) for r in journal) == sum(D(str(r["Credit"] or 0)) for r in journal)

    before = sha(path)
    code, again = cli(capsys, *args)
    assert code == 0 and not again["written"] and sha(path) == before
    assert (again["customers_added"], again["items_added"], again["items_already_there"]) == (0, 0, 13)
    assert all(line.endswith(": equal") for line in again["check"])

    items = export_items(QB / "ar_aging_detail.csv", "Num", "Customer", "Due Date", "Open Balance", "%m/%d/%Y",
                         "Date")
    names = {r["CustomerID"]: r["Name"] for r in tables(path)["tblCustomers"]}
    for as_of in (date(2026, 1, 31), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 20), date(2026, 6, 30)):
        assert aging_tab(capsys, path, as_of, names) == aged_by_hand(items, as_of), as_of


def test_quickbooks_excel_export_reads_like_the_csv(tmp_path, capsys):
    """The same A/R Aging Detail saved by QuickBooks as .xlsx: dates and amounts are cells, not text."""
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    with open(QB / "ar_aging_detail.csv", newline="", encoding="utf-8") as fh:
        for line in csv.reader(fh):
            cells = []
            for c in line:
                try:
                    cells.append(datetime.strptime(c, "%m/%d/%Y"))
                    continue
                except ValueError:
                    pass
                try:
                    cells.append(float(c.replace("$", "").replace(",", "")) if c and c[-1].isdigit() and
                                 c.replace("$", "").replace(",", "").replace(".", "").lstrip("-").isdigit() else c)
                except ValueError:
                    cells.append(c)
            ws.append(cells)
    xlsx = tmp_path / "A_R Aging Detail.xlsx"
    wb.save(xlsx)
    path = book(tmp_path, "USD")
    code, s = cli(capsys, "import", path, "--customers", QB / "customers.csv", "--open-invoices", xlsx,
                  "--format", "quickbooks")
    assert code == 0, s["problems"]
    assert s["items_added"] == 13 and s["ar_balance"] == {"USD": "5011.74"}


# -- Xero ---------------------------------------------------------------------------------------------
def test_xero_import_line_items_paid_invoices_and_aging(tmp_path, capsys):
    path = book(tmp_path, "GBP")
    args = ("import", path, "--customers", XERO / "contacts.csv", "--open-invoices", XERO / "invoices.csv",
            "--format", "xero")
    code, s = cli(capsys, *args)
    assert code == 0, s["problems"]
    # INV-0004 has two line items (one invoice); INV-0006 is paid (amount due 0.00) and not brought in
    assert (s["customers_added"], s["items_added"], s["paid_items_skipped"]) == (6, 7, 1)
    assert s["ar_balance"] == {"GBP": "11564.40"}
    cust = {r["Name"]: r for r in tables(path)["tblCustomers"]}
    assert cust["Bayside Club"]["CustomerID"] == "BAY-100" and cust["Bayside Club"]["TermsDays"] == 20
    assert cust["Basket Case"]["Address"] == "Shop 2, Central Mall, Ridge Heights, Madeupville"
    before = sha(path)
    code, again = cli(capsys, *args)
    assert code == 0 and sha(path) == before and again["items_added"] == 0
    items = export_items(XERO / "invoices.csv", "InvoiceNumber", "ContactName", "DueDate", "InvoiceAmountDue",
                         "%d/%m/%Y", "InvoiceDate")
    names = {r["CustomerID"]: r["Name"] for r in tables(path)["tblCustomers"]}
    for as_of in (date(2026, 3, 15), date(2026, 4, 30), date(2026, 6, 10), date(2026, 6, 30)):
        assert aging_tab(capsys, path, as_of, names) == aged_by_hand(items, as_of), as_of


# -- a generic mapping: semicolons, decimal commas, JPY and BHD ------------------------------------------
def test_generic_mapping_with_currencies_of_their_own_decimals(tmp_path, capsys):
    path = book(tmp_path)
    args = ("import", path, "--customers", GEN / "customers.csv", "--open-invoices", GEN / "open_items.csv",
            "--mapping", GEN / "mapping.toml")
    empty = sha(path)
    code, s = cli(capsys, *args, "--dry-run")
    assert code == 0 and s["items_added"] == 7 and not s["written"] and sha(path) == empty
    code, s = cli(capsys, *args)
    assert code == 0, s["problems"]
    assert s["ar_balance"] == {"BHD": "1312.963", "EUR": "2023.00", "JPY": "250000"}
    assert any(line.startswith("Gulf Marine W.L.L. (10004): booked BHD 1,312.963") and line.endswith("equal")
               for line in s["check"])
    journal = tables(path)["tblJournal"]
    per_cur = defaultdict(lambda: [D(0), D(0)])
    for r in journal:
        per_cur[r["Currency"]][0] += D(str(r["Debit"] or 0))
        per_cur[r["Currency"]][1] += D(str(r["Credit"] or 0))
    assert {c: v[0] - v[1] for c, v in per_cur.items()} == {"BHD": 0, "EUR": 0, "JPY": 0}
    assert len({r["EntryID"] for r in journal}) == 1
    before = sha(path)
    assert cli(capsys, *args)[1]["items_added"] == 0 and sha(path) == before
    items = export_items(GEN / "open_items.csv", "Belegnr", "Kundennr", "Faellig", "Offen", "%d.%m.%Y",
                         "Belegdatum", delimiter=";", decimal_comma=True, kind_col="Art")
    ids = {r["CustomerID"]: r["CustomerID"] for r in tables(path)["tblCustomers"]}
    for as_of in (date(2026, 4, 30), date(2026, 6, 1), date(2026, 6, 30)):
        assert aging_tab(capsys, path, as_of, ids) == aged_by_hand(items, as_of), as_of


# -- refused ------------------------------------------------------------------------------------------------
def test_bad_rows_are_refused_with_file_row_column_and_value(tmp_path, capsys):
    bad = tmp_path / "open_items.csv"
    lines = (GEN / "open_items.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("02.06.2026;02.06.2026", "31.02.2026;02.06.2026")     # row 4: no such date
    lines[4] = lines[4].replace("595,00;595,00", "595,00;fünf")                      # row 5: not an amount
    lines.append(lines[1])                                                          # row 9: duplicate of row 2
    lines.append("RE-2026-0700;99999;01.06.2026;01.07.2026;10,00;10,00;EUR;Rechnung")  # row 10: unknown customer
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = book(tmp_path)
    before = sha(path)
    code, s = cli(capsys, "import", path, "--customers", GEN / "customers.csv", "--open-invoices", bad,
                  "--mapping", GEN / "mapping.toml")
    assert code == 1 and sha(path) != before          # only Exceptions is written
    problems = s["problems"]
    assert "open_items.csv, row 4, Belegdatum ['31.02.2026']" in problems[0]
    assert any(p.startswith("open_items.csv, row 5, Offen ['fünf']: 'fünf' is not an amount") for p in problems)
    assert any(p.startswith("open_items.csv, row 9, Belegnr ['RE-2026-0412']") and "duplicate" in p and "row 2" in p
               for p in problems)
    assert any(p.startswith("open_items.csv, row 10, Kundennr ['99999']") for p in problems)
    t = tables(path)
    assert not t["tblInvoices"] and not t["tblCustomers"] and not t["tblJournal"]
    assert len(t["tblExceptions"]) == len(problems)


def test_duplicate_customers_and_a_balance_that_does_not_match_are_refused(tmp_path, capsys):
    customers = tmp_path / "customers.csv"
    lines = (QB / "customers.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",85.00,", ",95.00,")            # Bill's balance says 95.00, his items 85.00
    customers.write_text("\n".join(lines + [lines[4]]) + "\n", encoding="utf-8")
    path = book(tmp_path, "USD")
    code, s = cli(capsys, "import", path, "--customers", customers, "--open-invoices", QB / "ar_aging_detail.csv",
                  "--format", "quickbooks")
    assert code == 1
    assert s["problems"][0].startswith("customers.csv, row 14, Customer ['Diego Rodriguez']: 'Diego Rodriguez' is "
                                       "a duplicate customer (first on row 5)")
    customers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, s = cli(capsys, "import", path, "--customers", customers, "--open-invoices", QB / "ar_aging_detail.csv",
                  "--format", "quickbooks")
    assert code == 1
    assert s["problems"] == ["customers.csv, row 3, Open Balance ['95.00']: customer Bill's Windsurf Shop: the items "
                             "booked come to 85.00 but the customer list's balance is 95.00"]
    assert any("DIFFERENCE -10.00" in line for line in s["check"])
    assert not tables(path)["tblInvoices"]


def test_an_item_number_already_used_for_something_else_is_refused(tmp_path, capsys):
    path = book(tmp_path, "USD")
    args = ("import", path, "--customers", QB / "customers.csv", "--open-invoices", QB / "ar_aging_detail.csv",
            "--format", "quickbooks")
    assert cli(capsys, *args)[0] == 0
    changed = tmp_path / "aging.csv"
    changed.write_text((QB / "ar_aging_detail.csv").read_text(encoding="utf-8").replace(
        ",Invoice,1031,Geeta Kalapatapu,06/13/2026,17,629.10,629.10", ",Invoice,1031,Geeta Kalapatapu,06/13/2026,17,"
        "629.10,600.00"), encoding="utf-8")
    code, s = cli(capsys, "import", path, "--customers", QB / "customers.csv", "--open-invoices", changed,
                  "--format", "quickbooks")
    assert code == 1
    assert any(p.startswith("aging.csv, row 14, Num ['1031']: '1031' is already in the ledger as invoice of C00007 "
                            "for USD 629.10, not USD 600.00") for p in s["problems"])


def test_files_that_cannot_be_read_exit_2(tmp_path, capsys):
    path = book(tmp_path)
    assert main(["import", str(path), "--customers", str(tmp_path / "missing.csv"), "--open-invoices",
                 str(QB / "ar_aging_detail.csv"), "--format", "quickbooks"]) == 2
    assert "missing.csv: no such file" in capsys.readouterr().err
    mapping = tmp_path / "m.toml"
    mapping.write_text('[customers]\nname = "Name"\nvat = "USt"\n[open_invoices]\nnumber = "N"\n', encoding="utf-8")
    assert main(["import", str(path), "--customers", str(GEN / "customers.csv"), "--open-invoices",
                 str(GEN / "open_items.csv"), "--mapping", str(mapping)]) == 2
    assert "m.toml: [customers] 'vat' is not a field ardesk reads" in capsys.readouterr().err


def test_quickbooks_desktop_customer_jobs_and_terms(tmp_path, capsys):
    """QuickBooks Desktop's Customer:Job list and A/R Aging Detail (Type, Date, Num, P. O. #, Name, ...)."""
    path = book(tmp_path, "USD")
    args = ("import", path, "--customers", QB / "desktop_customers.csv", "--open-invoices",
            QB / "desktop_ar_aging_detail.csv", "--format", "quickbooks", "--opening-date", "2027-12-15")
    code, s = cli(capsys, *args)
    assert code == 0, s["problems"]
    assert (s["customers_added"], s["items_added"], s["opening_date"]) == (6, 5, "2027-12-15")
    assert s["check"][-1] == "total: booked USD 17,630.00, the export's TOTAL line USD 17,630.00: equal"
    cust = {r["Name"]: r for r in tables(path)["tblCustomers"]}
    # "1% 10 Net 30" is 30 days net; the job is a customer of its own; an inactive customer stays inactive
    assert (cust["Baker Chris"]["TermsDays"], cust["Burch Jason"]["TermsDays"]) == (30, 0)
    assert cust["Abercrombie Kristy:Family Room"]["Status"] == "active"
    assert cust["Campbell Heather"]["Status"] == "inactive"
    assert cust["Allard Robert"]["CreditLimit"] == 20000.0
    before = sha(path)
    assert cli(capsys, *args)[1]["items_added"] == 0 and sha(path) == before
    items = export_items(QB / "desktop_ar_aging_detail.csv", "Num", "Name", "Due Date", "Open Balance", "%m/%d/%Y",
                         "Date")
    names = {r["CustomerID"]: r["Name"] for r in tables(path)["tblCustomers"]}
    for as_of in (date(2027, 11, 15), date(2027, 12, 1), date(2027, 12, 15)):
        assert aging_tab(capsys, path, as_of, names) == aged_by_hand(items, as_of), as_of


def test_the_check_says_when_the_export_states_no_figure(tmp_path, capsys):
    path = book(tmp_path, "GBP")
    code, s = cli(capsys, "import", path, "--customers", XERO / "contacts.csv", "--open-invoices",
                  XERO / "invoices.csv", "--format", "xero")
    assert code == 0
    assert "Basket Case (BAS-110): booked GBP 618.40; the export states no balance for it" in s["check"]
    assert s["check"][-1] == "total: booked GBP 11,564.40; the export states no total"


def test_items_in_a_locked_period_are_refused(tmp_path, capsys):
    path = book(tmp_path, "USD")
    ch = Changes()
    ch.names["LockedThrough"] = date(2026, 3, 31)
    FileWorkbook(path).write(ch, backup=False)
    code, s = cli(capsys, "import", path, "--customers", QB / "customers.csv", "--open-invoices",
                  QB / "ar_aging_detail.csv", "--format", "quickbooks")
    assert code == 1
    assert s["problems"] == ["Settings, LockedThrough [2026-03-31]: 3 item(s) are issued inside "
                             "the locked period (locked through 2026-03-31), the first 1005 on 2026-01-09"]
    assert not tables(path)["tblInvoices"]


def test_a_semicolon_file_with_decimal_commas_is_read_by_its_semicolons(tmp_path):
    from ardesk.io.exports import read_export
    f = tmp_path / "offen.csv"
    f.write_text("Beleg;Kunde;Offen\nA1;K1;1,50\nA2;K2;\"2,75\"\n", encoding="cp1252")
    assert read_export(f).lines == (("Beleg", "Kunde", "Offen"), ("A1", "K1", "1,50"), ("A2", "K2", "2,75"))
