from datetime import date
from decimal import Decimal as D

from ardesk import app
from ardesk.io.memory import MemoryWorkbook

from .conftest import charge, customer, receipt


def _billed(receipts, *, customers=None, charges=None):
    wb = MemoryWorkbook.with_rows({
        "tblCustomers": customers or [customer("C001", "Acme Bakery", rate="0"),
                                      customer("C002", "Blue Dental", rate="0")],
        "tblCharges": charges or [charge("CH1", "C001", "100.00"), charge("CH2", "C002", "50.00")]})
    assert app.run(wb, "bill", period="2026-09").ok
    assert app.run(wb, "bill", period="2026-10").ok
    wb.write(_receipts(receipts))
    res = app.run(wb, "receive")
    return wb, res


def _receipts(rows):
    from ardesk.io.port import Changes
    ch = Changes()
    ch.append("tblReceipts", rows)
    return ch


def _allocs(wb):
    cols = wb.headers["tblAllocations"]
    return [dict(zip(cols, r)) for r in wb.rows["tblAllocations"]]


def test_payment_quoting_an_invoice_pays_that_invoice_first():
    # C001 has INV-..01 (Sep) and INV-..03 (Oct); the payer quotes the October one
    wb, res = _billed([receipt(date(2026, 10, 5), "100.00", "Acme", "INV-2026-00003")])
    a = _allocs(wb)
    assert [(x["InvoiceNo"], x["Kind"], x["Amount"]) for x in a] == [("INV-2026-00003", "applied", D("100.00"))]
    assert a[0]["Rule"] == "reference"
    assert res.summary["receipts_posted"] == 1


def test_one_payment_for_several_invoices_then_credit_for_the_rest():
    wb, _ = _billed([receipt(date(2026, 10, 5), "230.00", "Acme Bakery", "INV-2026-00001 INV-2026-00003")])
    a = _allocs(wb)
    assert [(x["InvoiceNo"], x["Kind"], x["Amount"]) for x in a] == [
        ("INV-2026-00001", "applied", D("100.00")), ("INV-2026-00003", "applied", D("100.00")),
        (None, "credit", D("30.00"))]
    assert a[2]["CustomerID"] == "C001"


def test_partial_payment_leaves_the_rest_open_oldest_first():
    wb, res = _billed([receipt(date(2026, 10, 5), "80.00", cid="C002", method="check", check="1001")])
    a = _allocs(wb)
    # C002 owes 50 for September and 50 for October
    assert [(x["InvoiceNo"], x["Amount"]) for x in a] == [("INV-2026-00002", D("50.00")),
                                                          ("INV-2026-00004", D("30.00"))]
    assert "partial, 20.00 left open" in a[1]["Reason"]
    # AR: 200 (C001) + 100 - 80 (C002)
    assert res.summary["ar_balance"] == {"EUR": "220.00"}


def test_unidentified_receipt_goes_to_suspense_and_is_listed():
    wb, res = _billed([receipt(date(2026, 10, 5), "75.00", "Somebody Unknown", "thanks")])
    a = _allocs(wb)
    assert [(x["Kind"], x["InvoiceNo"], x["CustomerID"]) for x in a] == [("suspense", None, None)]
    assert any("suspense" in n and "75.00" in n for n in res.summary["notes"])
    assert any("suspense" in r[5] for r in wb.rows["tblExceptions"])


def test_payer_found_by_name_and_bank_account():
    wb, _ = _billed([receipt(date(2026, 10, 5), "100.00", "ACME  bakery", "")])
    assert _allocs(wb)[0]["Rule"] == "payer name"


def test_receipts_rows_are_stamped_and_never_posted_twice():
    wb, first = _billed([receipt(date(2026, 10, 5), "100.00", "Acme", cid="C001", method="check"),
                         receipt(date(2026, 10, 5), "100.00", "Acme", cid="C001", method="check")])
    # two identical rows are two receipts (two checks of the same amount), oldest invoice first
    assert first.summary["receipts_posted"] == 2
    assert [x["InvoiceNo"] for x in _allocs(wb)] == ["INV-2026-00001", "INV-2026-00003"]
    stamped = [r[8] for r in wb.rows["tblReceipts"]]
    assert stamped == ["PAY-0000001", "PAY-0000002"]
    again = app.run(wb, "receive")
    assert again.summary["receipts_posted"] == 0 and not again.written


def test_a_typed_receipt_the_matcher_is_unsure_of_waits_for_review():
    # a second check quoting an invoice that is already paid: not posted, listed on Review
    wb, res = _billed([receipt(date(2026, 10, 5), "100.00", "Acme Bakery", "INV-2026-00001"),
                       receipt(date(2026, 10, 6), "100.00", "Acme Bakery", "INV-2026-00001")])
    assert res.summary["receipts_posted"] == 1 and res.summary["to_review"] == 1
    review = dict(zip(wb.headers["tblReview"], wb.rows["tblReview"][0]))
    assert review["ReceiptRow"] == 3 and review["PaymentID"] is None
    assert wb.rows["tblReceipts"][1][8] is None          # not stamped: not posted


def test_editing_a_posted_receipt_is_refused():
    wb, _ = _billed([receipt(date(2026, 10, 5), "100.00", "Acme", "INV-2026-00001")])
    row = list(wb.rows["tblReceipts"][0])
    row[6] = D("90.00")
    wb.rows["tblReceipts"][0] = tuple(row)
    res = app.run(wb, "receive")
    assert not res.ok
    assert "reversing entry" in res.summary["problems"][0] and "Receipts, row 2" in res.summary["problems"][0]


def test_credit_is_applied_to_the_next_invoice():
    wb, _ = _billed([receipt(date(2026, 10, 5), "250.00", "Acme Bakery", "INV-2026-00001")])
    # 250 paid for the quoted Sep invoice: 100 applied to it, 150 credit (the October invoice the
    # payer did not name stays open); November's invoice takes 100 of the credit
    applied = [(x["InvoiceNo"], x["Amount"]) for x in _allocs(wb) if x["Kind"] in ("applied", "credit")]
    assert applied == [("INV-2026-00001", D("100.00")), (None, D("150.00"))]
    assert app.run(wb, "bill", period="2026-11").ok
    res = app.run(wb, "receive")
    credit_applied = [x for x in _allocs(wb) if x["Kind"] == "credit applied"]
    assert [(x["InvoiceNo"], x["Amount"], x["Date"]) for x in credit_applied] == [
        ("INV-2026-00005", D("100.00"), date(2026, 11, 1))]
    assert res.summary["subledger_equals_control"] and res.summary["journal_balanced"]
