"""Sent but not saved: the delivery journal keeps what a send did when the workbook write fails."""
from __future__ import annotations

import json

import pytest

from ardesk.delivery.send import send
from ardesk.io.port import WorkbookError

from .conftest import NOW, smtp_env
from .test_send import rows


def test_a_failed_workbook_write_loses_no_delivery_and_the_next_run_sends_nothing_twice(
        books, smtp_server, tmp_path, monkeypatch):
    controller, inbox = smtp_server

    def disk_full(changes, **kw):
        raise WorkbookError("book.xlsx: could not be saved: No space left on device")
    monkeypatch.setattr(books, "write", disk_full)
    with pytest.raises(WorkbookError):
        send(books, tmp_path, env=smtp_env(controller.port), now=NOW, user="clerk")
    monkeypatch.undo()
    assert len(inbox.messages) == 4                       # the server has them ...
    assert books.rows["tblDeliveries"] == [] and books.rows["tblDocuments"] == []      # ... the workbook not
    journal = [json.loads(line) for line in (tmp_path / "documents" / "deliveries.jsonl").read_text().splitlines()]
    assert sorted({r["row"][0] for r in journal if r["table"] == "tblDocuments"}) == [
        "INV-2026-00001", "INV-2026-00002", "INV-2026-00003", "INV-2026-00004"]

    res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW, user="clerk")
    assert res.problems == [] and len(inbox.messages) == 4                 # nothing sent twice
    assert res.summary["documents_sent"] == 0 and res.print_batch is None      # nor printed twice
    assert res.summary["adopted_from_journal"] == {"Documents": 4, "Deliveries": 6}
    assert any("could not save the workbook" in n for n in res.summary["notes"])
    sent = [r for r in rows(books, "tblDeliveries") if r["Status"] == "sent"]
    assert {r["MessageID"] for r in sent} == {m["Message-ID"].strip() for _, m in inbox.messages}
    assert all(r["At"] == NOW and r["User"] == "clerk" for r in sent)
    assert [r["Status"] for r in rows(books, "tblDeliveries") if r["Channel"] == "post"] == ["printed", "printed"]
    assert len(rows(books, "tblDocuments")) == 4
    assert not (tmp_path / "documents" / "deliveries.jsonl").exists()      # the workbook holds it all now
    again = send(books, tmp_path, env=smtp_env(controller.port), now=NOW)
    assert "adopted_from_journal" not in again.summary and len(books.rows["tblDeliveries"]) == 6


def test_cli_keeps_the_journal_beside_the_workbook(tmp_path, billed_file, smtp_server, monkeypatch, capsys):
    from ardesk.cli import main
    from ardesk.io.fileadapter import FileWorkbook
    from .conftest import tables_of
    path, inbox = billed_file, smtp_server[1]
    real = FileWorkbook._save_workbook

    def locked(self, changes, backup):
        raise OSError(13, "Permission denied", str(self.path))
    monkeypatch.setattr(FileWorkbook, "_save_workbook", locked)
    assert main(["send", str(path), "--json"]) != 0
    capsys.readouterr()
    assert len(inbox.messages) == 4 and not [r for r in tables_of(path)["tblDeliveries"] if any(r)]
    assert (tmp_path / "book.ardesk" / "deliveries.jsonl").is_file()
    monkeypatch.setattr(FileWorkbook, "_save_workbook", real)
    assert main(["send", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["documents_sent"] == 0 and len(inbox.messages) == 4
    assert not (tmp_path / "book.ardesk" / "deliveries.jsonl").exists()
    logged = tables_of(path)["tblDeliveries"]
    assert sorted(r[3] for r in logged if r[5] == "sent") == [
        "ap@hafen.example", "boss@hafen.example", "compta@port.example", "rechnung@amt.example"]
