"""Every e-invoice kind and syntax validated against the official XSD and the EN 16931 rules."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from lxml import etree

from ardesk import app
from ardesk.core.model import Invoice
from ardesk.documents.einvoice import FORMATS, EInvoiceError, build_xml, en16931, make_einvoice, validate
from ardesk.documents.issue import Issuer, lines_by_invoice
from ardesk.documents.settings import read_document_settings

NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
      "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}


def credit_note_of(inv: Invoice) -> Invoice:
    """A credit note row as the Invoices ledger holds it: negative amounts, the invoice it corrects."""
    lines = tuple(replace(ln, invoice_no="CN-2026-00001", net=-ln.net) for ln in inv.lines)
    return replace(inv, number="CN-2026-00001", kind="credit note", issue_date=date(2026, 10, 9),
                   due_date=date(2026, 10, 9), net=-inv.net, tax=-inv.tax, total=-inv.total, relates_to=inv.number,
                   creditor_ref="", lines=lines)


class Books:
    """The billed books, with each invoice's lines attached (as the billing run made them)."""

    def __init__(self, wb):
        self.loaded = app.load(wb)
        self.customers = self.loaded.customers
        self.ledger = self.loaded.ledger
        lines = lines_by_invoice(self.loaded.tables["tblInvoiceLines"])
        self.invoice = {no: replace(inv, lines=lines.get(no, ())) for no, inv in self.ledger.invoice_by_no.items()}


@pytest.fixture
def parts(books):
    ds, _ = read_document_settings(books.read_settings())
    return Books(books), ds


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["invoice", "credit note"])
def test_every_kind_and_syntax_passes_xsd_and_en16931_rules(parts, fmt, kind):
    b, ds = parts
    inv = b.invoice["INV-2026-00001"]
    cust = replace(b.customers["C001"], buyer_reference="04011000-12345-34", peppol_endpoint="0204:991-12345-67")
    doc = inv if kind == "invoice" else credit_note_of(inv)
    xml = make_einvoice(doc, cust, ds.letterhead, fmt, inv.issue_date)
    assert validate(xml) == []
    root = etree.fromstring(xml)
    if fmt == "factur-x":
        assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == (
            "380" if kind == "invoice" else "381")
        assert root.findtext(".//ram:DuePayableAmount", namespaces=NS) == "327.85"
        assert [e.text for e in root.iterfind(".//ram:SpecifiedTradeProduct/ram:Name", NS)] == ["BAKE", "HOST"]
        if kind == "invoice":
            assert root.findtext(".//ram:PaymentReference", namespaces=NS) == inv.creditor_ref     # BT-83
        else:
            assert root.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
                                 namespaces=NS) == "INV-2026-00001"                              # BT-25
    else:
        assert etree.QName(root).localname == ("Invoice" if kind == "invoice" else "CreditNote")
        assert root.findtext("cbc:CustomizationID", namespaces=NS).endswith(
            "xrechnung_3.0" if fmt == "xrechnung" else "poacc:billing:3.0")
        assert root.findtext("cbc:ProfileID", namespaces=NS) == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
        assert root.findtext(".//cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "327.85"
        if kind == "invoice":
            assert root.findtext(".//cac:PaymentMeans/cbc:PaymentID", namespaces=NS) == inv.creditor_ref
            assert root.findtext("cbc:BuyerReference", namespaces=NS) == "04011000-12345-34"
        else:
            assert root.findtext(".//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
                                 namespaces=NS) == "INV-2026-00001"


def test_a_tampered_total_is_caught_by_its_rule(parts):
    b, ds = parts
    inv = b.invoice["INV-2026-00001"]
    xml = build_xml(en16931(inv, b.customers["C001"], ds.letterhead, "factur-x"), "factur-x")
    bad = xml.replace(b">327.85</ram:GrandTotalAmount>", b">337.85</ram:GrandTotalAmount>")
    rules = {f.rule for f in validate(bad)}
    assert "BR-CO-15" in rules


def test_a_fatal_rule_stops_that_document_with_rule_id_and_field(parts):
    b, ds = parts
    inv = b.invoice["INV-2026-00001"]
    wrong = replace(inv, tax=inv.tax + 1)                  # net + tax no longer the total
    with pytest.raises(EInvoiceError) as err:
        make_einvoice(wrong, b.customers["C001"], ds.letterhead, "peppol")
    message = str(err.value)
    # the rule, where it failed, and the business terms it names
    assert "BR-CO-15 at /Invoice[1]" in message and "(BT-112)" in message
    issuer = Issuer(ds, b.ledger, b.customers)
    doc, problems = issuer.invoice(wrong)
    assert doc is None and "INV-2026-00001" in problems[0].message and "BR-" in problems[0].message


def test_the_xsd_catches_what_the_schema_forbids(parts):
    b, ds = parts
    xml = build_xml(en16931(b.invoice["INV-2026-00003"], b.customers["C003"], ds.letterhead, "peppol"),
                    "peppol")
    bad = xml.replace(b"<cbc:IssueDate>", b"<cbc:Unknown>x</cbc:Unknown><cbc:IssueDate>", 1)
    failures = validate(bad)
    assert failures and failures[0].rule == "XSD" and "Unknown" in failures[0].text


def test_missing_leitweg_id_or_endpoint_stops_the_e_invoice(parts):
    b, ds = parts
    issuer = Issuer(ds, b.ledger, {**b.customers, "C004": replace(b.customers["C004"], buyer_reference="")})
    doc, problems = issuer.invoice(b.invoice["INV-2026-00004"])
    assert doc is None and "Leitweg-ID (BT-10, BR-DE-15)" in problems[0].message
    issuer = Issuer(ds, b.ledger, {**b.customers, "C003": replace(b.customers["C003"], peppol_endpoint="12345")})
    doc, problems = issuer.invoice(b.invoice["INV-2026-00003"])
    assert doc is None and "PeppolEndpoint '12345'" in problems[0].message
