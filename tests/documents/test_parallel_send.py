"""A send whose documents are issued in worker processes: the same messages and files as without them,
and a send killed midway (the whole run, or one worker) sends nothing twice on the next run."""
from __future__ import annotations

import email
import email.policy
import hashlib
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ardesk import schema
from ardesk.delivery import mail
from ardesk.delivery.send import send

from .conftest import CHARGES, CUSTOMERS, NOW, Inbox, billed_workbook, charge, customer, free_port, smtp_env
from .test_send import rows

MORE = [customer(f"C1{i:02d}", f"Kunde {i} GmbH", f"ap{i}@kunde.example", f"Weg {i}", "10115", city="Berlin",
                 locale="de_DE" if i % 2 else "en_GB", einvoice="factur-x" if i % 3 == 0 else None,
                 vat="DE136695976" if i % 3 == 0 else "") for i in range(1, 17)]
MORE_CHARGES = [charge(f"CHM{i}", f"C1{i:02d}", "HOST", 10 + i, i % 4 + 1, "Webhosting") for i in range(1, 17)]
MESSAGES = 20              # C001 two addresses, C003 and C004 one each, 16 more; C002 (and C003) by post


def many():
    return billed_workbook(CUSTOMERS + MORE, CHARGES + MORE_CHARGES)


class KillingInbox(Inbox):
    """Accepts ``keep`` messages; when the next one comes, calls ``kill`` (and accepts nothing more)."""

    def __init__(self, keep: int, kill):
        super().__init__()
        self.keep, self.kill, self.killed = keep, kill, False

    async def handle_DATA(self, server, session, envelope):
        if len(self.messages) >= self.keep:
            if not self.killed:
                self.killed = True
                self.kill()
            return "451 try again later"
        return await super().handle_DATA(server, session, envelope)


def serve(inbox):
    from aiosmtpd.controller import Controller
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


def received(*inboxes) -> tuple[Counter, set]:
    """(document, recipient) of every message the servers accepted, counted; and their (Message-ID, recipient)."""
    got = [(m, to) for inbox in inboxes for tos, m in inbox.messages for to in tos]
    return (Counter((next(m.iter_attachments()).get_filename().removesuffix(".pdf"), to) for m, to in got),
            {(m["Message-ID"].strip(), to) for m, to in got})


def same_but_boundary(wire: bytes) -> bytes:
    boundary = re.search(rb'boundary="([^"]+)"', wire).group(1)
    return wire.replace(boundary, b"BOUNDARY")


def test_the_wire_bytes_are_the_email_packages_own():
    pdf, xml = os.urandom(70_001), "<Invoice>ü</Invoice>".encode()
    m = mail.build("INV-1", "invoice", "billing@example.com", "Example Billing GmbH", "ap@kunde.example",
                   "Rechnung INV-1 von Example Billing GmbH", "Guten Tag,\n\nanbei die Rechnung.\n",
                   [("INV-1.pdf", pdf, "application/pdf"), ("INV-1.xml", xml, "application/xml")], NOW)
    whole = m.message.as_bytes(policy=m.message.policy.clone(linesep="\r\n"))
    full = email.message_from_bytes(whole, policy=email.policy.default)
    assert same_but_boundary(m.wire) == same_but_boundary(whole)     # the MIME boundary is drawn at random
    assert m.size == len(m.wire) and b"ardesk-attachment" not in m.wire
    back = email.message_from_bytes(m.wire, policy=email.policy.default)
    assert [p.get_content() for p in back.iter_attachments()] == [pdf, xml]
    assert back["Message-ID"] == full["Message-ID"] == m.message_id


def test_workers_send_the_same_documents_as_one_process(smtp_server, tmp_path):
    controller, inbox = smtp_server
    alone, pooled = many(), many()
    res = send(alone, tmp_path / "alone", env=smtp_env(controller.port), now=NOW, workers=1)
    assert res.problems == [] and len(inbox.messages) == MESSAGES
    one = list(inbox.messages)
    inbox.messages.clear()
    res = send(pooled, tmp_path / "pooled", env=smtp_env(controller.port), now=NOW, workers=2)
    assert res.problems == [] and res.summary["documents_sent"] == 19 and len(inbox.messages) == MESSAGES
    # the same PDFs and e-invoices, archived with the same hashes, in the same order
    strip = lambda r: {k: v for k, v in r.items() if k != "At"}            # noqa: E731
    assert [strip(r) for r in rows(pooled, "tblDocuments")] == [strip(r) for r in rows(alone, "tblDocuments")]
    for r in rows(pooled, "tblDocuments"):
        assert hashlib.sha256((tmp_path / "pooled" / "documents" / r["File"]).read_bytes()).hexdigest() == r["SHA256"]
    assert [(tos, [p.get_content() for p in m.iter_attachments()]) for tos, m in inbox.messages] == \
           [(tos, [p.get_content() for p in m.iter_attachments()]) for tos, m in one]
    assert [(r["DocumentNo"], r["Address"], r["Status"]) for r in rows(pooled, "tblDeliveries")] == \
           [(r["DocumentNo"], r["Address"], r["Status"]) for r in rows(alone, "tblDeliveries")]
    assert res.print_batch is not None and res.summary["print_batch_pages"] > 0
    again = send(pooled, tmp_path / "pooled", env=smtp_env(controller.port), now=NOW, workers=2)
    assert again.summary["documents_sent"] == 0 and len(inbox.messages) == MESSAGES


