"""Dunning letters rendered, archived and delivered: e-mail over a real SMTP server on loopback, the print
batch, and call tasks on the worklist."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal as D

from ardesk import app
from ardesk.core.collections.read import read_history
from ardesk.delivery.letters import Templates, dunning_letter, from_history
from ardesk.delivery.send import send
from ardesk.documents.issue import Issuer, lines_by_invoice
from ardesk.documents.settings import read_document_settings

from documents.conftest import free_port, pdf_text, smtp_env, smtp_server  # noqa: F401  (the fixture)

from .conftest import billed, charge, level, run

NOW = datetime(2024, 3, 31, 10, 0)
SETTINGS = {"CompanyName": "Example Billing GmbH", "CompanyAddress": "Ledgerweg 1", "CompanyPostalCode": "10115",
            "CompanyCity": "Berlin", "CompanyCountry": "DE", "CompanyEmail": "billing@example.com",
            "CompanyIBAN": "DE89370400440532013000", "CompanyBIC": "COBADEFFXXX"}
EU_H1_2024 = ("EU", date(2024, 1, 1), D("0.045"), "ECB MRO rate since 2023-09-20")


def person(cid, name, email=None, address="Kaistraße 5", pc="20457", city="Hamburg"):
    # CustomerID Name Email Address PostalCode Country TermsDays TaxRate Currency CreditLimit Status BankAccount City
    return (cid, name, email, address, pc, "DE", 60, D(0), "EUR", None, "active", None, city, "en_GB")


def dunned_books(levels=None):
    """Three customers, 1,000.00 each due 2024-03-01; C1 is reminded by e-mail, C2 by letter with fee, EU interest
    and compensation, C3 gets a call."""
    levels = levels or [level(1, 30, "friendly-reminder", channel="e-mail", policy="mail"),
                        level(1, 30, "reminder-letter", fee="5.00", basis="EU", comp="statutory", policy="post"),
                        level(1, 30, "call-script", channel="call task", policy="phone")]
    wb = billed([person("C1", "Acme Bakery", "ap@acme.example"), person("C2", "Blue Dental", pc="10117",
                                                                        city="Berlin"),
                 person("C3", "Corner Café", "cafe@corner.example")],
                [charge(f"K{k}", f"C{k}", "1000.00", "once", date(2024, 1, 1)) for k in (1, 2, 3)],
                period="2024-01", tblDunningLevels=levels, tblReferenceRates=[EU_H1_2024],
                tblDunningCustomers=[("C1", "mail", None), ("C2", "post", None), ("C3", "phone", None)])
    wb.settings.update(SETTINGS)
    return wb


def issued_books():
    wb = dunned_books()
    assert run(wb, "dunning", as_of=date(2024, 3, 31)).ok
    res = run(wb, "issue-dunning", when=date(2024, 3, 31))
    assert res.ok, res.problems
    assert [i.letter_id for i in res.letters] == ["DL-0000001", "DL-0000002", "DL-0000003"]
    return wb, res


def rows(wb, table):
    return [dict(zip(wb.headers[table], r)) for r in wb.rows[table]]


def test_letters_are_rendered_archived_e_mailed_printed_and_called(smtp_server, tmp_path):  # noqa: F811
    wb, res = issued_books()
    assert res.summary["call_tasks"] == 1
    (call,) = [r for r in rows(wb, "tblCollections") if r["CustomerID"] == "C3"]
    assert call["NextAction"].startswith("call: level-1 dunning DL-0000003 of 2024-03-31 about INV-2024-00003; "
                                         "script call-script")
    controller, inbox = smtp_server
    out = send(wb, tmp_path, kind="letters", env=smtp_env(controller.port), now=NOW, user="clerk")
    assert out.problems == [], out.summary
    # e-mail channel: one message to C1, the letter attached
    ((to, msg),) = inbox.messages
    assert to == ["ap@acme.example"] and msg["Subject"].startswith("Friendly reminder from Example Billing GmbH")
    (att,) = msg.iter_attachments()
    assert att.get_filename() == "DL-0000001.pdf"
    pdf = att.get_content()
    text = pdf_text(pdf)
    assert "INV-2024-00001" in text and "1,000.00 EUR" in text and "Dunning fee" not in text
    folder = tmp_path / "documents"
    assert pdf == (folder / "DL-0000001.pdf").read_bytes()
    # letter channel: the print batch; the letter states level, items, fee, interest, compensation and total
    letter = (folder / "DL-0000002.pdf").read_bytes()
    text = " ".join(pdf_text(letter).split())
    assert "Payment reminder (level 1): 1,055.27 EUR overdue" in text
    assert "Dunning level 1" in text and "INV-2024-00002" in text and "Days overdue" in text
    assert "Dunning fee 5.00 EUR" in text and "Interest 10.27 EUR" in text and "Compensation 40.00 EUR" in text
    assert "Balance due 1,055.27 EUR" in text
    assert "INV-2024-00002: 1,000.00 x 12.50% x 30/365 = 10.27" in text          # how the interest was worked out
    assert "invoice INV-2024-00004" in text                                   # the charge invoice
    batch = out.print_batch
    assert batch is not None and "INV-2024-00002" in pdf_text(batch.read_bytes())
    assert "INV-2024-00001" not in pdf_text(batch.read_bytes())
    docs = {r["DocumentNo"]: r for r in rows(wb, "tblDocuments")}
    assert sorted(docs) == ["DL-0000001", "DL-0000002"]                  # a call task is no document
    assert docs["DL-0000002"]["SHA256"] == hashlib.sha256(letter).hexdigest()
    assert (docs["DL-0000002"]["Kind"], docs["DL-0000002"]["Total"]) == ("letter", D("1055.27"))
    assert {(r["DocumentNo"], r["Channel"], r["Status"]) for r in rows(wb, "tblDeliveries")} == {
        ("DL-0000001", "email", "sent"), ("DL-0000002", "post", "printed")}
    # rendered again from the books: the same bytes
    ds, _ = read_document_settings(wb.settings, tmp_path)
    books = app.load(wb)
    history, _ = read_history(wb.read_tables(["tblDunningHistory"])["tblDunningHistory"])
    dunned = from_history(history, lines_by_invoice(books.tables["tblInvoiceLines"]))
    assert [d.letter_id for d in dunned] == ["DL-0000001", "DL-0000002", "DL-0000003"]
    again, problems = dunning_letter(dunned[1], books.customers["C2"], books.ledger, ds, Templates(ds.templates))
    issuer = Issuer(ds, books.ledger, books.customers)
    doc, _ = issuer.letter(books.customers["C2"], again.number, again.date, again.subject, list(again.paragraphs),
                           extra=again.extra, info=again.info, currency="EUR", total=again.total)
    issuer.close()
    assert problems == [] and doc.pdf == letter
    # a second send sends nothing
    before = (len(inbox.messages), len(wb.rows["tblDocuments"]), len(wb.rows["tblDeliveries"]))
    out = send(wb, tmp_path, kind="letters", env=smtp_env(controller.port), now=NOW)
    assert out.problems == [] and out.summary["documents_rendered"] == 0
    assert (len(inbox.messages), len(wb.rows["tblDocuments"]), len(wb.rows["tblDeliveries"])) == before


def test_a_refused_connection_marks_no_letter_sent_and_the_next_send_delivers_it(smtp_server, tmp_path):  # noqa: F811
    wb, _res = issued_books()
    out = send(wb, tmp_path, kind="letters", env=smtp_env(free_port()), now=NOW)
    assert any("cannot be reached" in p for p in out.summary["problems"])
    mailed = [r for r in rows(wb, "tblDeliveries") if r["Channel"] == "email"]
    assert [(r["DocumentNo"], r["Status"]) for r in mailed] == [("DL-0000001", "failed")]
    controller, inbox = smtp_server
    out = send(wb, tmp_path, kind="letters", env=smtp_env(controller.port), now=NOW)
    assert out.problems == [] and [to for to, _m in inbox.messages] == [["ap@acme.example"]]
    assert out.print_batch is None                            # printed on the first run already
    assert len(wb.rows["tblDocuments"]) == 2                   # issued once


def test_a_level_naming_a_template_that_does_not_exist_is_refused_and_nothing_written():
    wb = dunned_books([level(1, 30, "friendly-reminder", channel="e-mail", policy="mail"),
                       level(1, 30, "reminder-lettre", policy="post"), level(1, 30, "call-script", policy="phone")])
    before = {k: list(v) for k, v in wb.rows.items() if k != "tblExceptions"}
    for command in ("dunning", "validate"):
        res = run(wb, command, as_of=date(2024, 3, 31))
        (p,) = res.problems
        assert (p.sheet, p.row, p.column, p.value) == ("DunningLevels", 3, "Template", "reminder-lettre")
        assert "has no dunning-reminder-lettre.txt" in p.message and "reminder-letter" in p.message
    assert {k: v for k, v in wb.rows.items() if k != "tblExceptions"} == before


def test_a_call_task_leaves_the_worklist_once_the_call_is_noted():
    wb, _res = issued_books()
    #                 Date Clerk CustomerID InvoiceNo Channel Text PromisedDate PromisedAmount FollowUp Promise
    wb.rows["tblCustomerNotes"] = [(date(2024, 4, 2), "ann", "C1", None, "call", "no answer", None, None, None,
                                    None)]
    run(wb, "dunning", as_of=date(2024, 4, 3))
    actions = {r["CustomerID"]: r["NextAction"] for r in rows(wb, "tblCollections")}
    assert actions["C3"].startswith("call: level-1 dunning DL-0000003")        # a call to C1 does not count
    wb.rows["tblCustomerNotes"].append((date(2024, 4, 3), "ann", "C3", None, "call", "will pay Friday", None, None,
                                        None, None))
    run(wb, "dunning", as_of=date(2024, 4, 3))
    actions = {r["CustomerID"]: r["NextAction"] for r in rows(wb, "tblCollections")}
    assert not actions.get("C3", "").startswith("call: level-1 dunning")


def test_issue_dunning_on_the_command_line_sends_the_letters_and_send_then_finds_none(smtp_server, tmp_path,  # noqa: F811
                                                                                      monkeypatch, capsys):
    from ardesk.cli import main
    from ardesk.io.fileadapter import FileWorkbook
    from ardesk.io.template import create_workbook
    controller, inbox = smtp_server
    for k, v in smtp_env(controller.port).items():
        monkeypatch.setenv(k, v)
    path = tmp_path / "book.xlsx"
    create_workbook(path)
    FileWorkbook(path).write(dunned_books().to_changes())
    assert main(["dunning", str(path), "--as-of", "2024-03-31"]) == 0
    capsys.readouterr()
    assert main(["issue-dunning", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["letters_issued"], summary["call_tasks"]) == (3, 1)
    # the print batch: cover sheet and the letter, each with its blank back for duplex printing
    assert (summary["send"]["documents_sent"], summary["send"]["print_batch_pages"]) == (1, 4)
    assert [to for to, _m in inbox.messages] == [["ap@acme.example"]]
    assert sorted(p.name for p in (tmp_path / "documents").glob("*.pdf")) == ["DL-0000001.pdf", "DL-0000002.pdf"]
    assert len(list((tmp_path / "documents" / "print").glob("print-letters-*.pdf"))) == 1
    assert main(["send", str(path), "--kind", "letters", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["documents_rendered"], summary["documents_sent"], summary["print_batch_pages"]) == (0, 0, 0)
    assert len(inbox.messages) == 1


def test_a_delivered_letter_is_not_made_again_and_a_missing_template_is_named(tmp_path):
    import shutil
    from ardesk.documents.settings import SHIPPED_TEMPLATES
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    wb, _res = issued_books()
    wb.settings.update(TemplatesFolder=str(templates), MailMode="eml")     # e-mail as drafts: delivered
    out = send(wb, tmp_path, kind="letters", now=NOW)
    assert out.problems == [] and out.summary["drafts"] == 1 and out.summary["print_batch_pages"]
    (templates / "dunning-reminder-letter.txt").unlink()
    again = send(wb, tmp_path, kind="letters", now=NOW)
    assert again.problems == [] and again.summary["documents_rendered"] == 0      # nothing left to make
    # a letter still to deliver whose template is gone: named, the others go on
    wb.rows["tblDeliveries"] = [r for r in wb.rows["tblDeliveries"] if r[0] != "DL-0000002"]
    wb.rows["tblDocuments"] = [r for r in wb.rows["tblDocuments"] if r[0] != "DL-0000002"]
    last = send(wb, tmp_path, kind="letters", now=NOW)
    (p,) = last.problems
    assert (p.sheet, p.column, p.value) == ("DunningHistory", "Template", "reminder-letter")
    assert "DL-0000002" in p.message and "dunning-reminder-letter.txt cannot be read" in p.message
