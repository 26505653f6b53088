from __future__ import annotations

from datetime import date

import pytest

from ardesk.bank import BankFileError, read_statement


def camt053(entries: str, version: str = "08", opening: str = "1000.00", closing: str = "1150.00") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-01T08:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>STMT-2024-02</Id>
   <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{opening}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-02-29</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>
   {entries}
  </Stmt>
 </BkToCstmrStmt>
</Document>"""


BATCH = """
   <Ntry>
    <NtryRef>N-1</NtryRef>
    <Amt Ccy="EUR">200.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2024-03-01</Dt></BookgDt><ValDt><Dt>2024-03-01</Dt></ValDt>
    <AcctSvcrRef>BANK-777</AcctSvcrRef>
    <NtryDtls>
     <TxDtls>
      <Amt Ccy="EUR">120.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>Acme GmbH</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>DE44500105175407324931</IBAN></Id></DbtrAcct></RltdPties>
      <RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>
     </TxDtls>
     <TxDtls>
      <Amt Ccy="EUR">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>Beta BV</Nm></Pty></Dbtr></RltdPties>
      <RmtInf><Ustrd>Invoice INV-2024-0107</Ustrd></RmtInf>
     </TxDtls>
    </NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="EUR">50.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2024-03-01</Dt></BookgDt>
    <AcctSvcrRef>BANK-778</AcctSvcrRef>
    <NtryDtls><TxDtls>
      <RltdPties><Cdtr><Pty><Nm>Office Rent Ltd</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>GB33BUKB20201555555555</IBAN></Id></CdtrAcct></RltdPties>
      <RmtInf><Ustrd>Rent March card 4111 1111 1111 1111</Ustrd></RmtInf>
    </TxDtls></NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="EUR">999.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts>
    <BookgDt><Dt>2024-03-01</Dt></BookgDt>
   </Ntry>"""


def test_batch_gives_one_line_per_transaction(write):
    st = read_statement(write("feb.xml", camt053(BATCH)))
    assert st.format == "camt.053.001.08"
    assert st.account == "DE89370400440532013000"
    assert (st.opening_balance, st.closing_balance) == (100000, 115000)
    acme, beta, rent = st.lines
    assert (acme.amount, acme.payer, acme.payer_account, acme.reference) == (
        12000, "Acme GmbH", "DE44500105175407324931", "RF18539007547034")
    assert (beta.amount, beta.payer, beta.text) == (8000, "Beta BV", "Invoice INV-2024-0107")
    assert acme.bank_ref == "BANK-777/1" and beta.bank_ref == "BANK-777/2"
    # A single TxDtls without an amount takes the entry's; a debit names the creditor.
    assert (rent.amount, rent.payer, rent.payer_account) == (-5000, "Office Rent Ltd", "GB33BUKB20201555555555")
    assert rent.text == "Rent March card ************1111"
    assert rent.booking_date == date(2024, 3, 1)
    # The pending entry is left out and counted.
    assert any("not booked" in p for p in st.problems)


@pytest.mark.parametrize("version", ["02", "04", "08"])
def test_same_reading_across_versions(write, version):
    entry = """<Ntry><Amt Ccy="EUR">150.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
      <BookgDt><Dt>2024-03-01</Dt></BookgDt><NtryDtls><TxDtls>
      <RltdPties><Dbtr><Nm>Gamma SA</Nm></Dbtr></RltdPties>
      <RmtInf><Ustrd>INV-9</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""
    st = read_statement(write("v.xml", camt053(entry, version)))
    assert st.format == f"camt.053.001.{version}"
    (ln,) = st.lines
    assert (ln.amount, ln.payer, ln.text) == (15000, "Gamma SA", "INV-9")


def test_bad_amount_names_the_element(write):
    bad = BATCH.replace("<Amt Ccy=\"EUR\">50.00</Amt>", "<Amt Ccy=\"EUR\">abc</Amt>")
    with pytest.raises(BankFileError) as err:
        read_statement(write("statement.xml", camt053(bad)))
    assert str(err.value) == "statement.xml: element Document/BkToCstmrStmt/Stmt/Ntry[2]/Amt: 'abc' is not an amount"


def test_bad_indicator_in_batch_names_the_transaction(write):
    bad = BATCH.replace("<Amt Ccy=\"EUR\">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>",
                        "<Amt Ccy=\"EUR\">80.00</Amt><CdtDbtInd>XXXX</CdtDbtInd>")
    with pytest.raises(BankFileError, match=r"Ntry\[1\]/NtryDtls/TxDtls\[2\]/CdtDbtInd: 'XXXX'"):
        read_statement(write("s.xml", camt053(bad)))


def test_balance_mismatch_is_refused_with_the_figures(write):
    with pytest.raises(BankFileError) as err:
        read_statement(write("s.xml", camt053(BATCH, closing="1200.00")))
    msg = str(err.value)
    assert "1,000.00" in msg and "1,150.00" in msg and "1,200.00" in msg and "50.00" in msg


def test_malformed_xml_names_the_line(write):
    with pytest.raises(BankFileError, match=r"s\.xml line \d+, column \d+: not well-formed"):
        read_statement(write("s.xml", camt053(BATCH).replace("</Ntry>", "</Ntryx>", 1)))


def test_entity_declarations_are_refused(write):
    evil = """<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "boom">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>&x;</Stmt></BkToCstmrStmt></Document>"""
    with pytest.raises(BankFileError, match="refused"):
        read_statement(write("evil.xml", evil), fmt="camt.053")


def test_unsupported_version_is_refused(write):
    with pytest.raises(BankFileError, match="001.09 is not a supported version"):
        read_statement(write("s.xml", camt053(BATCH, version="09")), fmt="camt.053")


def test_camt054_without_balances(write):
    doc = """<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.04">
<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>X</MsgId></GrpHdr><Ntfctn><Id>N1</Id>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">10.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-03-02</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>E2E-42</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"""
    st = read_statement(write("n.xml", doc))
    assert st.format == "camt.054.001.04"
    assert st.opening_balance is None
    (ln,) = st.lines
    assert (ln.amount, ln.currency, ln.reference) == (1050, "EUR", "E2E-42")
