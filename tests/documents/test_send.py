"""Delivery against a real SMTP server on loopback (aiosmtpd), the print batch, drafts and the archive."""
from __future__ import annotations

import email
import email.policy
import hashlib
import io

import pypdf

from ardesk.delivery.send import send

from .conftest import CUSTOMERS, NOW, billed_workbook, customer, free_port, pdf_text, smtp_env


def rows(wb, table):
    header = wb.headers[table]
    return [dict(zip(header, r)) for r in wb.rows[table]]


def test_messages_arrive_with_the_right_recipients_and_attachments(books, smtp_server, tmp_path):
    controller, inbox = smtp_server
    res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW, user="clerk")
    assert res.problems == []
    got = {tuple(to): msg for to, msg in inbox.messages}
    assert sorted(got) == [("ap@hafen.example",), ("boss@hafen.example",), ("compta@port.example",),
                           ("rechnung@amt.example",)]
    names = {to: [p.get_filename() for p in msg.iter_attachments()] for to, msg in got.items()}
    assert names[("ap@hafen.example",)] == ["INV-2026-00001.pdf"]                 # Factur-X: XML inside the PDF
    assert names[("compta@port.example",)] == ["INV-2026-00003.pdf", "INV-2026-00003.xml"]   # Peppol UBL beside it
    assert names[("rechnung@amt.example",)] == ["INV-2026-00004.pdf", "INV-2026-00004.xml"]  # XRechnung
    msg = got[("ap@hafen.example",)]
    assert msg["Subject"] == "Invoice INV-2026-00001 from Example Billing GmbH"
    assert "RF76INV202600001" in msg.get_body(("plain",)).get_content()
    pdf = next(msg.iter_attachments()).get_content()
    archived = (tmp_path / "documents" / "INV-2026-00001.pdf").read_bytes()
    assert pdf == archived and "Rechnung INV-2026-00001" in pdf_text(pdf)
    docs = {r["DocumentNo"]: r for r in rows(books, "tblDocuments")}
    assert docs["INV-2026-00001"]["SHA256"] == hashlib.sha256(archived).hexdigest()
    sent = [r for r in rows(books, "tblDeliveries") if r["Status"] == "sent"]
    assert {(r["DocumentNo"], r["Address"]) for r in sent} == {
        ("INV-2026-00001", "ap@hafen.example"), ("INV-2026-00001", "boss@hafen.example"),
        ("INV-2026-00003", "compta@port.example"), ("INV-2026-00004", "rechnung@amt.example")}
    assert {r["MessageID"] for r in sent} == {m["Message-ID"].strip() for _, m in inbox.messages}
    assert all(r["User"] == "clerk" and r["At"] == NOW for r in sent)
    assert res.summary["documents_sent"] == 3 and res.summary["failed"] == 0


def test_a_second_send_sends_nothing(books, smtp_server, tmp_path):
    controller, inbox = smtp_server
    send(books, tmp_path, env=smtp_env(controller.port), now=NOW)
    before = (len(inbox.messages), len(books.rows["tblDeliveries"]), len(books.rows["tblDocuments"]))
    res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW)
    assert res.problems == [] and res.summary["documents_sent"] == 0 and res.summary["documents_rendered"] == 0
    assert (len(inbox.messages), len(books.rows["tblDeliveries"]), len(books.rows["tblDocuments"])) == before


def test_a_refused_connection_marks_nothing_sent_and_the_next_run_retries(books, smtp_server, tmp_path):
    res = send(books, tmp_path, env=smtp_env(free_port()), now=NOW)
    assert any("cannot be reached" in p for p in res.summary["problems"])
    statuses = {r["Status"] for r in rows(books, "tblDeliveries") if r["Channel"] == "email"}
    assert statuses == {"failed"} and res.summary["documents_sent"] == 0
    controller, inbox = smtp_server
    res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW)
    assert res.problems == [] and len(inbox.messages) == 4 and res.summary["documents_sent"] == 3
    # issued once: the retry sent the archived files, no second Documents row
    assert len(rows(books, "tblDocuments")) == 4


def test_resend_of_one_document_sends_only_it(books, smtp_server, tmp_path):
    controller, inbox = smtp_server
    send(books, tmp_path, env=smtp_env(controller.port), now=NOW)
    inbox.messages.clear()
    send(books, tmp_path, env=smtp_env(controller.port), now=NOW, resend=["INV-2026-00004"])
    assert [to for to, _ in inbox.messages] == [["rechnung@amt.example"]]


