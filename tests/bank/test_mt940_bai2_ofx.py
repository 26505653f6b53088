from __future__ import annotations

from datetime import date

import pytest

from ardesk.bank import BankFileError, read_statement

MT940 = """:20:STARTUMSE
:25:10020030/1234567
:28C:00001/001
:60F:C240301EUR1000,00
:61:2403010301CR250,00NTRFNONREF//BANK-1
:86:166?00SEPA-UEBERWEISUNG?109310?20EREF+INV-2024-0007?21SVWZ+Rechnung INV-2024-0007 M
?22aerz?23KREF+K-1?30GENODEF1S04?31DE44500105175407324931?32Acme GmbH
:61:2403020302DR40,00NDDTNONREF//BANK-2
:86:105?00SEPA-LASTSCHRIFT?20EREF+NOTPROVIDED?21MREF+M-77?22SVWZ+Strom Maerz?32Stadtwerke
:62F:C240302EUR1210,00
-
"""


def test_mt940_sepa_subfields(write):
    st = read_statement(write("umsatz.sta", MT940))
    assert st.format == "SWIFT MT940"
    assert (st.account, st.opening_balance, st.closing_balance) == ("10020030/1234567", 100000, 121000)
    acme, power = st.lines
    assert (acme.booking_date, acme.amount) == (date(2024, 3, 1), 25000)
    assert acme.reference == "INV-2024-0007"
    assert acme.text == "Rechnung INV-2024-0007 Maerz"
    assert (acme.payer, acme.payer_account) == ("Acme GmbH", "DE44500105175407324931")
    assert acme.bank_ref == "BANK-1" and acme.line_no == 5
    assert power.amount == -4000 and power.reference == ""       # NOTPROVIDED is no reference
    assert power.text == "Strom Maerz MREF M-77" and power.payer == "Stadtwerke"


def test_mt940_balance_mismatch_refused(write):
    with pytest.raises(BankFileError) as err:
        read_statement(write("u.sta", MT940.replace(":62F:C240302EUR1210,00", ":62F:C240302EUR1200,00")))
    assert "1,210.00" in str(err.value) and "1,200.00" in str(err.value)


def test_mt940_broken_line_named(write):
    broken = MT940.replace(":61:2403020302DR40,00NDDTNONREF//BANK-2", ":61:24XX020302DR40,00NDDTNONREF")
    with pytest.raises(BankFileError, match=r"u\.sta line 8: field :61: .24XX020302DR40,00NDDTNONREF. is not valid MT940"):
        read_statement(write("u.sta", broken))


def test_mt940_missing_closing_balance(write):
    with pytest.raises(BankFileError, match=r"u\.sta line 1: .*no :62: field"):
        read_statement(write("u.sta", MT940.replace(":62F:C240302EUR1210,00\n", "")), fmt="mt940")


BAI2 = """01,SENDER,RECEIVER,240301,0800,FILE1,,,2/
02,RECEIVER,SENDER,1,240229,2359,USD,2/
03,123456789,USD,010,100000,,,015,112500,,/
16,195,12500,,BANKREF1,CUSTREF1/
88,INVOICE INV-2024-0007 PAID BY
88,ACME CORP CARD 4111 1111 1111 1111
49,225000,5/
98,225000,1,7/
99,225000,1,9/
"""


def test_bai2_continuation_joined(write):
    st = read_statement(write("day.bai2", BAI2))
    assert (st.account, st.currency, st.opening_balance, st.closing_balance) == ("123456789", "USD", 100000, 112500)
    (ln,) = st.lines
    assert (ln.amount, ln.booking_date, ln.bank_ref, ln.reference) == (12500, date(2024, 2, 29), "BANKREF1", "CUSTREF1")
    assert ln.text == "INVOICE INV-2024-0007 PAID BY ACME CORP CARD ************1111"
    assert ln.line_no == 4


def test_bai2_balance_mismatch_is_a_note_the_standard_does_not_bind_the_details(write):
    bad = BAI2.replace("015,112500", "015,112400").replace("225000", "224900")
    st = read_statement(write("day.bai2", bad))
    assert any("1,125.00" in p and "1,124.00" in p and "16 records are optional" in p for p in st.problems)


def test_bai2_control_total_broken_names_line(write):
    with pytest.raises(BankFileError, match=r"day\.bai2 line \d+: .*control total"):
        read_statement(write("day.bai2", BAI2.replace("49,225000,5/", "49,225001,5/")))


OFX2 = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
<DTSERVER>20240301120000</DTSERVER><LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
<STMTRS><CURDEF>USD</CURDEF>
<BANKACCTFROM><BANKID>121000248</BANKID><ACCTID>4455667788</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>
<BANKTRANLIST><DTSTART>20240201</DTSTART><DTEND>20240229</DTEND>
<STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20240205220000[-8:PST]</DTPOSTED><TRNAMT>1250.00</TRNAMT><FITID>F1</FITID><NAME>Acme Corp</NAME><MEMO>INV-2024-0007</MEMO></STMTTRN>
<STMTTRN><TRNTYPE>CHECK</TRNTYPE><DTPOSTED>20240210</DTPOSTED><TRNAMT>-75.50</TRNAMT><FITID>F2</FITID><CHECKNUM>1042</CHECKNUM><NAME>Office Supply</NAME></STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>5174.50</BALAMT><DTASOF>20240229</DTASOF></LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


def test_ofx2_xml(write):
    st = read_statement(write("feb.qfx", OFX2))
    assert st.format == "OFX 220" and st.problems == ()
    assert (st.account, st.currency, st.closing_balance) == ("4455667788", "USD", 517450)
    acme, check = st.lines
    # 22:00 Pacific is the next day in UTC; the bank's own date is kept.
    assert (acme.booking_date, acme.amount, acme.payer, acme.text, acme.bank_ref) == (
        date(2024, 2, 5), 125000, "Acme Corp", "INV-2024-0007", "F1")
    assert (check.check_no, check.kind, check.amount) == ("1042", "check", -7550)


def test_ofx_bad_amount_names_the_element(write):
    with pytest.raises(BankFileError) as err:
        read_statement(write("feb.qfx", OFX2.replace("<TRNAMT>-75.50</TRNAMT>", "<TRNAMT>-75,5x</TRNAMT>")))
    assert "STMTTRN[2]/TRNAMT: '-75,5x' is not an amount" in str(err.value)


def test_ofx_missing_fitid_refused(write):
    with pytest.raises(BankFileError, match=r"STMTTRN\[1\]/FITID: missing"):
        read_statement(write("feb.qfx", OFX2.replace("<FITID>F1</FITID>", "")))
