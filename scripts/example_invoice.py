"""Render the README's example invoice (docs/invoice-example.png) from a small billed workbook.

Run: .venv/bin/python scripts/example_invoice.py
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.documents.conftest import billed_workbook  # noqa: E402

from ardesk import app  # noqa: E402
from ardesk.documents.issue import Issuer, lines_by_invoice  # noqa: E402
from ardesk.documents.settings import read_document_settings  # noqa: E402


def main() -> None:
    import pypdfium2 as pdfium
    wb = billed_workbook()
    books = app.load(wb)
    ds, _ = read_document_settings(wb.read_settings())
    issuer = Issuer(ds, books.ledger, books.customers, lines=lines_by_invoice(books.tables["tblInvoiceLines"]))
    doc, problems = issuer.invoice(books.ledger.invoice_by_no["INV-2026-00001"])
    assert not problems, problems
    out = ROOT / "docs"
    out.mkdir(exist_ok=True)
    (out / "invoice-example.pdf").write_bytes(doc.pdf)
    page = pdfium.PdfDocument(doc.pdf)[0]
    page.render(scale=1.4).to_pil().convert("L").save(out / "invoice-example.png", optimize=True)
    issuer.close()
    print(out / "invoice-example.png")


if __name__ == "__main__":
    main()
