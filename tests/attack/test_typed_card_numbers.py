"""Card numbers a clerk typed into input cells: a refused run leaves them as typed and shows none in full; a
run that posts masks them to the last four digits in every tab, naming the cells on Audit, never the number."""
from __future__ import annotations

import attacks


def test_typed_card_numbers_are_masked_by_the_run_that_posts(books):
    out = attacks.typed_card_numbers_masked(books)
    assert out.rejected_kept_as_typed, "the refused run rewrote an input cell or posted"
    assert not out.rejected_leaks, out.rejected_leaks[:3]
    assert out.masked_cells == out.typed_cells == 4 * len(attacks.CARD_SPELLINGS)
    assert out.last_four_kept
    assert not out.leaks, out.leaks[:3]
    assert out.held == len(attacks.CARD_SPELLINGS) == 14


def test_party_ids_and_bank_account_numbers_are_not_taken_for_card_numbers():
    """A SIRET (Luhn-checked) in a Peppol endpoint, and a long account number that happens to pass Luhn in
    the BankAccount column, stay as typed; the same digits in an address are masked."""
    from ardesk.app import ACCOUNT_COLUMNS
    from ardesk.bank.sanitize import luhn_ok, mask_card_numbers, typed_card_numbers
    from ardesk.io.port import Table
    siret = "73282932000074"
    account = next(a for a in (f"12345678901234{d}" for d in "0123456789") if luhn_ok(a))
    assert luhn_ok(siret)
    assert mask_card_numbers(f"0009:{siret}") == f"0009:{siret}"
    assert mask_card_numbers(f"SIRET {siret}") == "SIRET **********0074"
    header = ("CustomerID", "Name", "Address", "BankAccount", "PeppolEndpoint")
    t = Table("tblCustomers", "Customers", header, [("C1", "Acme", f"card {account}", account, f"0009:{siret}")],
              first_row=5, first_col=1)
    found = typed_card_numbers({"tblCustomers": t}, ACCOUNT_COLUMNS)
    assert found == [("tblCustomers", "Customers", 5, 3, "Address", "card ***********" + account[-4:])]


def test_a_fingerprint_whose_digits_pass_luhn_is_not_masked():
    """ardesk's own fingerprints are hex digests; a run of 13+ decimal digits in one may pass Luhn (the Review
    row's fingerprint then no longer matched, and the receipt was proposed again on every run)."""
    from ardesk.bank.sanitize import luhn_ok, mask_card_numbers
    digest = next(f"{k:07x}"[:4] + d for k in range(16 ** 4, 16 ** 5)
                  for d in ["4111111111111111"] if f"{k:07x}"[:4].strip("0123456789"))
    assert luhn_ok("4111111111111111") and len(digest) == 20
    assert mask_card_numbers(f"receipts:{digest}") == f"receipts:{digest}"
    assert mask_card_numbers("visa4012888888881881exp0127") == "visa************1881exp0127"
    assert mask_card_numbers("paid 4111111111111111 thanks") == "paid ************1111 thanks"
