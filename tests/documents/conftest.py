"""A small billed workbook, a loopback SMTP server, and readers for what came out (PDF text, QR codes)."""
from __future__ import annotations

import email
import email.policy
import socket
from datetime import date, datetime

import pytest

from ardesk import app
from ardesk.io.memory import MemoryWorkbook

NOW = datetime(2026, 10, 2, 9, 30)
SETTINGS = {"CompanyName": "Example Billing GmbH", "CompanyAddress": "Ledgerweg 1", "CompanyPostalCode": "10115",
            "CompanyCity": "Berlin", "CompanyCountry": "DE", "CompanyEmail": "billing@example.com",
            "CompanyVATID": "DE811907980", "CompanyIBAN": "DE89370400440532013000", "CompanyBIC": "COBADEFFXXX",
            "InvoiceFormat": "INV-{year}-{seq:05d}", "Period": "2026-10"}


def customer(cid, name, email="", address="", pc="", country="DE", rate="0.19", currency="EUR", status="active",
             city="", locale="", delivery=None, einvoice=None, vat="", buyer_ref="", peppol=""):
    return (cid, name, email or None, address or None, pc or None, country, 30, float(rate), currency, None, status,
            None, city or None, locale or None, delivery, einvoice, vat or None, buyer_ref or None, peppol or None)


def charge(chid, cid, item, price, qty=1, desc=""):
    return (chid, cid, item, desc or item, qty, price, "monthly", date(2026, 1, 1), None)


CUSTOMERS = [
    customer("C001", "Hafenbäckerei GmbH", "ap@hafen.example; boss@hafen.example", "Kaistraße 5", "20457",
             city="Hamburg", locale="de_DE", einvoice="factur-x", vat="DE136695976"),
    customer("C002", "مكتبة الأمل - ספרייה", "", "12 Nile Street", "11511", country="EG", city="Cairo",
             locale="ar_EG", rate="0"),
    customer("C003", "Brasserie du Port", "compta@port.example", "3 quai Ouest", "44000", country="FR",
             city="Nantes", locale="fr_FR", rate="0.2", einvoice="peppol", peppol="0009:12345678200077",
             delivery="email+post"),
    customer("C004", "Amt für Wasser", "rechnung@amt.example", "Rathausplatz 1", "80331", city="München",
             locale="de_DE", einvoice="xrechnung", buyer_ref="04011000-12345-34"),
]
CHARGES = [
    charge("CH1", "C001", "BAKE", 120, 2, "Ofenwartung"),
    charge("CH2", "C001", "HOST", 35.5, 1, "Webhosting"),
    charge("CH3", "C002", "BOOKS", 80, 3, "Catalogue service"),
    charge("CH4", "C003", "WINE", 250, 1, "Cave à vin"),
    charge("CH5", "C004", "WATER", 999.99, 1, "Zählerablesung"),
]


def billed_workbook(customers=CUSTOMERS, charges=CHARGES, settings=None) -> MemoryWorkbook:
    wb = MemoryWorkbook.with_rows({"tblCustomers": customers, "tblCharges": charges}, {**SETTINGS, **(settings or {})})
    res = app.run(wb, "bill", period="2026-10", now=NOW, user="clerk")
    assert res.ok, res.summary["problems"]
    return wb


@pytest.fixture
def books():
    return billed_workbook()


class Inbox:
    """What a real SMTP server on loopback received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def billed_file(tmp_path, smtp_server, monkeypatch):
    """book.xlsx, a workbook file holding the billing run of :func:`billed_workbook`, with the SMTP
    settings of ``smtp_server`` in the environment, as a scheduled ``ardesk send`` finds them."""
    from ardesk.io.fileadapter import FileWorkbook
    from ardesk.io.template import create_workbook
    path = tmp_path / "book.xlsx"
    create_workbook(path)
    FileWorkbook(path).write(billed_workbook().to_changes())
    for k, v in smtp_env(smtp_server[0].port).items():
        monkeypatch.setenv(k, v)
    return path


def smtp_env(port, host="127.0.0.1"):
    return {"ARDESK_SMTP_HOST": host, "ARDESK_SMTP_PORT": str(port), "ARDESK_SMTP_SECURITY": "none"}


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pdf_text(pdf: bytes) -> str:
    import io
    import pypdf
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def qr_codes(pdf: bytes, scale: float = 4.0) -> list[str]:
    """Every QR code on every page, decoded from the rendered page image."""
    import pypdfium2 as pdfium
    import zxingcpp
    doc = pdfium.PdfDocument(pdf)
    out = []
    for page in doc:
        img = page.render(scale=scale).to_pil()
        out += [r.text for r in zxingcpp.read_barcodes(img)]
    return out


def tables_of(path) -> dict[str, list]:
    """Every table's rows, read independently of ardesk's adapters."""
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path), load_tables=True)
    return {name: wb.get_table_by_name(name).to_python() for name in wb.table_names}
