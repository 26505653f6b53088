"""Dunning: proposals, statutory interest and compensation, issue, idempotence, disputes."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from ardesk.core.collections.dunning import RateBook, interest, letter_fields, statutory_compensation
from ardesk.core.collections.model import DunningLevel, ReferenceRate

from .conftest import billed, charge, check_books, customer, level, receipt, run

# The ECB main refinancing operations rate was 4.50% from 20 September 2023 (ECB monetary policy decision of
# 14 September 2023) until 11 June 2024: the rate "on the first calendar day of the half-year" of H1 2024, the
# reference rate of Directive 2011/7/EU art. 2(12).
EU_H1_2024 = ("EU", date(2024, 1, 1), D("0.045"), "ECB MRO rate since 2023-09-20")


def eu_level(**kw):
    return DunningLevel("standard", 1, 30, 0, 0, "EUR", "EU", D(0), "statutory", "letter", "reminder-1", 0, **kw)


def test_statutory_interest_eu_reference_rate_plus_8_points_on_1000_for_30_days():
    # Directive 2011/7/EU art. 12(2) with art. 2(12): reference rate 4.50% + 8 points = 12.50% a year;
    # simple, actual/365: 1,000.00 x 12.50% x 30 / 365 = 10.2739... -> 10.27 (half-up to the cent).
    rates = RateBook([ReferenceRate("EU", date(2024, 1, 1), D("0.045"))])
    minor, how = interest(100000, "EUR", eu_level(), date(2024, 3, 1), date(2024, 3, 31), rates)
    assert minor == 1027
    assert how.startswith("1,000.00 x 12.50% x 30/365 = 10.27 (EU: ECB main refinancing rate + 8 points")


def test_interest_over_two_half_years_uses_each_half_years_rate():
    # 2024-06-21..06-30 at 4.50% + 8, 2024-07-01..07-10 at 4.25% + 8 (the MRO rate on 1 July 2024)
    rates = RateBook([ReferenceRate("EU", date(2024, 1, 1), D("0.045")),
                      ReferenceRate("EU", date(2024, 7, 1), D("0.0425"))])
    minor, how = interest(100000, "EUR", eu_level(), date(2024, 6, 20), date(2024, 7, 10), rates)
    # 1000 x (0.125 x 10 + 0.1225 x 10) / 365 = 6.7808 -> 6.78
    assert minor == 678 and " + " in how and "12.25%" in how


def test_uk_fixed_sums_by_size_of_debt():
    # Late Payment of Commercial Debts (Interest) Act 1998 s.5A(2) (inserted by SI 2002/1674):
    # less than 1,000.00: 40; 1,000.00 to less than 10,000.00: 70; 10,000.00 or more: 100.
    assert [statutory_compensation("GBP", v) for v in (1, 99999, 100000, 999999, 1000000, 5000000)] == \
        [4000, 4000, 7000, 7000, 10000, 10000]
    assert statutory_compensation("EUR", 123) == 4000          # Directive 2011/7/EU art. 6(1): EUR 40
    assert statutory_compensation("USD", 123) == 0


def books_2024(levels, *, terms=60, extra_customers=(), **tables):
    """INV-2024-00001: 1,000.00 without tax issued 2024-01-01, due 2024-03-01 (60 days, 2024 is a leap year)."""
    return billed([customer("C1", "Acme Bakery", terms=terms, rate="0"), *extra_customers],
                  [charge("K1", "C1", "1000.00", "once", date(2024, 1, 1))], period="2024-01",
                  tblDunningLevels=levels, tblReferenceRates=[EU_H1_2024], **tables)


def test_dunning_run_proposes_issue_posts_separate_invoice_and_logs_history():
    wb = books_2024([level(1, 30, fee="5.00", basis="EU", comp="statutory"), level(2, 45, fee="10.00")])
    res = run(wb, "dunning", as_of=date(2024, 3, 31))
    assert res.ok, res.problems
    item, letter = wb.rows["tblDunning"]
    assert item[1:3] == ("item", "C1") and item[5] == "INV-2024-00001" and item[7] == 30 and item[10] == 1
    assert (item[12], item[13], item[14]) == (D("10.27"), D("40.00"), D("1050.27"))
    assert item[17].startswith("1,000.00 x 12.50% x 30/365 = 10.27")
    assert letter[1] == "letter" and (letter[11], letter[14]) == (D("5.00"), D("1055.27"))
    assert run(wb, "dunning", as_of=date(2024, 3, 31)).written is False          # same proposals: nothing new
    issued_before = list(wb.rows["tblInvoices"])
    res = run(wb, "issue-dunning")                       # as of the date of the proposals on the tab
    assert res.ok, res.problems
    assert wb.rows["tblInvoices"][:1] == issued_before    # the dunned invoice is not altered
    fee_inv = wb.rows["tblInvoices"][1]
    assert (fee_inv[0], fee_inv[1], fee_inv[3], fee_inv[5], fee_inv[9]) == (
        "INV-2024-00002", "invoice", date(2024, 3, 31), "dunning", D("55.27"))
    assert [(ln[3], ln[10]) for ln in wb.rows["tblInvoiceLines"] if ln[0] == "INV-2024-00002"] == [
        ("FEE", D("5.00")), ("INTEREST", D("10.27")), ("COMPENSATION", D("40.00"))]
    assert [(j[3], j[5], j[6]) for j in wb.rows["tblJournal"] if j[10] == "INV-2024-00002"] == [
        ("1100", D("55.27"), None), ("4900", None, D("55.27"))]
    (h,) = wb.rows["tblDunningHistory"]
    assert (h[1], h[3], h[4], h[5], h[7], h[8], h[9], h[10], h[11]) == (
        "DL-0000001", "INV-2024-00001", 1, D("1000.00"), D("5.00"), D("10.27"), date(2024, 3, 31), D("40.00"),
        "INV-2024-00002")
    assert res.letters[0].letter.template == "reminder-letter" and res.letters[0].letter.total == 105527
    fields = letter_fields(res.letters[0], None)
    assert (fields["template"], fields["level"], fields["total"], fields["charge_invoice"]) == (
        "reminder-letter", 1, D("1055.27"), "INV-2024-00002")
    assert fields["items"][0]["interest_computation"].startswith("1,000.00 x 12.50% x 30/365 = 10.27")
    assert wb.settings["NextInvoiceNumber"] == 3
    # idempotent: a second issue and a new run the same day add nothing
    again = run(wb, "issue-dunning", as_of=date(2024, 3, 31))
    assert again.ok and "tblDunningHistory" not in again.changes.appends and not again.letters
    run(wb, "dunning", as_of=date(2024, 3, 31))
    assert wb.rows["tblDunning"] == []
    # level 2 comes 15 days later; interest runs on from the day after it was last charged to
    run(wb, "dunning", as_of=date(2024, 4, 15))
    rows = [r for r in wb.rows["tblDunning"] if r[5] == "INV-2024-00001"]
    assert [(r[10], r[12]) for r in rows] == [(2, None)]           # level 2 charges no interest (basis none)
    check_books(wb, [date(2024, 3, 30), date(2024, 3, 31), date(2024, 12, 31)])


def test_open_dispute_pauses_dunning_on_the_disputed_amount_only():
    disputes = [("D1", date(2024, 3, 5), "INV-2024-00001", D("300.00"), "quality", "open", "ann", None, None)]
    wb = books_2024([level(1, 30, basis="EU")], tblDisputes=disputes)
    assert run(wb, "dunning", as_of=date(2024, 3, 31)).ok
    item = wb.rows["tblDunning"][0]
    assert (item[8], item[9], item[12]) == (D("1000.00"), D("300.00"), D("7.19"))   # 700 x 12.5% x 30/365 = 7.19
    # a fully disputed invoice is not dunned at all
    wb.rows["tblDisputes"][0] = disputes[0][:3] + (D("1000.00"),) + disputes[0][4:]
    run(wb, "dunning", as_of=date(2024, 3, 31))
    assert wb.rows["tblDunning"] == []
    # credited: a credit note for the disputed amount, stamped on the row; the invoice then owes the rest
    wb.rows["tblDisputes"][0] = disputes[0][:5] + ("credited",) + disputes[0][6:]
    res = run(wb, "credit", when=date(2024, 4, 2))
    assert res.ok, res.problems
    assert wb.rows["tblDisputes"][0][8] == "CN-2024-00001"
    cn = wb.rows["tblInvoices"][1]
    assert (cn[1], cn[9], cn[11]) == ("credit note", D("-300.00"), "INV-2024-00001")
    assert run(wb, "credit", when=date(2024, 4, 3)).written is False
    run(wb, "dunning", as_of=date(2024, 4, 5))
    assert wb.rows["tblDunning"][0][8] == D("700.00") and wb.rows["tblDunning"][0][9] is None
    check_books(wb, [date(2024, 4, 30)])


def test_dispute_on_an_unknown_invoice_is_named_and_nothing_written():
    disputes = [("D1", date(2024, 3, 5), "INV-2024-09999", D("30.00"), "price", "open", None, None, None)]
    wb = books_2024([level(1, 30)], tblDisputes=disputes)
    res = run(wb, "dunning", as_of=date(2024, 3, 31))
    (p,) = res.problems
    assert (p.sheet, p.row, p.column, p.value) == ("Disputes", 2, "InvoiceNo", "INV-2024-09999")
    assert wb.rows["tblDunning"] == [] and "tblDunning" not in res.changes.replace


def test_dunning_level_without_a_template_is_refused():
    wb = books_2024([level(1, 30), level(2, 60, template=None)])
    res = run(wb, "dunning", as_of=date(2024, 3, 31))
    (p,) = res.problems
    assert (p.sheet, p.row, p.column, p.message) == ("DunningLevels", 3, "Template (J)", "is required")


def test_missing_reference_rate_is_named():
    wb = books_2024([level(1, 30, basis="EU")])
    wb.rows["tblReferenceRates"] = []
    res = run(wb, "dunning", as_of=date(2024, 3, 31))
    assert [str(p) for p in res.problems] == [
        "ReferenceRates, From [2024-01-01]: no EU reference rate for the half year from 2024-01-01 "
        "(needed for INV-2024-00001): add it on ReferenceRates"]


def test_skips_review_waiting_excluded_and_no_policy():
    other = customer("C2", "Blue Dental", terms=60, rate="0")
    third = customer("C3", "Cedar Ltd", terms=60, rate="0")
    wb = billed([customer("C1", "Acme", terms=60, rate="0"), other, third],
                [charge("K1", "C1", "100.00", "once", date(2024, 1, 1)),
                 charge("K2", "C2", "200.00", "once", date(2024, 1, 1)),
                 charge("K3", "C3", "300.00", "once", date(2024, 1, 1))], period="2024-01",
                tblDunningLevels=[level(1, 10)], tblDunningCustomers=[("C3", "none", "key account")])
    # a receipt from C2 waits on Review (amount not matching anything certain)
    wb.rows["tblReceipts"].append(receipt(date(2024, 3, 20), "150.00", "", "INV-2024-00002"))
    assert run(wb, "receive").ok and wb.rows["tblReview"]
    res = run(wb, "dunning", as_of=date(2024, 3, 31))
    assert res.ok, res.problems
    assert {r[2] for r in wb.rows["tblDunning"]} == {"C1"}
    assert any("C2: 1 item(s) not dunned: a receipt waits on the Review tab" in n.message for n in res.notes)
    # the clerk excludes C1's letter: Issue dunning issues nothing
    wb.rows["tblDunning"] = [r[:-1] + ("x",) if r[1] == "letter" else r for r in wb.rows["tblDunning"]]
    res = run(wb, "issue-dunning")
    assert res.ok and wb.rows["tblDunningHistory"] == [] and not res.letters


def test_paid_invoice_is_not_dunned_and_friendly_reminder_comes_before_due():
    wb = books_2024([level(1, -5, template="friendly-reminder"), level(2, 10)])
    res = run(wb, "dunning", as_of=date(2024, 2, 25))          # 5 days before the due date
    assert res.ok and [r[10] for r in wb.rows["tblDunning"] if r[1] == "item"] == [1]
    assert wb.rows["tblDunning"][0][7] == -5
    wb.rows["tblReceipts"].append(receipt(date(2024, 2, 26), "1000.00", "Acme Bakery", "INV-2024-00001", cid="C1"))
    assert run(wb, "receive").ok
    run(wb, "dunning", as_of=date(2024, 3, 31))
    assert wb.rows["tblDunning"] == []


def test_validate_checks_the_collections_tabs_too():
    wb = books_2024([level(1, 30), level(3, 60)],
                    tblPaymentPlans=[("P1", "C9", None, date(2024, 3, 1), date(2024, 4, 1), 3, None, None, None, None,
                                      None, None, None)])
    wb.rows["tblReferenceRates"].append(("EU", date(2024, 2, 1), D("0.045"), None))
    res = run(wb, "validate")
    assert sorted((p.sheet, p.row, p.column.split()[0]) for p in res.problems) == [
        ("DunningLevels", 3, "Level"), ("PaymentPlans", 2, "CustomerID"), ("ReferenceRates", 3, "From")]


def test_issue_dunning_wants_reviewed_proposals_of_its_date():
    wb = books_2024([level(1, 30)])
    res = run(wb, "issue-dunning", as_of=date(2024, 3, 31))
    assert [p.message for p in res.problems] == [
        "no dunning proposals to issue: run Dunning run first and review the Dunning tab"]
    assert run(wb, "dunning", as_of=date(2024, 3, 31)).ok
    res = run(wb, "issue-dunning", as_of=date(2024, 4, 2))
    assert [p.message for p in res.problems] == [
        "the Dunning tab holds the proposals as of 2024-03-31, not 2024-04-02: run Dunning run as of 2024-04-02 and "
        "review them first"]
    assert wb.rows["tblDunningHistory"] == []


def test_a_level_given_twice_is_named():
    wb = books_2024([level(1, 30), level(1, 40)])
    res = run(wb, "dunning", as_of=date(2024, 3, 31))
    assert [(p.row, p.message) for p in res.problems] == [(3, "policy standard: level 1 is given twice (also on row 2)")]
