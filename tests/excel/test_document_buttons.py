"""Preview billing and Send documents through xlwings' remote engine; Lite says what it cannot do."""
from __future__ import annotations

import pytest

from ardesk.excel import buttons
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.template import create_workbook

from documents.conftest import CHARGES, CUSTOMERS, SETTINGS, smtp_env, smtp_server, tables_of  # noqa: F401

from . import xlremote_helpers as xlremote


@pytest.fixture
def unbilled_file(tmp_path):
    from ardesk.io.memory import MemoryWorkbook
    path = tmp_path / "book.xlsx"
    create_workbook(path)
    FileWorkbook(path).write(MemoryWorkbook.with_rows({"tblCustomers": CUSTOMERS, "tblCharges": CHARGES},
                                                      SETTINGS).to_changes())
    return path


def test_preview_billing_button_fills_the_proof_tab(unbilled_file):
    result, actions, alerts = xlremote.click(unbilled_file, "ardeskPreview")
    assert result is not None and result.ok
    assert "4 invoice(s) on the Proof tab" in alerts[0]["prompt"]
    proof = [r for r in tables_of(unbilled_file)["tblProof"] if r[1]]
    assert [r[1] for r in proof] == ["INV-2026-00001", "INV-2026-00002", "INV-2026-00003", "INV-2026-00004"]
    assert not [r for r in tables_of(unbilled_file)["tblInvoices"] if r[0]]


def test_send_documents_button(unbilled_file, smtp_server, monkeypatch, tmp_path):
    """On xlwings Server, Send needs absolute folders: it sends nothing and writes nowhere while the
    Documents and Bounce folders are relative (they would be the server's working folder, shared by every
    workbook it serves); set to folders on the server, it sends and archives there."""
    from ardesk.cli import main
    from ardesk.io.port import Changes
    assert main(["bill", str(unbilled_file)]) == 0
    controller, inbox = smtp_server
    for k, v in smtp_env(controller.port).items():
        monkeypatch.setenv(k, v)
    cwd = tmp_path / "server-cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    before = tables_of(unbilled_file)
    result, actions, alerts = xlremote.click(unbilled_file, "ardeskSend")
    prompt = alerts[0]["prompt"]
    assert result is None and alerts[0]["mode"] == "critical" and [a["func"] for a in actions] == ["alert"]
    assert "Documents folder (DocumentsFolder) is 'documents', a path relative" in prompt
    assert "Bounce messages folder (BounceFolder) is 'bounces'" in prompt and "Nothing was written" in prompt
    assert not inbox.messages and not list(cwd.iterdir()) and tables_of(unbilled_file) == before

    ch = Changes()
    ch.names.update(DocumentsFolder=str(tmp_path / "srv" / "docs"), BounceFolder=str(tmp_path / "srv" / "bounces"))
    FileWorkbook(unbilled_file).write(ch, backup=False)
    result, actions, alerts = xlremote.click(unbilled_file, "ardeskSend")
    assert "Send documents: 3 document(s) sent, 0 failed" in alerts[0]["prompt"]
    assert len(inbox.messages) == 4
    assert len(list((tmp_path / "srv" / "docs").glob("INV-*.pdf"))) == 4
    assert not list(cwd.iterdir())


def test_on_server_relative_paths_on_settings_are_refused(unbilled_file, monkeypatch, tmp_path):
    """A relative templates folder, logo or bank inbox would be the server's working folder's: refused,
    each named with its value, before anything is read from there; the classic add-in takes them from
    beside the workbook."""
    from ardesk.io.port import Changes
    ch = Changes()
    ch.names.update(TemplatesFolder="my-templates", CompanyLogo="logo.png", BankInbox="inbox")
    FileWorkbook(unbilled_file).write(ch, backup=False)
    before = tables_of(unbilled_file)
    for control_id, named in [("ardeskPreview", ("TemplatesFolder", "CompanyLogo")),
                              ("ardeskDunningRun", ("TemplatesFolder",)),
                              ("ardeskImportBank", ("BankInbox",)), ("ardeskMonthEnd", ("BankInbox",))]:
        result, actions, alerts = xlremote.click(unbilled_file, control_id)
        prompt = alerts[0]["prompt"]
        assert result is None and [a["func"] for a in actions] == ["alert"], control_id
        for name in ("TemplatesFolder", "CompanyLogo", "BankInbox", "DocumentsFolder"):
            assert (f"({name})" in prompt) == (name in named), (control_id, name)
    assert tables_of(unbilled_file) == before
    # steps that read none of them run as before
    result, _actions, alerts = xlremote.click(unbilled_file, "ardeskPostReceipts")
    assert result is not None and "could not run" not in alerts[0]["prompt"]
    # beside the saved workbook (the classic add-in) a relative folder is the workbook's own
    (unbilled_file.parent / "my-templates").mkdir()
    result, _actions, alerts = xlremote.click(unbilled_file, "ardeskPreview", saved=True)
    assert "templates folder" in alerts[0]["prompt"] and "has no document.typ" in alerts[0]["prompt"]


@pytest.mark.parametrize("control_id", ["ardeskPreview", "ardeskSend"])
def test_on_lite_the_document_buttons_say_what_is_unavailable(unbilled_file, monkeypatch, control_id):
    monkeypatch.setattr(buttons.sys, "platform", "emscripten")
    before = tables_of(unbilled_file)
    result, actions, alerts = xlremote.click(unbilled_file, control_id)
    assert result is None and tables_of(unbilled_file) == before
    prompt = alerts[0]["prompt"]
    assert "xlwings Lite runs in the browser" in prompt and "SMTP server" in prompt and "Nothing was done" in prompt