def _workers_of_this_process() -> list[int]:
    out = []
    for task in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in task.read_text().split():
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                out.append(int(pid))
    return out


@pytest.mark.skipif(sys.platform != "linux", reason="reads the worker processes from /proc")
def test_a_worker_killed_midway_stops_the_issuing_and_the_next_send_sends_the_rest_once(tmp_path):
    books = many()
    killed = []

    def kill_a_worker():
        pid = _workers_of_this_process()[0]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    first = KillingInbox(6, kill_a_worker)
    controller = serve(first)
    try:
        res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW, workers=2)
    finally:
        controller.stop()
    assert killed
    assert any("worker process issuing the documents stopped" in p for p in res.summary["problems"])
    assert res.written and 6 <= len(first.messages) < MESSAGES
    second = Inbox()
    controller = serve(second)
    try:
        res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW, workers=2)
    finally:
        controller.stop()
    assert res.problems == []
    _check_once_each(books_rows(books), tmp_path / "documents", first, second)


def books_rows(books) -> dict[str, list[dict]]:
    return {t: rows(books, t) for t in ("tblDocuments", "tblDeliveries")}


def _check_once_each(tabs: dict[str, list[dict]], documents: Path, *inboxes) -> None:
    """Every message reached the server exactly once, each is on Deliveries once as sent with its
    Message-ID, and every document is on Documents once with the SHA-256 of its archived file."""
    per_document, ids = received(*inboxes)
    assert len(per_document) == MESSAGES and set(per_document.values()) == {1}
    sent = [(r["MessageID"], r["Address"]) for r in tabs["tblDeliveries"] if r["Status"] == "sent"]
    assert len(sent) == MESSAGES and set(sent) == ids
    numbers = [r["DocumentNo"] for r in tabs["tblDocuments"]]
    assert len(numbers) == len(set(numbers)) == 20              # every invoice issued, once
    for r in tabs["tblDocuments"]:
        assert hashlib.sha256((documents / r["File"]).read_bytes()).hexdigest() == r["SHA256"], r["DocumentNo"]
        if r["XmlFile"]:
            assert hashlib.sha256((documents / r["XmlFile"]).read_bytes()).hexdigest() == r["XmlSHA256"]


@pytest.mark.skipif(sys.platform != "linux", reason="kills a process group")
def test_ardesk_send_killed_midway_sends_nothing_twice_on_the_next_run(tmp_path):
    from ardesk.io.fileadapter import FileWorkbook
    from ardesk.io.template import create_workbook
    from .conftest import tables_of
    path = tmp_path / "book.xlsx"
    create_workbook(path)
    FileWorkbook(path).write(many().to_changes())
    ardesk = Path(sys.executable).parent / "ardesk"
    procs = []

    def run(port):
        proc = subprocess.Popen([str(ardesk), "send", str(path), "--workers", "2"], cwd=tmp_path,
                                env={**os.environ, **smtp_env(port)}, start_new_session=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        procs.append(proc)
        return proc

    def kill_the_run():          # the sending process and its workers, at once
        os.killpg(procs[0].pid, signal.SIGKILL)

    first = KillingInbox(7, kill_the_run)
    controller = serve(first)
    try:
        proc = run(controller.port)
        proc.communicate(timeout=120)
    finally:
        controller.stop()
    assert proc.returncode == -signal.SIGKILL and len(first.messages) == 7
    assert not [r for r in tables_of(path)["tblDeliveries"] if any(r)]    # the workbook was never written ...
    journal = tmp_path / "book.ardesk" / "deliveries.jsonl"
    assert journal.is_file()                                          # ... the journal has what happened
    second = Inbox()
    controller = serve(second)
    try:
        proc = run(controller.port)
        out, err = proc.communicate(timeout=120)
    finally:
        controller.stop()
    assert proc.returncode == 0, (out.decode(), err.decode())
    assert len(second.messages) == MESSAGES - 7
    tabs = tables_of(path)
    as_dicts = {t: [dict(zip(schema.TABLES[t].header, r)) for r in tabs[t] if any(r)]
                for t in ("tblDocuments", "tblDeliveries")}
    _check_once_each(as_dicts, tmp_path / "documents", first, second)
    assert not journal.exists()
