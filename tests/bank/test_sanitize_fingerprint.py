from __future__ import annotations

from datetime import date

import pytest

from ardesk.bank import BankFileError, BankLine, fingerprint_lines, read_statement
from ardesk.bank.sanitize import is_formula_like, luhn_ok, mask_card_numbers


@pytest.mark.parametrize("text,expected", [
    ("paid with 4111 1111 1111 1111", "paid with ************1111"),
    ("4111-1111-1111-1111", "************1111"),
    ("amex 378282246310005.", "amex ***********0005."),
    ("card 4111111111111111 exp 2027", "card ************1111 exp 2027"),
    ("ref 1234567812345678", "ref 1234567812345678"),          # 16 digits, fails Luhn: kept
    ("IBAN DE89370400440532013000", "IBAN DE89370400440532013000"),
    ("order 123456789012", "order 123456789012"),             # too short for a card number
])
def test_mask_card_numbers(text, expected):
    assert mask_card_numbers(text) == expected


def test_luhn():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


@pytest.mark.parametrize("text,expected", [
    ("=HYPERLINK(\"x\")", True), ("+1", True), ("-2+3", True), ("@SUM(A1)", True),
    ("\t=1", True), ("\r+1", True), ("Acme = Co", False), ("", False), ("\tplain", False),
])
def test_is_formula_like(text, expected):
    assert is_formula_like(text) is expected


def test_same_statement_twice_same_fingerprints_and_equal_lines_differ(write):
    csv = "date,amount,payer,reference\n2024-03-01,10.00,Shop,\n2024-03-01,10.00,Shop,\n2024-03-02,5.00,Shop,\n"
    a = read_statement(write("a.csv", csv))
    b = read_statement(write("b.csv", csv))
    assert [x.fingerprint for x in a.lines] == [y.fingerprint for y in b.lines]
    assert a.lines[0].fingerprint != a.lines[1].fingerprint
    assert len({x.fingerprint for x in a.lines}) == 3


def test_overlapping_statements_share_fingerprints_by_bank_ref():
    line = dict(booking_date=date(2024, 3, 1), amount=100, currency="EUR", account="NL01", bank_ref="B-1")
    first = fingerprint_lines([BankLine(**line), BankLine(**{**line, "bank_ref": "B-2"})])
    second = fingerprint_lines([BankLine(**{**line, "bank_ref": "B-2"}, source="other.xml")])
    assert first[1].fingerprint == second[0].fingerprint
    assert first[0].fingerprint != first[1].fingerprint


def test_unknown_format_and_unreadable_file(write, tmp_path):
    with pytest.raises(BankFileError, match="format not recognised"):
        read_statement(write("x.txt", "hello\nworld\n"))
    with pytest.raises(BankFileError, match="cannot be read"):
        read_statement(tmp_path / "missing.xml")
    with pytest.raises(BankFileError, match="unknown format 'qif'"):
        read_statement(write("x.qif", "!Type:Bank\n"), fmt="qif")