def test_print_batch_sorted_with_cover_sheet_and_blank_backs(books, smtp_server, tmp_path):
    controller, _ = smtp_server
    res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW)
    batch = res.print_batch
    assert batch is not None and batch.parent == tmp_path / "documents" / "print"
    reader = pypdf.PdfReader(io.BytesIO(batch.read_bytes()))
    texts = [p.extract_text() for p in reader.pages]
    assert "Mail room: print batch" in texts[0]
    # by post: C002 (no e-mail, EG) and C003 (e-mail and post, FR): sorted by country, so EG first
    starts = [i for i, t in enumerate(texts) if "INV-2026-0000" in t and ("1 of" in t or "1 sur" in t)]
    first_pages = [i for i, t in enumerate(texts) if "Page 1 of" in t or "Page 1 sur" in t or "1 sur" in t]
    assert all(i % 2 == 0 for i in [0] + first_pages)           # every piece starts on a front side
    order = [("INV-2026-00002" in texts[i]) for i in first_pages]
    assert order[0] is True                                       # EG before FR
    assert res.summary["print_batch_pages"] == len(reader.pages) and len(reader.pages) % 2 == 0
    assert starts
    printed = [r for r in rows(books, "tblDeliveries") if r["Status"] == "printed"]
    assert sorted(r["DocumentNo"] for r in printed) == ["INV-2026-00002", "INV-2026-00003"]
    # printed once: the next run prints nothing
    res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW)
    assert res.print_batch is None and res.summary["print_batch_pages"] == 0


def test_an_altered_archive_file_is_detected_and_not_sent(books, smtp_server, tmp_path):
    send(books, tmp_path, env=smtp_env(free_port()), now=NOW)            # issued and archived, not sent
    path = tmp_path / "documents" / "INV-2026-00004.pdf"
    path.write_bytes(path.read_bytes() + b"%altered\n")
    controller, inbox = smtp_server
    res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW)
    assert any("INV-2026-00004.pdf was altered" in p for p in res.summary["problems"])
    assert ["rechnung@amt.example"] not in [to for to, _ in inbox.messages]


def test_eml_drafts_carry_x_unsent(books, tmp_path):
    books.settings["MailMode"] = "eml"
    res = send(books, tmp_path, now=NOW, env={})
    assert res.problems == [] and res.summary["drafts"] == 4
    drafts = sorted((tmp_path / "documents" / "drafts").glob("*.eml"))
    assert len(drafts) == 4
    msg = email.message_from_bytes(drafts[0].read_bytes(), policy=email.policy.default)
    assert msg["X-Unsent"] == "1" and msg.get_content_type() == "multipart/mixed"
    assert {r["Status"] for r in rows(books, "tblDeliveries") if r["Channel"] == "draft"} == {"drafted"}


def test_without_a_workbook_folder_blank_documents_folders_are_refused(books, tmp_path, monkeypatch):
    """A relative Documents folder, or a blank Bounce folder (beside the workbook), on a workbook with no
    folder here: the working folder does not stand in for the workbook's."""
    monkeypatch.chdir(tmp_path)
    books.settings.update(MailMode="eml", DocumentsFolder="documents", BounceFolder="")
    res = send(books, None, now=NOW, env={})
    assert [(p.sheet, p.column, p.value) for p in res.problems] == [("Settings", "DocumentsFolder", "documents"),
                                                                     ("Settings", "BounceFolder", "")]
    assert rows(books, "tblDocuments") == rows(books, "tblDeliveries") == [] and list(tmp_path.iterdir()) == []
    books.settings.update(DocumentsFolder=str(tmp_path / "docs"), BounceFolder=str(tmp_path / "bounces"))
    res = send(books, None, now=NOW, env={})
    assert res.problems == [] and res.summary["drafts"] == 4
    assert len(list((tmp_path / "docs" / "drafts").glob("*.eml"))) == 4


def test_bad_customers_stop_their_documents_only(smtp_server, tmp_path):
    bad = CUSTOMERS + [customer("C005", "On Hold Ltd", "a@hold.example", "1 Road", "1000", status="active"),
                       customer("C006", "No Mail No Address", ""),
                       customer("C007", "=HYPERLINK(\"x\")", "x@formula.example", "2 Road", "1000"),
                       customer("C008", "Typo GmbH", "typo.example", "3 Road", "1000"),
                       customer("C009", "Wrong VAT AG", "a@vat.example", "4 Road", "1000", vat="DE136695977")]
    from .conftest import CHARGES, charge
    wb = billed_workbook(bad, CHARGES + [charge(f"CH{i}0", f"C00{i}", "X", 10) for i in (5, 6, 7, 8, 9)])
    header = wb.headers["tblCustomers"]
    wb.rows["tblCustomers"] = [tuple("hold" if (r[0] == "C005" and h == "Status") else v
                                     for h, v in zip(header, r)) for r in wb.rows["tblCustomers"]]
    controller, inbox = smtp_server
    res = send(wb, tmp_path, env=smtp_env(controller.port), now=NOW)
    text = "\n".join(res.summary["problems"])
    assert "customer C005 (On Hold Ltd) is on hold: nothing is sent" in text
    assert "customer C006 (No Mail No Address) has no e-mail and no postal address" in text
    assert "the name '=HYPERLINK(\"x\")' looks like a formula" in text
    assert "customer C008 (Typo GmbH): e-mail 'typo.example' is not an e-mail address" in text
    assert "customer C009 (Wrong VAT AG): VAT ID 'DE136695977' is not valid" in text
    assert len(inbox.messages) == 4                              # the good customers still got theirs
    sent_docs = {r["DocumentNo"] for r in rows(wb, "tblDeliveries") if r["Status"] == "sent"}
    assert sent_docs == {"INV-2026-00001", "INV-2026-00003", "INV-2026-00004"}
    assert [r for r in rows(wb, "tblExceptions") if "C006" in r["Problem"]]


