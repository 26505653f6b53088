"""Every matching rule alone, then their order."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ardesk.core.cash.amounts import fit_amount, within_tolerance
from ardesk.core.cash.references import EXACT, LOOSE, TYPO, ReferenceIndex
from ardesk.core.cash.matching import (Incoming, MatchIndex, propose, rule_amount_only, rule_payer_amount,
                                  rule_reference)
from ardesk.core.model import Payment

from .conftest import customers_of, invoice, ledger_of

D = date(2026, 3, 10)


def inc(amount: str, reference="", payer="", account="", customer_id="", text=""):
    return Incoming(D, int(Decimal(amount) * 100), "EUR", f"fp-{amount}-{reference}-{payer}", "bank.csv",
                    "transfer", payer, account, customer_id, reference, text, origin="bank.csv line 2")


def index():
    return MatchIndex(ledger_of(), customers_of())


@pytest.mark.parametrize("text, how", [
    ("INV-2026-00042", EXACT), ("inv 2026 00042", EXACT), ("INV202600042", EXACT),
    ("RF18 5390 0754 7034", EXACT), ("INV2026-42", LOOSE), ("2026/0042", LOOSE), ("inv 42", LOOSE),
    ("payment INV-2026-0042 thanks", LOOSE), ("INV-2026-00O42", LOOSE), ("INV-2026-OOO42", LOOSE), ("INV-2026-000042", LOOSE),
    ("INV-2026-00942", TYPO), ("Rechnung 42", LOOSE), ("Facture 2026-00042", LOOSE), ("Fattura n. 42", LOOSE),
])
def test_reference_forms(text, how):
    ix = ReferenceIndex()
    for i in ledger_of().invoices:
        ix.add(i.number, i.creditor_ref)
    found = ix.find(text)
    assert [(f.invoice_no, f.how) for f in found] == [("INV-2026-00042", how)]


def test_several_numbers_in_one_text_in_order():
    ix = ReferenceIndex()
    for i in ledger_of().invoices:
        ix.add(i.number)
    found = ix.find("inv 2026/0002, INV-2026-00001 and inv 3")
    assert [f.invoice_no for f in found] == ["INV-2026-00002", "INV-2026-00001", "INV-2026-00003"]


def test_dates_and_amounts_are_not_invoice_numbers():
    ix = ReferenceIndex()
    for i in ledger_of().invoices:
        ix.add(i.number)
    assert ix.find("paid 2026-03-15 amount 1000.00 on 2026/03/15") == []


def test_reference_exact_amount_settles_is_certain():
    p = rule_reference(inc("1000.00", "INV-2026-00042"), index())
    assert (p.customer_id, p.invoice_nos, p.confidence) == ("C0002", ("INV-2026-00042",), 1.0)
    assert "settles" in p.reason


def test_reference_typo_is_less_certain_and_says_so():
    p = rule_reference(inc("1000.00", "INV-2026-00942"), index())
    assert p.invoice_nos == ("INV-2026-00042",) and p.confidence == 0.75
    assert "one character differs" in p.reason


def test_reference_partial_needs_the_payer_to_agree():
    unknown = rule_reference(inc("400.00", "INV-2026-00042"), index())
    known = rule_reference(inc("400.00", "INV-2026-00042", account="NL91 ABNA 0417 1643 00"), index())
    assert unknown.confidence < 0.9 <= known.confidence
    assert "partial" in known.reason


def test_reference_of_someone_else_with_payer_account_is_doubted():
    p = rule_reference(inc("1000.00", "INV-2026-00042", account="BE71096123456769"), index())
    assert p.confidence == 0.5 and "C0001" in p.reason


def test_several_invoices_of_one_customer():
    p = rule_reference(inc("363.00", "INV-2026-00001 INV-2026-00002"), index())
    assert p.invoice_nos == ("INV-2026-00001", "INV-2026-00002") and p.confidence == 1.0


def test_payer_by_account_and_amount_of_one_item():
    p = rule_payer_amount(inc("242.00", "thanks", account="BE71 0961 2345 6769"), index())
    assert (p.customer_id, p.invoice_nos) == ("C0001", ("INV-2026-00002",))
    assert p.confidence == 0.98 and p.rule == "bank account" and "equals open" in p.reason


def test_payer_by_subset_sum_says_bounded_search():
    p = rule_payer_amount(inc("181.50", account="BE71096123456769"), index())
    assert p.invoice_nos == ("INV-2026-00001", "INV-2026-00003")
    assert "combination" in p.reason and p.confidence == pytest.approx(0.98 * 0.95, abs=1e-3)


def test_payer_by_all_items():
    p = rule_payer_amount(inc("423.50", account="BE71096123456769"), index())
    assert len(p.invoice_nos) == 3 and p.confidence == 0.98


def test_payer_by_exact_and_fuzzy_name():
    exact = rule_payer_amount(inc("333.33", payer="BLUE HARBOR DENTAL"), index())
    fuzzy = rule_payer_amount(inc("333.33", payer="Blue Harbour Dental"), index())
    assert exact.customer_id == fuzzy.customer_id == "C0003"
    assert exact.confidence == 0.95 and 0.6 <= fuzzy.confidence < 0.9
    assert "similar" in fuzzy.reason


def test_learned_account_from_earlier_payment():
    led = ledger_of()
    led.add_payments([Payment("PAY-0000001", D, 100, "EUR", "fp", customer_id="C0003",
                              payer_account="DE89370400440532013000")])
    ix = MatchIndex(led, customers_of())
    p = rule_payer_amount(inc("333.33", account="DE89 3704 0044 0532 0130 00"), ix)
    assert p.customer_id == "C0003" and p.rule.startswith("learned account")


def test_an_index_and_its_ledger_are_freed_without_the_cyclic_collector():
    """Reference counting alone frees them once a run lets go: a run pauses the cyclic collector, and a
    reference cycle would keep the whole ledger for it to scan when the run ends."""
    import gc
    import weakref
    led = ledger_of()
    ix = MatchIndex(led, customers_of())          # a run that never looks a payer up by account
    gone = weakref.ref(ix), weakref.ref(led)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        del ix, led
        assert [ref() for ref in gone] == [None, None]
    finally:
        if was_enabled:
            gc.enable()


def test_underpayment_within_tolerance_and_beyond():
    assert within_tolerance(30, 100_000, 50, Decimal("0.005"))
    assert not within_tolerance(60, 100_000, 50, Decimal("0.005"))      # over the amount
    assert not within_tolerance(40, 1_000, 50, Decimal("0.005"))        # over the share
    items = [(invoice("INV-1", "C1", "1000.00"), 100_000)]
    assert fit_amount(99_970, items, 2, 50, Decimal("0.005")).rule == "amount tolerance"
    assert fit_amount(90_000, items, 2, 50, Decimal("0.005")).rule == "oldest first"


def test_amount_only_is_a_guess_for_review():
    p = rule_amount_only(inc("333.33", payer="someone"), index())
    assert p.customer_id == "C0003" and p.confidence == 0.6


def test_nothing_known_gives_no_proposal():
    assert propose(inc("17.00", "gift", payer="Unknown person"), index()) is None


def test_order_reference_before_payer_amount():
    # the payer's account says C0001 and the amount fits C0001's invoice, but the text quotes C0003's
    p = propose(inc("242.00", "INV-2026-00043", account="BE71096123456769"), index())
    assert p.rule == "reference" and p.confidence < 0.9


def test_order_payer_amount_before_amount_only():
    p = propose(inc("333.33", account="BE71096123456769"), index())
    assert p.customer_id == "C0001" and p.rule.startswith("bank account")


SHORT_BOOKS = [invoice(f"INV-2026-{n:05d}", "C0001", "100.00") for n in (713, 714, 715, 1191)] + [
    invoice("INV-2026-00014", "C0002", "50.00"), invoice("INV-2026-00716", "C0003", "70.00")]


def short_index():
    return MatchIndex(ledger_of(SHORT_BOOKS), customers_of())


@pytest.mark.parametrize("text, nos", [
    ("INV-2026-00713 + 01191", (713, 1191)),
    ("INV 713 + 1191", (713, 1191)),
    ("Rechnung INV-2026-00713 und 1191", (713, 1191)),
    ("INV 713 & 1191", (713, 1191)),
    ("INV-2026-00713/714/715", (713, 714, 715)),
    ("INV-2026-00713-715", (713, 714, 715)),
    ("inv 2026-00713 to 715", (713, 714, 715)),
    ("INV-2026-00713, inv 1191", (713, 1191)),
])
def test_short_second_and_third_numbers_after_a_full_one(text, nos):
    found = short_index().refs.find(text)
    assert [f.invoice_no for f in found] == [f"INV-2026-{n:05d}" for n in nos]
    p = rule_reference(inc(f"{100 * len(nos)}.00", text, account="BE71096123456769"), short_index())
    assert p.invoice_nos == tuple(f"INV-2026-{n:05d}" for n in nos) and p.confidence >= 0.95, p


@pytest.mark.parametrize("text", [
    "INV-2026-00713/14",            # 714, or INV-2026-00014 of another customer: not read
    "INV-2026-00713, 12.03.2026",   # a date, not a number
    "INV-2026-00713 - 717",         # 716 is not this customer's, 717 does not exist
])
def test_what_is_not_a_short_number_is_not_read(text):
    assert [f.invoice_no for f in short_index().refs.find(text)] == ["INV-2026-00713"]


@pytest.mark.parametrize("text, amount, nos", [
    ("INV-2026-00713 + 01191", "150.00", (713, 1191)),
    ("INV-2026-00713-715", "250.00", (713, 714, 715)),
])
def test_a_short_number_the_amount_does_not_confirm_goes_to_review(text, amount, nos):
    p = rule_reference(inc(amount, text, account="BE71096123456769"), short_index())
    assert p.invoice_nos == tuple(f"INV-2026-{n:05d}" for n in nos) and p.confidence < 0.9
    assert "short number" in p.reason and amount in p.reason
