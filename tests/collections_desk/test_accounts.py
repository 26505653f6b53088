"""Account changes with a history, detail checks, and credit holds."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal as D

from ardesk import app
from ardesk.core.collections.accounts import check_bank_account, check_country, check_email, check_vat

from .conftest import billed, charge, customer, run


def full(cid, name, email=None, country=None, bank=None, vat=None, limit=None, status="active"):
    row = customer(cid, name, rate="0", bank=bank, status=status)
    return row[:2] + (email,) + row[3:5] + (country,) + row[6:9] + (None if limit is None else D(limit),) \
        + row[10:12] + (vat,)


def set_cell(wb, rownum, column, value):
    i = rownum - 2
    row = list(wb.rows["tblCustomers"][i])
    row[wb.headers["tblCustomers"].index(column)] = value
    wb.rows["tblCustomers"][i] = tuple(row)


def test_checks_use_the_libraries_rules():
    assert check_email("ap@acme.example") is None and "not valid" in check_email("ap@@acme")
    assert check_bank_account("BE71 0961 2345 6769") is None          # a valid Belgian IBAN
    assert "checksum" in check_bank_account("BE72 0961 2345 6769").lower()
    assert check_bank_account("021000021 123456") is None             # not written as an IBAN: not checked
    assert check_vat("BE0403170701") is None and "not valid" in check_vat("BE0403170702")
    assert check_vat("GB980780684") is None and "not valid" in check_vat("GB980780685")
    assert check_vat("CHE-116.281.710 MWST") is None                   # not an EU or UK number: not checked
    assert check_country("BE") is None and "not an ISO 3166-1" in check_country("XX")


def test_edits_are_logged_and_bad_ones_refused():
    wb = billed([full("C1", "Acme", "ap@acme.example", "BE", "BE71096123456769", "BE0403170701")],
                [charge("K1", "C1", "10.00", "once", date(2026, 1, 2))])
    hist = wb.rows["tblCustomerHistory"]
    assert [(h[2], h[3]) for h in hist] == [("C1", "(created)")]
    assert json.loads(hist[0][5])["Email"] == "ap@acme.example"
    set_cell(wb, 2, "Email", "billing@acme.example")
    set_cell(wb, 2, "PostalCode", "1000")
    res = app.run(wb, "validate", now=datetime(2026, 2, 1, 10), user="ann")
    assert res.ok and res.written
    assert [h[1:] for h in wb.rows["tblCustomerHistory"][1:]] == [
        ("ann", "C1", "Email", "ap@acme.example", "billing@acme.example"), ("ann", "C1", "PostalCode", None, "1000")]
    assert app.run(wb, "validate", now=datetime(2026, 2, 1, 11)).written is False
    # a bad IBAN, VAT ID and country are refused, named by sheet, row, column and value; nothing written
    set_cell(wb, 2, "BankAccount", "BE72096123456769")
    set_cell(wb, 2, "VatID", "BE0403170702")
    set_cell(wb, 2, "Country", "XX")
    before = len(wb.rows["tblCustomerHistory"])
    res = run(wb, "validate")
    assert sorted((p.sheet, p.row, p.column.split()[0], p.value) for p in res.problems) == [
        ("Customers", 2, "BankAccount", "BE72096123456769"), ("Customers", 2, "Country", "XX"),
        ("Customers", 2, "VatID", "BE0403170702")]
    assert len(wb.rows["tblCustomerHistory"]) == before


def test_changed_customer_id_is_refused():
    wb = billed([full("C1", "Acme"), full("C2", "Blue")], [charge("K1", "C1", "10.00", "once", date(2026, 1, 2))])
    set_cell(wb, 3, "CustomerID", "C2B")
    res = run(wb, "validate")
    (p,) = res.problems
    assert (p.sheet, p.row, p.column, p.value) == ("Customers", 3, "CustomerID", "C2B")
    assert p.message.startswith("customer ID C2 (Blue) is no longer on Customers; row 3 now has ID C2B with the "
                                "same name: a customer ID cannot be changed or removed")


def test_a_recorded_text_edited_away_refuses_the_run_naming_its_row():
    wb = billed([full("C1", "Acme"), full("C2", "Blue")], [charge("K1", "C1", "10.00", "once", date(2026, 1, 2))])
    i = [r[3] for r in wb.rows["tblCustomerHistory"]].index("(created)") + 1
    row = list(wb.rows["tblCustomerHistory"][i])
    row[5] = '{"Name": "Blue"'                      # a closing brace deleted by hand
    wb.rows["tblCustomerHistory"][i] = tuple(row)
    res = run(wb, "validate")
    (p,) = res.problems
    assert (p.sheet, p.row, p.column, p.value) == ("CustomerHistory", i + 2, "NewValue", '{"Name": "Blue"')
    assert "does not hold the customer's details" in p.message


def test_credit_holds_proposed_then_confirmed_and_billing_skips_them():
    wb = billed([full("C1", "Acme", limit="100.00"), full("C2", "Blue")],
                [charge("K1", "C1", "150.00", "monthly", date(2026, 1, 1)),
                 charge("K2", "C2", "20.00", "monthly", date(2026, 1, 1))])
    wb.settings["HoldDaysPastDue"] = 60
    res = run(wb, "holds", as_of=date(2026, 1, 15))
    assert res.ok, res.problems
    (h,) = wb.rows["tblCreditHolds"]
    assert h[1] == "C1" and h[7] == "balance 150.00 over the credit limit 100.00"
    assert run(wb, "holds", as_of=date(2026, 1, 15)).written is False           # listed once
    # later C2 is more than 60 days past due too
    res = run(wb, "holds", as_of=date(2026, 4, 5))
    assert [r[1] for r in wb.rows["tblCreditHolds"]] == ["C1", "C2"]
    assert wb.rows["tblCreditHolds"][1][7] == "an item 64 days past due (more than 60)"
    wb.rows["tblCreditHolds"][0] = wb.rows["tblCreditHolds"][0][:8] + ("yes", None)
    assert run(wb, "holds", as_of=date(2026, 4, 5)).ok
    assert wb.rows["tblCustomers"][0][10] == "hold" and wb.rows["tblCreditHolds"][0][9] == "on hold"
    res = run(wb, "bill", period="2026-02")
    assert [i[2] for i in wb.rows["tblInvoices"] if i[5] == "2026-02"] == ["C2"]
    assert any("C1" in n.message and "status is hold" in n.message for n in res.notes)
    # the status change is in the history
    assert [(h[2], h[3], h[4], h[5]) for h in wb.rows["tblCustomerHistory"] if h[3] == "Status"] == [
        ("C1", "Status", "active", "hold")]
