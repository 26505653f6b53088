"""Statements with credit notes on their own lines, unapplied credit and open disputes, read back from the PDF."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

from ardesk.delivery.send import send
from ardesk.io.memory import MemoryWorkbook

from documents.conftest import pdf_text

from .conftest import charge, check_books, credit_row, receipt, run
from .test_letters import SETTINGS, person


def worked_example():
    """INV-2026-00001 1,000.00 (January): 500.00 paid, then a 200.00 credit note: 300.00 open.
    INV-2026-00002 400.00 (February): 150.00 of it disputed, open.
    INV-2026-00003 100.00 (March): paid in full, then a 30.00 credit note, which becomes customer credit."""
    wb = MemoryWorkbook.with_rows({
        "tblCustomers": [person("C1", "Acme Bakery")],
        "tblCharges": [charge("K1", "C1", "1000.00", "once", date(2026, 1, 1)),
                       charge("K2", "C1", "400.00", "once", date(2026, 2, 1)),
                       charge("K3", "C1", "100.00", "once", date(2026, 3, 1))]}, dict(SETTINGS))
    for month in (1, 2, 3):
        assert run(wb, "bill", period=f"2026-{month:02d}").ok
    wb.rows["tblReceipts"] = [receipt(date(2026, 2, 5), "500.00", "Acme Bakery", "INV-2026-00001", cid="C1"),
                              receipt(date(2026, 3, 5), "100.00", "Acme Bakery", "INV-2026-00003", cid="C1")]
    assert run(wb, "receive", when=date(2026, 3, 6)).ok
    wb.rows["tblCreditNotes"] = [credit_row(date(2026, 3, 10), "credit note", "INV-2026-00001", "200.00"),
                                 credit_row(date(2026, 3, 12), "credit note", "INV-2026-00003", "30.00")]
    assert run(wb, "credit", when=date(2026, 3, 12)).ok
    #                  DisputeID Date InvoiceNo Amount ReasonCode Status Owner Notes CreditNoteNo
    wb.rows["tblDisputes"] = [("D1", date(2026, 3, 15), "INV-2026-00002", D("150.00"), "quality", "open", "ann",
                               None, None),
                              ("D2", date(2026, 3, 16), "INV-2026-00002", D("20.00"), "price", "rejected", "ann",
                               None, None)]
    return wb


def test_statement_shows_credit_notes_unapplied_credit_and_open_disputes(tmp_path):
    wb = worked_example()
    check_books(wb, [date(2026, 3, 31)])
    res = send(wb, tmp_path, kind="statements", period="2026-03", now=datetime(2026, 4, 1, 9))
    assert res.problems == [], res.summary
    pdf = (tmp_path / "documents" / "ST-C1-EUR-2026-03-31.pdf").read_bytes()
    lines = [" ".join(ln.split()) for ln in pdf_text(pdf).splitlines()]
    text = " ".join(lines)
    # the half-paid invoice with 300.00 left, and the credit note on a line of its own, naming the invoice
    assert "INV-2026-00001 1 Jan 2026 2 Mar 2026 29 1,000.00 300.00" in text
    assert "CN-2026-00001 Corrects invoice INV-2026-00001 10 Mar 2026 -200.00" in text
    assert "INV-2026-00002 1 Feb 2026 2 Apr 2026 0 400.00 400.00" in text
    # the paid invoice is not open; its credit note is customer credit, stated and taken off the balance
    assert "INV-2026-00003 1 Mar" not in text
    assert "CN-2026-00002 Corrects invoice INV-2026-00003 12 Mar 2026 -30.00" in text
    assert "Open items 700.00 EUR" in text and "Unapplied payments and credits -30.00 EUR" in text
    assert "Balance due 670.00 EUR" in text
    # the open dispute (the rejected one is not)
    assert "Open disputes" in text and "INV-2026-00002 15 Mar 2026 150.00 quality open" in text
    assert "20.00" not in text


def march_statement(tmp_path, statement_type: str) -> bytes:
    """The worked example's March statement of C1, sent as ``statement_type``: its PDF."""
    wb = worked_example()
    wb.settings["StatementType"] = statement_type
    res = send(wb, tmp_path, kind="statements", period="2026-03", now=datetime(2026, 4, 1, 9))
    assert res.problems == [], res.summary
    return (tmp_path / "documents" / "ST-C1-EUR-2026-03-31.pdf").read_bytes()


def test_activity_statement_names_the_invoice_a_credit_note_corrects(tmp_path):
    text = " ".join(pdf_text(march_statement(tmp_path, "activity")).split())
    assert "CN-2026-00001 Credit note INV-2026-00001 -200.00" in text
    assert "CN-2026-00002 Credit note INV-2026-00003 -30.00" in text


def test_balance_forward_counts_a_credit_note_that_became_credit_once(tmp_path):
    text = " ".join(pdf_text(march_statement(tmp_path, "balance-forward")).split())
    # end of February: 1,000.00 - 500.00 + 400.00; March: +100.00 -100.00 -200.00 -30.00 -> 670.00, the balance due
    assert "1 Mar 2026 Opening balance 900.00" in text
    assert "CN-2026-00002 Credit note INV-2026-00003 -30.00 670.00" in text
    assert "Balance due 670.00 EUR" in text
