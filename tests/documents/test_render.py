"""Documents read back: text, QR payloads, page numbers, carried totals, PDF/A, right-to-left names."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest

from ardesk import app
from ardesk.core.billing.creditor_ref import creditor_reference
from ardesk.core.model import Customer, Invoice, InvoiceLine
from ardesk.documents.issue import Issuer, lines_by_invoice
from ardesk.documents.settings import SHIPPED_TEMPLATES, read_document_settings

from .conftest import SETTINGS, pdf_text, qr_codes


def issuer_for(wb, settings=None, tmp=None):
    books = app.load(wb)
    ds, problems = read_document_settings({**wb.read_settings(), **(settings or {})}, tmp)
    assert problems == []
    return Issuer(ds, books.ledger, books.customers, lines=lines_by_invoice(books.tables["tblInvoiceLines"])), books


def test_invoice_pdf_reads_back_with_rf_and_girocode(books):
    issuer, b = issuer_for(books)
    inv = b.ledger.invoice_by_no["INV-2026-00001"]
    doc, problems = issuer.invoice(inv)
    assert problems == []
    text = pdf_text(doc.pdf)
    assert "Rechnung INV-2026-00001" in text
    assert "Hafenbäckerei GmbH" in text and "Kaistraße 5" in text and "20457 Hamburg" in text
    assert "RF76 INV2 0260 0001" in text                      # the RF, grouped as printed
    assert "327,85 EUR" in text and "275,50 EUR" in text       # de_DE amounts, two decimals
    assert "BAKE Ofenwartung" in text and "240,00" in text and "HOST Webhosting" in text and "35,50" in text
    assert "Seite 1 von 1" in text
    codes = qr_codes(doc.pdf)
    assert len(codes) == 1
    fields = codes[0].split("\n")
    # EPC069-12: service tag, version, charset, SCT, BIC, name, IBAN, amount, purpose, structured reference
    assert fields[:4] == ["BCD", "002", "2", "SCT"]          # charset 2: ISO 8859-1 holds the text
    assert fields[4:8] == ["COBADEFFXXX", "Example Billing GmbH", "DE89370400440532013000", "EUR327.85"]
    assert fields[9] == creditor_reference("INV-2026-00001") == inv.creditor_ref


def test_rendering_again_gives_the_same_bytes(books):
    issuer, b = issuer_for(books)
    inv = b.ledger.invoice_by_no["INV-2026-00001"]
    first = issuer.invoice(inv)[0].pdf
    second = Issuer(issuer.ds, b.ledger, b.customers, lines=issuer.lines).invoice(inv)[0].pdf
    assert first == second


def test_pdf_is_pdf_a_3b_with_the_factur_x_xml_inside(books):
    from facturx import get_xml_from_pdf
    from ardesk.documents.einvoice import validate
    issuer, b = issuer_for(books)
    doc = issuer.invoice(b.ledger.invoice_by_no["INV-2026-00001"])[0]
    reader = pypdf.PdfReader(io.BytesIO(doc.pdf))
    xmp = reader.xmp_metadata
    assert xmp is not None
    meta = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in meta and "<pdfaid:conformance>B</pdfaid:conformance>" in meta
    name, xml = get_xml_from_pdf(doc.pdf, check_xsd=True)
    assert name == "factur-x.xml"
    assert validate(xml) == []
    assert b"RF76INV202600001" in xml and doc.xml == xml


def test_factur_x_xmp_names_the_xml_with_its_pdf_a_extension_schema(books):
    import re
    from facturx import get_facturx_xml_from_pdf, get_level
    from lxml import etree
    issuer, b = issuer_for(books)
    doc = issuer.invoice(b.ledger.invoice_by_no["INV-2026-00001"])[0]
    reader = pypdf.PdfReader(io.BytesIO(doc.pdf), strict=True)
    root = etree.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())
    fx = {"fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
          "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/", "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
          "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#", "pdfaid": "http://www.aiim.org/pdfa/ns/id/"}
    got = {name: root.xpath(f"string(//fx:{name})", namespaces=fx)
           for name in ("DocumentType", "DocumentFileName", "Version", "ConformanceLevel")}
    assert got == {"DocumentType": "INVOICE", "DocumentFileName": "factur-x.xml", "Version": "1.0",
                   "ConformanceLevel": "EN 16931"}
    schema = root.xpath("//pdfaExtension:schemas//pdfaSchema:namespaceURI[.='%s']/.." % fx["fx"], namespaces=fx)
    assert len(schema) == 1 and schema[0].findtext("pdfaSchema:prefix", namespaces=fx) == "fx"
    assert sorted(schema[0].xpath(".//pdfaProperty:name/text()", namespaces=fx)) == [
        "ConformanceLevel", "DocumentFileName", "DocumentType", "Version"]
    assert set(schema[0].xpath(".//pdfaProperty:valueType/text()", namespaces=fx)) == {"Text"}
    assert root.xpath("string(//pdfaid:part)", namespaces=fx) == "3"             # Typst's PDF/A-3b claim kept
    assert root.xpath("string(//pdfaid:conformance)", namespaces=fx) == "B"
    # one revision, and every cross-reference entry points at its object
    pdf = doc.pdf
    assert pdf.count(b"%%EOF") == 1 and pdf.count(b"/Type/Metadata") == 1
    xref = int(re.search(rb"startxref\s+(\d+)", pdf).group(1))
    assert pdf[xref:xref + 4] == b"xref"
    first, count = map(int, re.match(rb"xref\s+(\d+) (\d+)", pdf[xref:]).groups())
    table = re.findall(rb"(\d{10}) (\d{5}) ([nf])", pdf[xref:])[:count]
    for number, (offset, _gen, kind) in enumerate(table, start=first):
        if kind == b"n":
            assert pdf[int(offset):].startswith(b"%d 0 obj" % number), number
    name, xml = get_facturx_xml_from_pdf(pdf)                  # factur-x's own reader finds the XML
    assert name == "factur-x.xml" and xml == doc.xml and get_level(etree.fromstring(xml)) == "en16931"
    # an invoice without Factur-X keeps Typst's XMP as it was
    plain = issuer.invoice(b.ledger.invoice_by_no["INV-2026-00002"])[0].pdf
    assert b"urn:factur-x:pdfa" not in plain


def test_arabic_and_hebrew_names_render(books):
    issuer, b = issuer_for(books)
    doc = issuer.invoice(b.ledger.invoice_by_no["INV-2026-00002"])[0]
    text = pdf_text(doc.pdf)
    assert "مكتبة" in text and "الأمل" in text          # Arabic, shaped and extracted
    assert "ספרייה" in text                               # Hebrew
    assert "EGYPT" in text                                # abroad: the country last, in capitals


def long_invoice(n_lines: int) -> tuple[Invoice, Customer]:
    cust = Customer("C9", "Long Ltd", 30, Decimal("0.2"), "EUR", email="a@long.example", address="1 Long Road",
                    postal_code="1000", country="BE", city="Brussels", locale="en_GB")
    lines = tuple(InvoiceLine("INV-2026-09999", i, f"CH{i}", "ITEM", f"Line {i}", Decimal(1), Decimal(10),
                              date(2026, 10, 1), date(2026, 10, 31), Decimal(1), 1000, "EUR", f"k{i}")
                  for i in range(1, n_lines + 1))
    net = 1000 * n_lines
    inv = Invoice("INV-2026-09999", "C9", date(2026, 10, 1), date(2026, 10, 31), "EUR", net, net // 5,
                  net + net // 5, "invoice", "2026-10", creditor_reference("INV-2026-09999"), "", lines)
    return inv, cust


def test_long_invoice_repeats_header_numbers_pages_and_carries_totals():
    ds, _ = read_document_settings(SETTINGS)
    inv, cust = long_invoice(90)
    from ardesk.core.ledger.ledger import Ledger
    doc, problems = Issuer(ds, Ledger([inv]), {"C9": cust}).invoice(inv)
    assert problems == []
    reader = pypdf.PdfReader(io.BytesIO(doc.pdf))
    n = len(reader.pages)
    assert n >= 3
    pages = [p.extract_text() for p in reader.pages]
    for i, text in enumerate(pages, start=1):
        assert f"Page {i} of {n}" in text
        assert "Description" in text and "Unit price" in text          # the table header on every page
    # carried forward at the foot of page 1 = the sum of the lines on it, brought forward on page 2
    on_first = sum(1 for k in range(1, 91) if f"Line {k} (" in pages[0])
    carried = f"{on_first * 10:,}.00"
    assert f"Carried forward: {carried}" in pages[0]
    assert f"Brought forward: {carried}" in pages[1]
    assert "Carried forward" not in pages[-1]


def test_swiss_qr_bill_for_chf():
    ds, _ = read_document_settings({**SETTINGS, "CompanyIBAN": "CH9300762011623852957", "CompanyCountry": "CH",
                                    "CompanyCity": "Zürich", "CompanyPostalCode": "8001", "CompanyBIC": ""})
    inv, cust = long_invoice(2)
    inv = Invoice(**{**{f: getattr(inv, f) for f in Invoice.__slots__}, "currency": "CHF"})
    cust = Customer(**{**{f: getattr(cust, f) for f in Customer.__slots__}, "currency": "CHF", "country": "CH",
                       "locale": "de_CH", "postal_code": "3000", "city": "Bern"})
    from ardesk.core.ledger.ledger import Ledger
    doc, problems = Issuer(ds, Ledger([inv]), {"C9": cust}).invoice(inv)
    assert problems == []
    codes = qr_codes(doc.pdf, scale=5)
    assert len(codes) == 1
    lines = codes[0].splitlines()
    assert lines[:3] == ["SPC", "0200", "1"] and lines[3] == "CH9300762011623852957"
    assert "SCOR" in lines and inv.creditor_ref in lines and "24.00" in lines and "CHF" in lines


@pytest.mark.parametrize("setting, value, expect", [
    ("CompanyIBAN", "DE89370400440532013001", "company IBAN (Settings, CompanyIBAN) 'DE89370400440532013001' is not valid"),
    ("CompanyBIC", "NOTABIC", "BIC 'NOTABIC' is not valid"),
])
def test_invalid_bank_details_stop_the_document_naming_customer_and_value(books, setting, value, expect):
    issuer, b = issuer_for(books, {setting: value})
    doc, problems = issuer.invoice(b.ledger.invoice_by_no["INV-2026-00001"])
    assert doc is None
    assert len(problems) == 1
    assert "customer C001 (Hafenbäckerei GmbH), invoice INV-2026-00001" in problems[0].message
    assert expect in problems[0].message


def test_invalid_rf_stops_the_document(books):
    issuer, b = issuer_for(books)
    inv = b.ledger.invoice_by_no["INV-2026-00001"]
    bad = Invoice(**{**{f: getattr(inv, f) for f in Invoice.__slots__}, "creditor_ref": "RF00INV202600001"})
    doc, problems = issuer.invoice(bad)
    assert doc is None and "'RF00INV202600001' is not a valid ISO 11649 RF reference" in problems[0].message


def test_template_syntax_error_names_template_and_line(books, tmp_path):
    from ardesk.documents.settings import SHIPPED_TEMPLATES
    for f in SHIPPED_TEMPLATES.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    text = (tmp_path / "document.typ").read_text().splitlines()
    text[40] = text[40] + " #let broken = ("
    (tmp_path / "document.typ").write_text("\n".join(text))
    issuer, b = issuer_for(books, {"TemplatesFolder": str(tmp_path)})
    doc, problems = issuer.invoice(b.ledger.invoice_by_no["INV-2026-00001"])
    assert doc is None
    assert f"template {tmp_path / 'document.typ'}, line 41" in problems[0].message


def test_template_cannot_read_outside_its_folder(books, tmp_path):
    from ardesk.documents.settings import SHIPPED_TEMPLATES
    for f in SHIPPED_TEMPLATES.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    with open(tmp_path / "document.typ", "a") as fh:
        fh.write('\n#read("/etc/passwd")\n')
    issuer, b = issuer_for(books, {"TemplatesFolder": str(tmp_path)})
    doc, problems = issuer.invoice(b.ledger.invoice_by_no["INV-2026-00001"])
    assert doc is None
    assert "file not found (searched at" in problems[0].message and "root:" not in problems[0].message


def test_missing_logo_is_a_settings_problem(tmp_path):
    _, problems = read_document_settings({**SETTINGS, "CompanyLogo": "logo-that-is-not-there.png"}, tmp_path)
    assert [p.column for p in problems] == ["CompanyLogo"]
    assert "logo-that-is-not-there.png does not exist" in problems[0].message


def _png(width: int, height: int) -> bytes:
    """A greyscale PNG of stripes (PNG 1.2: signature, IHDR, one zlib IDAT, IEND)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + bytes(255 if (x // 4) % 2 else 0 for x in range(width)) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_without_a_workbook_folder_relative_paths_are_problems_not_the_working_folder(tmp_path, monkeypatch):
    """xlwings Server and Lite are sent no file: nothing on Settings is taken from the working folder,
    not even a logo that happens to lie there."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "logo.png").write_bytes(_png(8, 8))
    (tmp_path / "tpl").mkdir()
    ds, problems = read_document_settings({**SETTINGS, "CompanyLogo": "logo.png", "TemplatesFolder": "tpl"}, None)
    assert [(p.sheet, p.column, p.value) for p in problems] == [("Settings", "CompanyLogo", "logo.png"),
                                                                 ("Settings", "TemplatesFolder", "tpl")]
    assert "relative path 'logo.png'" in problems[0].message and "no folder here" in problems[0].message
    assert (ds.letterhead.logo, ds.templates, ds.documents, ds.bounces) == ("", SHIPPED_TEMPLATES, None, None)
    monkeypatch.setenv("HOME", str(tmp_path))
    ds, problems = read_document_settings({**SETTINGS, "CompanyLogo": "~/logo.png", "DocumentsFolder": "~/docs"},
                                          None)
    assert problems == []
    assert (ds.letterhead.logo, ds.documents, ds.bounces) == (str(tmp_path / "logo.png"), tmp_path / "docs", None)
    ds, problems = read_document_settings({**SETTINGS, "CompanyLogo": "logo.png"}, tmp_path / "books")
    assert [p.column for p in problems] == ["CompanyLogo"]        # beside the workbook: not there
    assert (ds.documents, ds.bounces) == (tmp_path / "books" / "documents", tmp_path / "books" / "bounces")


def test_logo_appears_in_the_pdf(books, tmp_path):
    (tmp_path / "logo.png").write_bytes(_png(32, 16))
    issuer, b = issuer_for(books, {"CompanyLogo": "logo.png"}, tmp_path)
    doc = issuer.invoice(b.ledger.invoice_by_no["INV-2026-00003"])[0]
    reader = pypdf.PdfReader(io.BytesIO(doc.pdf))
    assert len(reader.pages[0].images) >= 1


def test_statement_open_items_with_aging_and_unapplied_credit(books):
    from ardesk.core.model import Allocation, Payment
    b = app.load(books)
    led = b.ledger
    led.add_payments([Payment("PAY-1", date(2026, 11, 20), 50000, "EUR", "fp1", customer_id="C001")])
    led.add_allocations([Allocation("AL-1", date(2026, 11, 20), "applied", 32785, "EUR", "PAY-1", "INV-2026-00001",
                                    "C001"),
                         Allocation("AL-2", date(2026, 11, 20), "credit", 17215, "EUR", "PAY-1", "", "C001")])
    ds, _ = read_document_settings(books.read_settings())
    issuer = Issuer(ds, led, b.customers)
    doc, problems = issuer.statement(b.customers["C003"], "EUR", date(2026, 12, 15), date(2026, 12, 1), (30, 60, 90))
    assert problems == []
    text = pdf_text(doc.pdf)
    assert "Relevé de compte" in text and "INV-2026-00003" in text
    assert "31-60" in text and "300,00" in text                   # 45 days past due
    doc, _ = issuer.statement(b.customers["C001"], "EUR", date(2026, 12, 15), date(2026, 12, 1), (30, 60, 90))
    text = " ".join(pdf_text(doc.pdf).split())
    assert "Nicht zugeordnete Zahlungen und Gutschriften" in text and "-172,15" in text
    assert doc.total == -17215


def test_the_aging_strip_speaks_the_customers_language(books):
    b = app.load(books)
    ds, _ = read_document_settings(books.read_settings())
    issuer = Issuer(ds, b.ledger, b.customers)
    strips = {}
    for cid in ("C001", "C003"):                  # de_DE, fr_FR
        doc, problems = issuer.statement(b.customers[cid], "EUR", date(2027, 1, 31), date(2027, 1, 1), (30, 60, 90))
        assert problems == []
        text = " ".join(pdf_text(doc.pdf).split())
        strips[cid] = text[text.index("Fälligkeit" if cid == "C001" else "Échéancier"):]
    assert strips["C001"].startswith("Fälligkeit Nicht fällig 1-30 31-60 61-90 Über 90")
    assert strips["C003"].startswith("Échéancier Non échu 1-30 31-60 61-90 Plus de 90")
    assert "Current" not in strips["C001"] + strips["C003"] and "Over" not in strips["C001"] + strips["C003"]


def test_letter_renders_subject_and_paragraphs_in_the_window_layout(books):
    issuer, b = issuer_for(books, {"EnvelopeLayout": "us10"})
    doc, problems = issuer.letter(b.customers["C003"], "L-2026-00001", date(2026, 11, 15), "Rappel : facture impayée",
                                  ["Sauf erreur de notre part, la facture INV-2026-00003 reste impayée.",
                                   "Merci de régler 300,00 EUR."])
    assert problems == []
    assert doc.data["envelope"] == "us10"
    text = pdf_text(doc.pdf)
    assert "Rappel : facture impayée" in text and "INV-2026-00003 reste impayée" in text
    assert "Brasserie du Port" in text and "44000 Nantes" in text and "FRANCE" in text
