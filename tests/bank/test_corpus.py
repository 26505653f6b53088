"""Every real bank file of the shared corpus imports, with its exact line count and real values."""
from __future__ import annotations

from datetime import date

import pytest

from ardesk.bank import BankFileError, detect_format, read_statement

COUNTS = [
    ("camt/genkgo_camt053.v2.minimal.xml", "camt.053", 1),
    ("camt/genkgo_camt053.v4.xml", "camt.053", 1),
    ("camt/genkgo_camt054.v8.xml", "camt.054", 1),
    ("mt940/rabobank-iban.sta", "mt940", 4),
    ("mt940/cmxl_mt940.sta", "mt940", 16),
    ("ofx/checking.ofx", "ofx", 3),
    ("ofx/bank_medium.ofx", "ofx", 3),
    ("bai2/nwb.bai2", "bai2", 5),
]


@pytest.mark.parametrize("rel,fmt,count", COUNTS)
def test_corpus_file_imports_with_its_line_count(corpus, rel, fmt, count):
    path = corpus / rel
    assert detect_format(path.read_bytes()) == fmt
    st = read_statement(path)
    assert len(st.lines) == count
    assert len({ln.fingerprint for ln in st.lines}) == count
    assert all(ln.source == path.name for ln in st.lines)


# Two corpus files do not add up: their closing balances differ from opening + lines.
@pytest.mark.parametrize("rel,count,figures", [
    ("mt940/abnamro.sta", 10, ["3,236.28", "-321.44", "876.84", "2,876.84", "-24.49", "1,849.75"]),
])
def test_corpus_files_that_do_not_balance_are_refused_unless_lenient(corpus, rel, count, figures):
    path = corpus / rel
    with pytest.raises(BankFileError) as err:
        read_statement(path)
    for f in figures:
        assert f in str(err.value)
    st = read_statement(path, strict_balances=False)
    assert len(st.lines) == count
    assert any("closing balance" in p for p in st.problems)


def test_camt053_v2_values(corpus):
    st = read_statement(corpus / "camt/genkgo_camt053.v2.minimal.xml")
    assert st.format == "camt.053.001.02"
    assert st.account == "NL26VAYB8060476890"
    assert st.opening_balance == 1815
    (ln,) = st.lines
    assert (ln.booking_date, ln.value_date, ln.amount, ln.currency) == (date(2014, 12, 31), date(2015, 1, 2), 885, "EUR")
    assert ln.payer == "NAME NAME" and ln.payer_account == "NL56AGDH9619008421"
    assert ln.reference == "4654654654654654"
    # The closing balance is given in SEK on a EUR account: not compared, and said so.
    assert st.closing_balance is None
    assert any("SEK" in p for p in st.problems)


def test_camt053_v4_values(corpus):
    st = read_statement(corpus / "camt/genkgo_camt053.v4.xml")
    assert st.format == "camt.053.001.04"
    assert st.account == "NL26VAYB8060476890"          # Acct/Id/Othr/Id
    (ln,) = st.lines
    assert ln.amount == 885 and ln.currency == "EUR"     # the entry amount, not TxDtls' 0 SEK
    assert ln.bank_ref == "AAAASESS-FP-CN_98765/01"


def test_camt054_v8_debit_entry_with_credit_details_in_another_currency_is_one_debit(corpus):
    # Ntry: DBIT 200000 SEK; its three TxDtls: CRDT 3.10 / 3.20 / 3.20 CHF.  The booked amount is
    # the entry's: one debit, carrying the three transactions' remittance, and a note with the figures.
    st = read_statement(corpus / "camt/genkgo_camt054.v8.xml")
    assert st.format == "camt.054.001.08"
    assert st.opening_balance is None and st.closing_balance is None
    (ln,) = st.lines
    assert (ln.amount, ln.currency) == (-20000000, "SEK")
    assert ln.reference == "ISR ref number V1 ISR ref number V2 Ref number V3 block 1 Ref number V3 block 2"
    assert ln.text.startswith("Unstructured Remittance Information V1")
    assert any("in CHF, the entry booked in SEK" in p and "-200,000.00 SEK" in p for p in st.problems)