def test_attachment_over_the_limit_is_not_sent(books, smtp_server, tmp_path):
    books.settings["AttachmentLimitMB"] = 0.01
    controller, inbox = smtp_server
    res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW)
    assert inbox.messages == []
    assert any("over the attachment limit of 0.0 MB" in p for p in res.summary["problems"])


def test_dry_run_renders_but_writes_and_sends_nothing(books, smtp_server, tmp_path):
    controller, inbox = smtp_server
    before = {k: list(v) for k, v in books.rows.items()}
    res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW, dry_run=True)
    assert res.summary["documents_rendered"] == 4 and res.summary["print_batch_pages"] > 0
    assert inbox.messages == [] and not (tmp_path / "documents").exists()
    assert {k: list(v) for k, v in books.rows.items()} == before


def test_statements_go_out_once_per_customer_and_currency(books, smtp_server, tmp_path):
    controller, inbox = smtp_server
    res = send(books, tmp_path, kind="statements", period="2026-11", env=smtp_env(controller.port), now=NOW)
    assert res.problems == []
    subjects = sorted(m["Subject"] for _, m in inbox.messages)
    assert subjects[0] == "Statement of account from Example Billing GmbH"
    docs = sorted(r["DocumentNo"] for r in rows(books, "tblDocuments"))
    assert docs == [f"ST-C00{i}-EUR-2026-11-30" for i in (1, 2, 3, 4)]
    again = send(books, tmp_path, kind="statements", period="2026-11", env=smtp_env(controller.port), now=NOW)
    assert again.summary["documents_sent"] == 0


def test_cli_send_on_a_workbook_file(billed_file, smtp_server, capsys):
    import json
    from ardesk.cli import main
    from .conftest import tables_of
    path, inbox = billed_file, smtp_server[1]
    assert main(["send", str(path), "--period", "2026-10", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["documents_rendered"], summary["documents_sent"], summary["failed"]) == (4, 3, 0)
    assert summary["print_batch_pages"] > 0 and summary["problems"] == []
    assert len(inbox.messages) == 4
    logged = tables_of(path)["tblDeliveries"]
    assert sum(1 for r in logged if r[5] == "sent") == 4
    assert main(["send", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents_sent"] == 0 and len(inbox.messages) == 4


def test_credit_note_from_an_invoices_row_refers_to_its_invoice(books, smtp_server, tmp_path):
    from datetime import date
    from decimal import Decimal
    from facturx import get_xml_from_pdf
    from lxml import etree
    # a credit note as the Invoices ledger holds it: negative amounts, RelatesTo its invoice, no lines
    books.rows["tblInvoices"].append(("CN-2026-00001", "credit note", "C001", date(2026, 10, 9), date(2026, 10, 9),
                                      "2026-10", "EUR", Decimal("-35.50"), Decimal("-6.75"), Decimal("-42.25"),
                                      None, "INV-2026-00001"))
    controller, inbox = smtp_server
    res = send(books, tmp_path, kind="credit-notes", env=smtp_env(controller.port), now=NOW)
    assert res.problems == [] and res.summary["documents_sent"] == 1
    assert sorted(to[0] for to, _ in inbox.messages) == ["ap@hafen.example", "boss@hafen.example"]
    msg = inbox.messages[0][1]
    assert msg["Subject"] == "Credit note CN-2026-00001 from Example Billing GmbH"
    pdf = next(msg.iter_attachments()).get_content()
    text = pdf_text(pdf)
    assert "Rechnungskorrektur CN-2026-00001" in text and "Korrigiert Rechnung INV-2026-00001" in text
    assert "42,25 EUR" in text and "-42,25" not in text          # shown as the amount credited
    _name, xml = get_xml_from_pdf(pdf, check_xsd=True)
    root = etree.fromstring(xml)
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    assert root.findtext(".//{*}ExchangedDocument/{*}TypeCode") == "381"
    assert root.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=ns) == "INV-2026-00001"
