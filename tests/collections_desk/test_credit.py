"""Credit notes, voids, write-offs and refunds."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from ardesk import app
from ardesk.core.ledger.reconcile import reconcile

from .conftest import billed, charge, check_books, credit_row, customer, receipt, run

JAN = date(2026, 1, 5)


def one_invoice(rate="0.21", price="1000.00", **tables):
    return billed([customer("C1", "Acme Bakery", rate=rate)], [charge("K1", "C1", price, "once", JAN)], **tables)


def test_credit_note_against_a_half_paid_invoice():
    # INV 1,210.00 (1,000.00 + 21% tax); 605.00 paid; a credit note of 800.00 is agreed.
    wb = one_invoice()
    wb.rows["tblReceipts"].append(receipt(date(2026, 1, 20), "605.00", "Acme Bakery", "INV-2026-00001", cid="C1"))
    assert run(wb, "receive").ok
    wb.rows["tblCreditNotes"].append(credit_row(date(2026, 1, 25), "credit note", "INV-2026-00001", "800.00"))
    res = run(wb, "credit")
    assert res.ok, res.problems
    cn = wb.rows["tblInvoices"][1]
    # its own series, references the invoice; 800.00 split in the invoice's proportion: net 800 x 1000/1210
    assert cn[:3] == ("CN-2026-00001", "credit note", "C1") and cn[11] == "INV-2026-00001"
    assert (cn[7], cn[8], cn[9]) == (D("-661.16"), D("-138.84"), D("-800.00"))
    # 605.00 set against the invoice (which is then settled), 195.00 becomes customer credit
    kinds = [(a[3], a[5], a[6]) for a in wb.rows["tblAllocations"][1:]]
    assert kinds == [("INV-2026-00001", "credit note", D("605.00")), ("CN-2026-00001", "credit note", D("-605.00")),
                     ("CN-2026-00001", "credit note to credit", D("-195.00"))]
    ledger = check_books(wb, [date(2026, 1, 24), date(2026, 1, 25), date(2026, 6, 30)])
    assert ledger.open_amount("INV-2026-00001") == 0 and ledger.open_amount("CN-2026-00001") == 0
    assert sum(s[2] for s in ledger.credit_pool[("C1", "EUR")]) == 19500
    rec = reconcile(ledger, app.load(wb).settings, date(2026, 1, 1), date(2026, 1, 31))
    rf = rec.roll["EUR"]
    assert rf.balanced and (rf.credit_notes, rf.to_credit, rf.closing_subledger) == (80000, 19500, 0)
    assert rec.credits["EUR"] == 19500
    # the stamp and the number series; a second run issues nothing
    assert wb.rows["tblCreditNotes"][0][9] == "CN-2026-00001" and wb.settings["NextCreditNoteNumber"] == 2
    again = run(wb, "credit")
    assert again.ok and not again.written


def test_credit_note_of_lines_reverses_tax_in_proportion():
    wb = billed([customer("C1", "Acme", rate="0.21")],
                [charge("K1", "C1", "100.00", "once", JAN, item="A"), charge("K2", "C1", "33.33", "once", JAN, item="B")])
    # invoice net 133.33, tax 28.00 (27.9993 half-up); line 2 credited: tax 28.00 x 33.33 / 133.33 = 7.0000 -> 7.00
    wb.rows["tblCreditNotes"].append(credit_row(date(2026, 1, 10), "credit note", "INV-2026-00001", lines="2"))
    assert run(wb, "credit").ok
    cn = wb.rows["tblInvoices"][1]
    assert (cn[7], cn[8], cn[9]) == (D("-33.33"), D("-7.00"), D("-40.33"))
    assert [ln[10] for ln in wb.rows["tblInvoiceLines"] if ln[0] == "CN-2026-00001"] == [D("-33.33")]
    ledger = check_books(wb, [date(2026, 1, 31)])
    assert ledger.open_amount("INV-2026-00001") == 16133 - 4033


def test_credit_note_larger_than_the_invoice_is_refused_and_nothing_written():
    wb = one_invoice()
    wb.rows["tblCreditNotes"] += [credit_row(date(2026, 1, 10), "credit note", "INV-2026-00001", "700.00"),
                                  credit_row(date(2026, 1, 11), "credit note", "INV-2026-00001", "600.00")]
    before = {k: list(v) for k, v in wb.rows.items() if k != "tblExceptions"}
    res = run(wb, "credit")
    assert not res.ok
    (p,) = res.problems
    assert (p.sheet, p.row, p.column, p.value) == ("CreditNotes", 3, "Amount", "600.00")
    assert "larger than what is left to credit on INV-2026-00001: total 1,210.00, credited before 700.00, left 510.00" \
        in p.message
    assert {k: list(v) for k, v in wb.rows.items() if k != "tblExceptions"} == before
    assert wb.rows["tblExceptions"][0][1:4] == ("CreditNotes", 3, "Amount")


def test_void_of_an_unpaid_invoice_is_a_full_credit_note_and_a_paid_one_is_refused():
    wb = billed([customer("C1", "A", rate="0.21"), customer("C2", "B", rate="0")],
                [charge("K1", "C1", "100.00", "once", JAN), charge("K2", "C2", "50.00", "once", JAN)])
    wb.rows["tblReceipts"].append(receipt(date(2026, 1, 20), "10.00", "B", "INV-2026-00002", cid="C2"))
    assert run(wb, "receive").ok
    wb.rows["tblCreditNotes"].append(credit_row(date(2026, 1, 25), "void", "INV-2026-00002", reason="wrong customer"))
    res = run(wb, "credit")
    assert [p.message for p in res.problems] == [
        "INV-2026-00002 cannot be voided: 10.00 EUR of its 50.00 is paid or credited; issue a credit note"]
    wb.rows["tblCreditNotes"][0] = credit_row(date(2026, 1, 25), "void", "INV-2026-00001", reason="sent twice")
    assert run(wb, "credit").ok
    cn = wb.rows["tblInvoices"][2]
    assert (cn[0], cn[1], cn[9], cn[11]) == ("CN-2026-00001", "credit note", D("-121.00"), "INV-2026-00001")
    ledger = check_books(wb, [date(2026, 1, 31)])
    assert ledger.open_amount("INV-2026-00001") == 0 and not ledger.credit_pool.get(("C1", "EUR"))


def test_write_off_of_a_bad_debt_posts_dr_write_offs_cr_ar():
    wb = billed([customer("C1", "A", rate="0")], [charge("K1", "C1", "100.00", "once", JAN),
                                                   charge("K2", "C1", "40.00", "once", date(2026, 2, 3))])
    assert run(wb, "bill", period="2026-02").ok
    wb.rows["tblCreditNotes"] += [
        credit_row(date(2026, 3, 1), "write-off", "INV-2026-00002", reason="customer insolvent"),
        credit_row(date(2026, 3, 1), "write-off", "INV-2026-00001", amount="100.01", reason="x"),
    ]
    res = run(wb, "credit")
    assert [(p.row, p.column, p.value) for p in res.problems] == [(3, "Amount", "100.01")]
    assert "at most its open balance of 100.00" in res.problems[0].message
    wb.rows["tblCreditNotes"].pop()
    assert run(wb, "credit").ok
    je = [j for j in wb.rows["tblJournal"] if j[9] == "write-off"]
    assert [(j[3], j[5], j[6], j[8]) for j in je] == [("6800", D("40.00"), None, None), ("1100", None, D("40.00"), "C1")]
    assert wb.rows["tblAllocations"][-1][5:7] == ("write-off", D("40.00"))
    ledger = check_books(wb, [date(2026, 2, 28), date(2026, 3, 31)])
    assert ledger.open_amount("INV-2026-00002") == 0 and ledger.open_amount("INV-2026-00001") == 10000


def test_refund_of_customer_credit_from_an_overpayment():
    wb = one_invoice(rate="0", price="100.00")
    wb.rows["tblReceipts"].append(receipt(date(2026, 1, 20), "130.00", "Acme Bakery", "INV-2026-00001", cid="C1"))
    assert run(wb, "receive").ok
    wb.rows["tblCreditNotes"] += [credit_row(date(2026, 2, 1), "refund", cid="C1", amount="31.00", payment_ref="T1"),
                                  credit_row(date(2026, 2, 1), "refund", cid="C1", payment_ref=None)]
    res = run(wb, "credit")
    assert sorted((p.row, p.column) for p in res.problems) == [(2, "Amount"), (3, "PaymentRef")]
    assert "at most the customer's credit of 30.00" in res.problems[0].message
    wb.rows["tblCreditNotes"][:] = [credit_row(date(2026, 2, 1), "refund", cid="C1", payment_ref="TRF-0001")]
    assert run(wb, "credit").ok
    assert [(j[3], j[5], j[6]) for j in wb.rows["tblJournal"] if j[9] == "refund"] == [
        ("2300", D("30.00"), None), ("1000", None, D("30.00"))]
    ledger = check_books(wb, [date(2026, 2, 28)])
    assert not ledger.credit_pool[("C1", "EUR")]
    assert run(wb, "reconcile", as_of=date(2026, 2, 28)).summary["roll_forward_balanced"]


def test_credit_from_the_command_line_is_recorded_and_issued_once(tmp_path):
    from ardesk.cli import main
    wb = one_invoice()
    from ardesk.io.template import create_workbook
    from ardesk.io.fileadapter import FileWorkbook
    path = tmp_path / "book.xlsx"
    create_workbook(path)
    FileWorkbook(path).write(wb.to_changes())
    args = [str(path), "--invoice", "INV-2026-00001", "--amount", "121.00", "--reason", "one day of outage",
            "--date", "2026-01-15", "--json"]
    assert main(["credit", *args]) == 0
    assert main(["credit", *args]) == 0
    books = app.load(FileWorkbook(path))
    cns = [i for i in books.ledger.invoices if i.kind == "credit note"]
    assert [(i.number, i.total, i.net) for i in cns] == [("CN-2026-00001", -12100, -10000)]
    rows = FileWorkbook(path).read_tables(["tblCreditNotes"])["tblCreditNotes"].rows
    assert [(r[1], r[9]) for r in rows] == [("credit note", "CN-2026-00001")]
    assert main(["credit", str(path), "--invoice", "INV-2026-00001", "--amount", "9999", "--reason", "x"]) == 1
