"""The customer card: the Customer tab and ARDESK_CUSTOMER_CARD give the same figures."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from ardesk.excel import udfs

from .conftest import billed, charge, credit_row, customer, receipt, run


def test_customer_card_tab_and_worksheet_function_agree():
    limit_customer = customer("C1", "Acme Bakery", rate="0")
    limit_customer = limit_customer[:9] + (D("2000.00"),) + limit_customer[10:]
    wb = billed([limit_customer], [charge("K1", "C1", "400.00", "monthly", date(2026, 1, 1))],
                tblDisputes=[("D1", date(2026, 3, 3), "INV-2026-00002", D("50.00"), "price", "open", "bob", None,
                              None)],
                tblCustomerNotes=[(date(2026, 3, 4), "ann", "C1", None, "call", "asked for a copy", None, None, None,
                                   None)])
    for p in ("2026-02", "2026-03"):
        assert run(wb, "bill", period=p).ok
    wb.rows["tblReceipts"].append(receipt(date(2026, 1, 21), "400.00", "Acme Bakery", "INV-2026-00001", cid="C1"))
    assert run(wb, "receive").ok
    wb.rows["tblCreditNotes"].append(credit_row(date(2026, 3, 5), "credit note", "INV-2026-00003", "100.00"))
    assert run(wb, "credit").ok
    wb.settings["CardCustomer"] = "C1"
    res = run(wb, "card", as_of=date(2026, 3, 20))
    assert res.ok, res.problems
    rows = wb.rows["tblCustomerCard"]
    by = {(r[0], r[1]): r for r in rows}
    assert by[("Account", "Balance")][4] == D("700.00")                     # 400 + 400 - 100 credited
    assert by[("Account", "Credit limit")][6] == "35.0% used"
    assert by[("Account", "Days to pay (average)")][5] == D("20.0")        # INV 1 issued 01-01, paid 01-21
    assert [(r[1], r[4], r[5]) for r in rows if r[0] == "Open items"] == [
        ("INV-2026-00002", D("400.00"), 17), ("INV-2026-00003", D("300.00"), 0)]
    assert by[("Aging", "1-30")][4] == D("400.00") and by[("Aging", "Current")][4] == D("300.00")
    assert by[("Payments", "PAY-0000001")][2:5] == (date(2026, 1, 21), "EUR", D("400.00"))
    assert by[("Disputes", "D1")][6] == "INV-2026-00002: price, open, bob"
    assert by[("Notes", "call")][6] == "asked for a copy"
    # the worksheet function, given the Invoices and Allocations tables, gives the same ledger figures
    def grid(name):
        return [list(wb.headers[name])] + [list(r) for r in wb.rows[name]]
    got = udfs.ardesk_customer_card("C1", date(2026, 3, 20), grid("tblInvoices"), grid("tblAllocations"))
    assert got[0] == list(wb.headers["tblCustomerCard"])
    tab = [[r[0], r[1], r[2], r[3], None if r[4] is None else float(r[4]), None if r[5] is None else float(r[5]),
            r[6]] for r in rows if r[0] in ("Account", "Aging", "Open items", "Payments") and r[1] != "Credit limit"]
    assert got[1:] == tab
    assert udfs.ardesk_customer_card("C9", date(2026, 3, 20), grid("tblInvoices"), grid("tblAllocations")) == \
        "#ARDESK: customer C9 not found in the invoices"


def test_card_for_an_unknown_customer_is_named():
    wb = billed([customer("C1", "A", rate="0")], [charge("K1", "C1", "1.00", "once", date(2026, 1, 2))])
    res = run(wb, "card", customer="C7")
    assert [str(p) for p in res.problems] == [
        "Settings, CardCustomer ['C7']: customer card: 'C7' is not on the Customers sheet"]
