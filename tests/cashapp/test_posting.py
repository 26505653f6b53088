"""Receive, review, write-off, deposits and card settlements through MemoryWorkbook runs."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ardesk.core.ledger.journal import check_balanced

from .conftest import bank_csv, run, table, workbook


def test_auto_post_above_threshold_and_review_below(tmp_path):
    wb = workbook()
    f = bank_csv(tmp_path / "b.csv", [
        ("2026-03-02", "1000.00", "Northwind Logistics BV", "INV-2026-00042", "NL91ABNA0417164300"),
        ("2026-03-03", "333.33", "Someone", "thanks", ""),                    # amount only: a guess
        ("2026-03-04", "55.00", "Nobody", "gift", ""),                        # nothing: suspense
    ])
    r = run(wb, "receive", bank_files=[f])
    assert r.ok, r.problems
    s = r.summary
    assert (s["lines_read"], s["auto_posted"], s["to_review"], s["suspense"]) == (3, 1, 1, 1)
    pays = table(wb, "tblPayments")
    assert len(pays) == 2 and {p["Amount"] for p in pays} == {Decimal("1000.00"), Decimal("55.00")}
    review = table(wb, "tblReview")
    assert [r["ProposedInvoices"] for r in review] == ["INV-2026-00043", None]
    assert review[1]["PaymentID"] == pays[1]["PaymentID"]
    # the same statement again posts nothing and adds no review rows
    again = run(wb, "receive", bank_files=[f])
    assert again.summary["duplicates_skipped"] == 3 and not again.changes.appends.get("tblPayments")
    assert len(wb.rows["tblReview"]) == 2


def test_no_auto_post_when_the_threshold_is_raised(tmp_path):
    wb = workbook(settings={"AutoPostThreshold": Decimal("1.01")})
    f = bank_csv(tmp_path / "b.csv", [("2026-03-02", "1000.00", "Northwind", "INV-2026-00042", "")])
    r = run(wb, "receive", bank_files=[f])
    assert r.summary["to_review"] == 1 and not wb.rows["tblPayments"]
    assert not [a for a in wb.rows["tblAllocations"]]


def test_review_round_trip_and_suspense_cleared(tmp_path):
    wb = workbook()
    f = bank_csv(tmp_path / "b.csv", [("2026-03-03", "333.33", "Someone", "thanks", "DE89370400440532013000"),
                                      ("2026-03-04", "17.00", "Nobody", "gift", "")])
    run(wb, "receive", bank_files=[f])
    h = wb.headers["tblReview"]
    rows = [list(r) for r in wb.rows["tblReview"]]
    rows[0][h.index("Decision")] = "confirm"
    rows[1][h.index("CustomerID")] = "C0001"
    rows[1][h.index("InvoiceNos")] = "INV-2026-00002"
    wb.rows["tblReview"] = [tuple(r) for r in rows]
    r = run(wb, "apply-review")
    assert r.ok, r.problems
    assert (r.summary["review_posted"], r.summary["suspense_cleared"]) == (1, 1)
    allocs = table(wb, "tblAllocations")
    assert {(a["InvoiceNo"], a["Kind"]) for a in allocs} >= {("INV-2026-00043", "applied"),
                                                               ("INV-2026-00002", "credit applied")}
    assert any(a["Kind"] == "suspense cleared" for a in allocs)
    assert all(r["Status"] for r in table(wb, "tblReview"))
    assert run(wb, "apply-review").changes.is_empty()          # decided rows are never posted twice
    # the payer's account is kept with the payment, so later imports learn it (test_rules covers the rule)
    pays = table(wb, "tblPayments")
    assert pays[-1]["PayerAccount"] == "DE89370400440532013000" and pays[-1]["CustomerID"] == "C0003"


def test_review_decision_problems_name_the_cell(tmp_path):
    wb = workbook()
    f = bank_csv(tmp_path / "b.csv", [("2026-03-03", "333.33", "Someone", "thanks", "")])
    run(wb, "receive", bank_files=[f])
    h = wb.headers["tblReview"]
    row = list(wb.rows["tblReview"][0])
    row[h.index("InvoiceNos")] = "INV-2026-09999"
    wb.rows["tblReview"] = [tuple(row)]
    r = run(wb, "apply-review")
    assert not r.ok and r.problems[0].sheet == "Review" and r.problems[0].column == "InvoiceNos"
    assert "INV-2026-09999" in r.problems[0].message


def test_write_off_within_tolerance_and_partial_beyond(tmp_path):
    wb = workbook()
    f = bank_csv(tmp_path / "b.csv", [
        ("2026-03-02", "999.70", "Northwind", "INV-2026-00042", "NL91ABNA0417164300"),
        ("2026-03-02", "200.00", "Acme", "INV-2026-00002", "BE71096123456769"),
    ])
    r = run(wb, "receive", bank_files=[f])
    assert r.ok and r.summary["write_offs"] == 1
    allocs = table(wb, "tblAllocations")
    wo = [a for a in allocs if a["Kind"] == "write-off"]
    assert [(a["InvoiceNo"], a["Amount"]) for a in wo] == [("INV-2026-00042", Decimal("0.30"))]
    part = [a for a in allocs if a["InvoiceNo"] == "INV-2026-00002"]
    assert [(a["Kind"], a["Amount"]) for a in part] == [("applied", Decimal("200.00"))]
    assert "42.00 left open" in part[0]["Reason"]
    wo_lines = [j for j in table(wb, "tblJournal") if j["DocType"] == "write-off"]
    assert {j["Account"] for j in wo_lines} == {"6800", "1100"}


def test_deposit_slip_and_its_bank_line(tmp_path):
    wb = workbook()
    wb.rows["tblReceipts"] = [
        (date(2026, 3, 2), "check", "Acme Bakery Ltd", "C0001", "INV-2026-00001", "100234", Decimal("121.00"), "EUR", None),
        (date(2026, 3, 2), "check", "Blue Harbor Dental", None, "INV-2026-00043", "555001", Decimal("333.33"), "EUR", None),
    ]
    assert run(wb, "receive").summary["auto_posted"] == 2
    undeposited = [j for j in table(wb, "tblJournal") if j["Account"] == "1050"]
    assert len(undeposited) == 2
    r = run(wb, "deposit", deposit_date=date(2026, 3, 3))
    slip = r.summary["deposit_slips"][0]
    assert slip["total"] == "454.33" and slip["check_numbers"] == ["100234", "555001"]
    assert len(wb.rows["tblDeposits"]) == 2
    assert run(wb, "deposit", deposit_date=date(2026, 3, 3)).summary["deposit_slips"] == []
    from ardesk.documents.deposit_slip import write_slip
    pdf = write_slip(tmp_path / "slip.pdf", r.deposit_slips[0], "Example Billing Ltd")
    from pypdf import PdfReader
    text = PdfReader(str(pdf)).pages[0].extract_text()
    assert "100234" in text and "555001" in text and "454.33" in text and slip["deposit_id"] in text
    f = bank_csv(tmp_path / "b.csv", [("2026-03-05", "454.33", "", "deposit", "")])
    r = run(wb, "receive", bank_files=[f])
    assert r.summary["deposits_banked"] == 1 and r.summary["receipts_posted"] == 0
    lines = [j for j in table(wb, "tblJournal") if j["DocType"] == "deposit banked"]
    assert {(j["Account"], j["Debit"], j["Credit"]) for j in lines} == {
        ("1000", Decimal("454.33"), None), ("1050", None, Decimal("454.33"))}
    again = run(wb, "receive", bank_files=[f])
    assert again.summary["duplicates_skipped"] == 1 and not again.changes.appends.get("tblPayments")


STRIPE = """balance_transaction_id,created,available_on,currency,gross,fee,net,reporting_category,source_id,charge_id,payment_intent_id,invoice_id,automatic_payout_id,customer_name,description
txn_1,2026-03-02 10:00:00,2026-03-04 00:00:00,eur,1000.00,14.75,985.25,charge,ch_1,ch_1,pi_1,INV-2026-00042,po_1,Northwind Logistics BV,
txn_2,2026-03-02 11:00:00,2026-03-04 00:00:00,eur,60.50,1.13,59.37,charge,ch_2,ch_2,pi_2,,po_1,Acme Bakery Ltd,order
txn_3,2026-03-04 00:00:00,2026-03-04 00:00:00,eur,-1044.62,0.00,-1044.62,payout,po_1,,,,po_1,,
"""
REFUND = """balance_transaction_id,created,available_on,currency,gross,fee,net,reporting_category,source_id,charge_id,payment_intent_id,invoice_id,automatic_payout_id,customer_name,description
txn_9,2026-03-10 10:00:00,2026-03-12 00:00:00,eur,-400.00,0.00,-400.00,refund,re_1,ch_1,pi_1,INV-2026-00042,,Northwind Logistics BV,
"""


def test_card_settlement_payout_and_refund(tmp_path):
    wb = workbook()
    rep = tmp_path / "stripe.csv"
    rep.write_text(STRIPE)
    r = run(wb, "receive", processor_files=[rep])
    assert r.ok, r.problems
    assert r.summary["auto_posted"] == 2 and r.summary["card_fees"] == 2
    j = table(wb, "tblJournal")
    receipts = [x for x in j if x["DocType"] == "receipt"]
    assert {x["Account"] for x in receipts} == {"1060", "1100"}
    fees = [x for x in j if x["DocType"] == "card fee"]
    assert sum(x["Debit"] or 0 for x in fees if x["Account"] == "6100") == Decimal("15.88")
    bank = bank_csv(tmp_path / "b.csv", [("2026-03-05", "1044.62", "STRIPE", "STRIPE PAYOUT", "")])
    r = run(wb, "receive", bank_files=[bank], processor_files=[rep])
    assert r.summary["payouts_banked"] == 1 and r.summary["receipts_posted"] == 0
    assert r.summary["duplicates_skipped"] >= 2
    ref = tmp_path / "refund.csv"
    ref.write_text(REFUND)
    r = run(wb, "receive", processor_files=[ref])
    assert r.summary["refunds"] == 1
    allocs = table(wb, "tblAllocations")
    assert [a["Amount"] for a in allocs if a["InvoiceNo"] == "INV-2026-00042"] == [Decimal("1000.00"),
                                                                                Decimal("-400.00")]
    from ardesk import app
    books = app.load(wb)
    assert books.ledger.open_amount("INV-2026-00042") == 40000
    assert not check_balanced(books.ledger.journal)
    clearing = books.ledger.account_balance("1060")
    assert clearing["EUR"] == -40000          # refund paid out of the next payout
    assert run(wb, "receive", processor_files=[ref]).summary["refunds"] == 0


def test_an_overpayment_on_a_quoted_invoice_is_credit_and_touches_no_other_invoice(tmp_path):
    wb = workbook()
    f = bank_csv(tmp_path / "b.csv", [
        ("2026-03-02", "300.00", "Acme Bakery Ltd", "INV-2026-00002", "BE71096123456769")])
    r = run(wb, "receive", bank_files=[f])
    assert r.ok and r.summary["auto_posted"] == 1, r.problems
    allocs = [(a["Kind"], a["InvoiceNo"], a["Amount"]) for a in table(wb, "tblAllocations")]
    # INV-2026-00001 and -00003 are open and older than the receipt: the payer did not name them
    assert allocs == [("applied", "INV-2026-00002", Decimal("242.00")), ("credit", None, Decimal("58.00"))]
