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


def test_send_documents_button(unbilled_file, smtp_server, monkeypatch):
    from ardesk.cli import main
    monkeypatch.chdir(unbilled_file.parent)        # the remote engine's book has no folder: the working one
    assert main(["bill", str(unbilled_file)]) == 0
    controller, inbox = smtp_server
    for k, v in smtp_env(controller.port).items():
        monkeypatch.setenv(k, v)
    result, actions, alerts = xlremote.click(unbilled_file, "ardeskSend")
    assert "Send documents: 3 document(s) sent, 0 failed" in alerts[0]["prompt"]
    assert len(inbox.messages) == 4
    assert len(list((unbilled_file.parent / "documents").glob("INV-*.pdf"))) == 4


@pytest.mark.parametrize("control_id", ["ardeskPreview", "ardeskSend"])
def test_on_lite_the_document_buttons_say_what_is_unavailable(unbilled_file, monkeypatch, control_id):
    monkeypatch.setattr(buttons.sys, "platform", "emscripten")
    before = tables_of(unbilled_file)
    result, actions, alerts = xlremote.click(unbilled_file, control_id)
    assert result is None and tables_of(unbilled_file) == before
    prompt = alerts[0]["prompt"]
    assert "xlwings Lite runs in the browser" in prompt and "SMTP server" in prompt and "Nothing was done" in prompt
