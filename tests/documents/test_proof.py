"""Proof before issue: the Proof tab and PDF, and Bill period issuing exactly what the proof showed."""
from __future__ import annotations

import io
import json

import pypdf

from ardesk import app
from ardesk.cli import main
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.memory import MemoryWorkbook

from .conftest import CHARGES, CUSTOMERS, NOW, SETTINGS, customer


def unbilled(customers=CUSTOMERS):
    return MemoryWorkbook.with_rows({"tblCustomers": customers, "tblCharges": CHARGES}, SETTINGS)


def proof(wb):
    header = wb.headers["tblProof"]
    return [dict(zip(header, r)) for r in wb.rows["tblProof"]]


def test_preview_fills_the_proof_and_issues_nothing():
    bad = [CUSTOMERS[0], customer("C002", "مكتبة الأمل", "", "", "", country="EG", rate="0"), CUSTOMERS[2],
           customer("C004", "Amt für Wasser", "rechnung@amt.example", "Rathausplatz 1", "80331", city="München",
                    einvoice="xrechnung")]
    wb = unbilled(bad)
    res = app.run(wb, "preview", period="2026-10", now=NOW)
    assert res.ok, res.summary["problems"]
    assert wb.rows["tblInvoices"] == [] and wb.settings["NextInvoiceNumber"] == 1
    rows = {r["CustomerID"]: r for r in proof(wb)}
    assert sorted(rows) == ["C001", "C002", "C003", "C004"]
    assert rows["C001"]["Lines"] == 2 and str(rows["C001"]["Total"]) == "327.85"
    assert rows["C001"]["Channel"] == "e-mail ap@hafen.example, boss@hafen.example; factur-x"
    assert rows["C001"]["StopsDelivery"] is None
    assert "has no e-mail and no postal address" in rows["C002"]["StopsDelivery"]
    assert "Leitweg-ID (BT-10, BR-DE-15)" in rows["C004"]["StopsDelivery"]
    assert len({r["InputsHash"] for r in rows.values()}) == 1


def test_bill_issues_what_the_proof_showed_and_refuses_after_a_change():
    wb = unbilled()
    app.run(wb, "preview", period="2026-10", now=NOW)
    shown = [(r["InvoiceNo"], r["CustomerID"], r["Total"]) for r in proof(wb)]
    res = app.run(wb, "bill", period="2026-10", now=NOW)
    assert res.ok
    header = wb.headers["tblInvoices"]
    issued = [(r[0], r[2], r[header.index("Total")]) for r in wb.rows["tblInvoices"]]
    assert issued == shown

    changed = unbilled()
    app.run(changed, "preview", period="2026-10", now=NOW)
    changed.rows["tblCharges"][0] = changed.rows["tblCharges"][0][:5] + (130,) + changed.rows["tblCharges"][0][6:]
    res = app.run(changed, "bill", period="2026-10", now=NOW)
    assert not res.ok and changed.rows["tblInvoices"] == []
    assert "the inputs changed since the proof of 2026-10" in res.summary["problems"][0]


def test_cli_preview_writes_the_proof_pdf(tmp_path, capsys):
    from ardesk.io.template import create_workbook
    path = tmp_path / "book.xlsx"
    create_workbook(path)
    wb = unbilled()
    FileWorkbook(path).write(wb.to_changes())
    assert main(["bill", str(path), "--preview", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["invoices_previewed"] == 4 and summary["invoices_issued"] == 0
    pdf = (tmp_path / "book-proof-2026-10.pdf").read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "INV-2026-00001" in text and "INV-2026-00004" in text and "PROOF" in text
    assert main(["bill", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["invoices_issued"] == 4