def test_rabobank_values(corpus):
    st = read_statement(corpus / "mt940/rabobank-iban.sta")
    assert st.account == "NL71RABO0123456789"
    assert (st.opening_balance, st.closing_balance) == (100000, 93000)
    assert len(st.parts) == 2
    first = st.lines[0]
    assert (first.booking_date, first.amount) == (date(2013, 1, 1), -2500)
    assert first.payer == "CONTRA ACCOUNT HOLDER"
    assert first.payer_account == "NL70ABNA0987654321"
    assert first.reference == "01-01-2013 12:00 0030000987654321"
    assert st.lines[1].text == "Reference 201301234" and st.lines[1].payer == "JOHN DOE"


def test_cmxl_values(corpus):
    st = read_statement(corpus / "mt940/cmxl_mt940.sta")
    assert [p.account for p in st.parts] == ["45050050/76198810", "10020030/1234567", "BPHKPLPK/320000546101"]
    assert [p.currency for p in st.parts] == ["DEM", "EUR", "PLN"]
    assert st.opening_balance is None                # three accounts: no file-wide balance
    check = st.lines[0]
    assert (check.amount, check.currency, check.kind, check.check_no) == (-680000, "DEM", "check", "16703074")
    rent = st.lines[11]
    assert (rent.amount, rent.payer, rent.payer_account, rent.text) == (-80000, "MUELLER", "234567", "Miete November")
    assert rent.bank_ref == "55555"
    polish = st.lines[13]
    assert polish.amount == 2000000 and polish.payer.startswith("HUTA SZKLA TOPIC UL PRZEMYSLOWA")
    assert polish.line_no == 53


def test_abnamro_values(corpus):
    st = read_statement(corpus / "mt940/abnamro.sta", strict_balances=False)
    first = st.lines[0]
    assert (first.booking_date, first.amount, first.line_no) == (date(2011, 5, 24), -900, 8)
    assert "BETREFT FACTUUR D.D. 20-05-2011" in first.text


def test_ofx_checking_values(corpus):
    st = read_statement(corpus / "ofx/checking.ofx")
    assert st.account == "1452687~7" and st.currency == "USD"
    assert st.closing_balance == 10099
    dividend, electric, fee = st.lines
    assert (dividend.booking_date, dividend.amount, dividend.bank_ref) == (date(2011, 3, 31), 1, "0000486")
    assert electric.payer == "AUTOMATIC WITHDRAWAL, ELECTRIC BILL"
    assert fee.check_no == "319" and fee.amount == -2500
    assert "FOR $45.33" in fee.text
    # ofxtools refuses the file for a ten-digit BANKID; the refusal is reported.
    assert any("BANKID" in p.upper() for p in st.problems)


def test_ofx_bank_medium_keeps_the_banks_local_date(corpus):
    st = read_statement(corpus / "ofx/bank_medium.ofx")
    assert st.currency == "CAD" and st.closing_balance == 38234
    assert [ln.amount for ln in st.lines] == [-660, -31667, -2200]
    assert st.lines[0].booking_date == date(2009, 4, 1)
    assert st.lines[1].payer == "Joe's Bald Hairstyles" and st.lines[1].kind == "check"
    assert st.problems == ()


def test_bai2_nwb_values(corpus):
    st = read_statement(corpus / "bai2/nwb.bai2")
    assert (st.opening_balance, st.closing_balance, st.currency) == (36521, 33845, "GBP")
    assert [ln.amount for ln in st.lines] == [-971, -100, -123, -1571, 89]
    assert st.lines[-1].text.endswith("INTERNATIONAL-5373 CLIE NT SECCY AC TFR")
    assert st.lines[0].line_no == 5


def test_bai2_balances_that_do_not_add_up_are_a_note_citing_the_standard(corpus):
    st = read_statement(corpus / "bai2/citi.bai2")
    (note,) = [p for p in st.problems if "closing balance" in p]
    assert "100.01" in note and "100.00" in note and "16 records are optional" in note


def test_bai2_citi_continuation_text(corpus):
    st = read_statement(corpus / "bai2/citi.bai2", strict_balances=False)
    (ln,) = st.lines
    assert (ln.amount, ln.currency, ln.bank_ref, ln.reference) == (1, "GBP", "1234567890", "RP12312312312312")
    assert "OB:111111 BUCKINGHAM PALACE" in ln.text


def test_reading_twice_gives_the_same_fingerprints(corpus):
    for rel, _, _ in COUNTS:
        a = read_statement(corpus / rel)
        b = read_statement(corpus / rel)
        assert [x.fingerprint for x in a.lines] == [y.fingerprint for y in b.lines]
