"""Files in the shapes real banks send that were once refused or misread (tests/bank/files)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ardesk.bank import BankFileError, read_statement

FILES = Path(__file__).parent / "files"


def test_mt940_reversal_of_a_credit_is_money_out_and_the_statements_balance():
    st = read_statement(FILES / "mt940_sepa_reversals.sta")
    assert [ln.amount for ln in st.lines] == [-5000, 2000, 20000, -7000]
    assert [p.closing_balance for p in st.parts] == [117000, 110000]
    assert st.lines[2].reference == "INV-2026-00042"


def test_mt940_long_customer_reference_is_read_whole():
    # an 18-character IBAN as the customer reference, supplementary details on the next line:
    # mt-940's default pattern refuses the line
    st = read_statement(FILES / "mt940_long_reference.sta")
    ln = st.lines[2]
    assert (ln.amount, ln.payer_account, ln.bank_ref, ln.reference) == (
        20000, "NL91ABNA0417164300", "", "INV-2026-00042")
    assert [x.amount for x in st.lines] == [-5000, 2000, 20000] and st.closing_balance == 117000
    assert any("longer than the 16 characters" in p for p in st.problems)


def test_mt940_closing_balance_without_currency_is_read_in_the_opening_currency():
    st = read_statement(FILES / "mt940_closing_no_currency.sta")
    assert st.closing_balance == 117000
    assert any("line 11" in p and ":62F:" in p and "EUR" in p for p in st.problems)


def test_mt940_balance_that_is_no_balance_is_refused_with_its_line(write):
    bad = (FILES / "mt940_closing_no_currency.sta").read_text().replace(":60F:C260301EUR1000,00", ":60F:C2603011000,00")
    with pytest.raises(BankFileError) as err:
        read_statement(write("bad.sta", bad))
    assert "bad.sta line 4: field :60F: 'C2603011000,00'" in str(err.value) and "currency" in str(err.value)


@pytest.mark.parametrize("name", ["bai2_continued_summary.bai2", "bai2_blocked_records.bai2"])
def test_bai2_continuations_and_blocked_records(name):
    st = read_statement(FILES / name)
    (ln,) = st.lines
    assert (ln.amount, ln.bank_ref, ln.reference, ln.text) == (1000, "BANKREF1", "CUSTREF1", "INV-2026-00042 PAYMENT ACME")
    assert (st.opening_balance, st.closing_balance) == (500000, 501000)


@pytest.mark.parametrize("change, message", [
    (("49,2004000,5/", "49,2004001,5/"), "bad.bai2 line 7: Invalid account control total"),
    (("98,2004000,1,7/", "98,2004000,1,8/"), "bad.bai2 line 8: Invalid number of records for Group"),
    (("16,195,1000,", "16,195,10x0,"), "bad.bai2 line 5: '10x0' is not a number"),
    (("16,195,1000,", "17,195,1000,"), "bad.bai2 line 5: '17' is not a BAI2 record code"),
])
def test_bai2_errors_name_the_record_s_own_line(write, change, message):
    text = (FILES / "bai2_continued_summary.bai2").read_text().replace(*change)
    with pytest.raises(BankFileError) as err:
        read_statement(write("bad.bai2", text))
    assert message in str(err.value) and "invalid literal" not in str(err.value)


def test_camt_batch_without_transaction_amounts_is_one_line_of_the_booked_amount():
    st = read_statement(FILES / "camt053_batch_without_amounts.xml", currency="EUR")
    assert st.currency == "USD"                    # from the balances, not the workbook's EUR
    assert [(ln.amount, ln.currency) for ln in st.lines] == [(50000, "USD"), (10000, "USD")]
    assert st.lines[0].text == "INV-2026-00001 INV-2026-00002" and st.lines[0].payer == "Acme Bakery Ltd"
    assert any("transaction 1 of the 2 carries no amount" in p for p in st.problems)


def test_camt_balances_are_checked_in_the_statement_s_currency(write):
    text = (FILES / "camt053_batch_without_amounts.xml").read_text().replace(
        '<Amt Ccy="USD">1600.00</Amt>', '<Amt Ccy="USD">1600.01</Amt>')
    with pytest.raises(BankFileError) as err:
        read_statement(write("bad.xml", text))
    assert "1,600.01" in str(err.value) and "1,600.00" in str(err.value)


OFX = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000358<ACCTID>12345<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20260301<DTEND>20260331
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20260302<TRNAMT>121.00<FITID>F1<NAME>ACME BAKERY<MEMO>INV-2026-00001</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>121.00<DTASOF>20260331</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


@pytest.mark.parametrize("text, message", [
    (OFX.replace("OFXHEADER:100", "OFXHEADER:1OO"), "bad.ofx line 1: 'OFXHEADER:1OO' where the OFX 1.x header has OFXHEADER:100"),
    (OFX.replace("ENCODING:USASCII\n", ""), "bad.ofx line 5: 'CHARSET:1252' where the OFX 1.x header has ENCODING:"),
    (OFX[OFX.index("<OFX>"):], "bad.ofx line 1: '<OFX><BANKMSGSRSV1>"),
])
def test_ofx_header_faults_name_the_line_and_the_rule(write, text, message):
    with pytest.raises(BankFileError) as err:
        read_statement(write("bad.ofx", text), fmt="ofx")
    msg = str(err.value)
    assert msg.startswith(message) and "OFX 1.02 section 2.2" in msg
    assert "object at 0x" not in msg and "NEWFILEUID" not in msg and msg.count("\n") == 0


def test_the_ofx_file_itself_reads(write):
    (ln,) = read_statement(write("ok.ofx", OFX)).lines
    assert (ln.amount, ln.payer, ln.text) == (12100, "ACME BAKERY", "INV-2026-00001")


def test_a_zip_archive_imports_member_by_member_and_names_a_broken_member(tmp_path):
    import zipfile
    from ardesk.bank import read_statements
    sts = read_statements(FILES / "statements.zip")
    assert [(s.source, len(s.lines)) for s in sts] == [("statements.zip:camt053_batch_without_amounts.xml", 2),
                                                      ("statements.zip:mt940_sepa_reversals.sta", 4)]
    assert {ln.source for ln in sts[1].lines} == {"statements.zip:mt940_sepa_reversals.sta"}
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("good.sta", (FILES / "mt940_sepa_reversals.sta").read_text())
        z.writestr("broken.bai2", "01,x/\n")
        z.writestr("__MACOSX/._good.sta", "junk")
    with pytest.raises(BankFileError) as err:
        read_statements(bad)
    assert "bad.zip:broken.bai2" in str(err.value) and err.value.lines_read == 4


@pytest.mark.parametrize("name, text", [
    ("a.bai2", "01,0004,12345,260321,0829,001,80,1,2/\n02,12345,0004,1,260320,,USD,2/\n03,1,USD,010,x/\n"),
    ("a.sta", ":20:X\n:25:1\n:28C:1\n:60F:C260301EUR1,00\n:61:26030X\n:62F:C260301EUR1,00\n-\n"),
    ("a.xml", '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'),
    ("a.ofx", "OFXHEADER:100\nDATA:OFXSGML\n"),
    ("a.csv", "date,amount,payer,reference\n2026-13-01,1.00,x,y\n"),
])
def test_refusals_name_the_file_and_never_show_python(write, name, text):
    with pytest.raises(BankFileError) as err:
        read_statement(write(name, text))
    msg = str(err.value)
    assert msg.startswith(name) and "\n" not in msg
    for leak in ("object at 0x", "Traceback", "invalid literal", "Error(", "KeyError", "NoneType"):
        assert leak not in msg, msg


@pytest.mark.parametrize("change, message", [
    ((":28C:1/1", ":28C:"), "bad.sta line 3: field :28C: '' is not valid MT940"),
    ((":61:2603020302RC50,00", ":61:2613020302RC50,00"), "bad.sta line 5: field :61: '2613020302RC50,00"),
    ((":60F:C260301EUR", ":60F:C261301EUR"), "bad.sta line 4: field :60F: 'C261301EUR1000,00': the date is not a date"),
])
def test_mt940_errors_name_the_field_s_line_without_the_parser_s_objects(write, change, message):
    text = (FILES / "mt940_sepa_reversals.sta").read_text().replace(*change, 1)
    with pytest.raises(BankFileError) as err:
        read_statement(write("bad.sta", text))
    assert str(err.value).startswith(message) and "object at 0x" not in str(err.value)
