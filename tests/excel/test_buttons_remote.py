"""Every ribbon button run through xlwings' remote engine gives the workbook the file adapter gives.

Each test presses a button on one copy of a workbook (payload -> remote engine
-> actions applied back to the file) and runs the same step with the file
adapter on another copy, then compares every table, setting and title.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ardesk import app
from ardesk.excel import buttons
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Changes

from .xlremote_helpers import assert_same, click, file_run, inbox_files, snapshot

STEPS = [
    ("ardeskValidate", "validate", False),
    ("ardeskBill", "bill", False),
    ("ardeskPostReceipts", "receive", False),
    ("ardeskImportBank", "receive", True),
    ("ardeskDeposit", "deposit", False),
    ("ardeskReconcile", "reconcile", False),
    ("ardeskReports", "report", False),
    ("ardeskMonthEnd", "month-end", True),
    ("ardeskClose", "close", False),
]


def check_button(remote, local, demo_dir, control_id, command, bank):
    """Press ``control_id`` on ``remote``, run ``command`` on ``local`` with the file adapter: same workbook."""
    result, actions, alerts = click(remote, control_id)
    expected = file_run(local, command, bank_files=inbox_files(demo_dir) if bank else ())
    assert result is not None and not result.problems, result and result.problems
    assert not expected.problems
    assert result.command == command
    assert result.summary["invoices_issued"] == expected.summary["invoices_issued"]
    assert result.summary["receipts_posted"] == expected.summary["receipts_posted"]
    assert_same(snapshot(remote), snapshot(local))
    assert len(alerts) == 1 and alerts[0]["mode"] == "info"
    return result, actions, alerts


@pytest.mark.parametrize("control_id,command,bank", STEPS, ids=[s[0] for s in STEPS])
def test_button_matches_file_run(pair, demo_dir, control_id, command, bank, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)           # a remote book has no folder: nothing may land in the server's
    remote, local = pair
    result, actions, alerts = check_button(remote, local, demo_dir, control_id, command, bank)
    written = {a["func"] for a in actions}
    if command != "validate":           # a clean validate writes nothing at all; the others must write
        assert written != {"alert"}, "the step wrote nothing, so the comparison proves nothing"
    if command in ("bill", "month-end"):
        assert result.summary["invoices_issued"] > 0
        assert f"{result.summary['invoices_issued']} invoice(s) issued" in alerts[0]["prompt"]
    if control_id == "ardeskPostReceipts":
        assert result.summary["receipts_posted"] > 0 and result.summary["bank_formats"] == []
    if bank:
        assert result.summary["receipts_posted"] > 0 and result.summary["bank_formats"]
    if command == "deposit":            # no PDF in the server's folder; the clerk is told how to print
        slips = result.summary["deposit_slips"]
        assert slips and "deposit_pdfs" not in result.summary and not list(tmp_path.rglob("*.pdf"))
        assert all(s["deposit_id"] in alerts[0]["prompt"] for s in slips)
        assert f"--reprint {slips[0]['deposit_id']}" in alerts[0]["prompt"]
    if command == "close":
        assert str(snapshot(remote)["settings"]["LockedThrough"]).startswith("2026-10-31")


@pytest.mark.parametrize("wrong", ["report", "validate"])
def test_a_button_dispatched_to_the_wrong_step_fails_the_check(pair, demo_dir, monkeypatch, wrong):
    """The comparison above catches a button that runs another step than its own."""
    import dataclasses
    from ardesk.excel import ids
    remote, local = pair
    broken = dataclasses.replace(ids.BUTTON_BY_ID["ardeskReconcile"], command=wrong)
    monkeypatch.setitem(ids.BUTTON_BY_ID, "ardeskReconcile", broken)
    with pytest.raises(AssertionError):
        check_button(remote, local, demo_dir, "ardeskReconcile", "reconcile", False)


@pytest.mark.parametrize("dates", ["iso", "serial"])
def test_month_end_step_by_step(pair, demo_dir, dates):
    """Bill, import, reconcile, report in turn: appends land below what the previous step appended."""
    remote, local = pair
    by_id = {s[0]: s for s in STEPS}
    for control_id, command, bank in (by_id[i] for i in ("ardeskBill", "ardeskImportBank", "ardeskReconcile",
                                                           "ardeskReports")):
        result, _actions, _alerts = click(remote, control_id, dates=dates)
        assert result is not None and not result.problems, result and result.problems
        file_run(local, command, bank_files=inbox_files(demo_dir) if bank else ())
        assert_same(snapshot(remote), snapshot(local))
    # a second import finds every line already imported and posts nothing
    result, actions, _ = click(remote, "ardeskImportBank", dates=dates)
    assert result.summary["receipts_posted"] == 0
    assert result.summary["duplicates_skipped"] > 0
    assert [a["func"] for a in actions] == ["alert"]


def test_empty_workbook_first_rows_fill_the_blank_row(tmp_path):
    """A new workbook's tables keep one blank row; the first append fills it, in both modes."""
    from datetime import date
    from ardesk.io.template import create_workbook
    remote, local = tmp_path / "remote.xlsx", tmp_path / "file.xlsx"
    create_workbook(remote)
    ch = Changes()
    ch.append("tblCustomers", [("C0001", "Harbor Bakery", None, None, None, "BE", 30, 0.21, "EUR", None, "active",
                                None, None)])
    ch.append("tblCharges", [("CH1", "C0001", "BASIC", "Basic plan", 1, 49, "monthly", date(2026, 1, 1), None, None)])
    ch.names["Period"] = "2026-10"
    FileWorkbook(remote).write(ch, backup=False)
    shutil.copy(remote, local)
    result, actions, _ = click(remote, "ardeskBill")
    assert result.summary["invoices_issued"] == 1
    file_run(local, "bill")
    assert_same(snapshot(remote), snapshot(local))
    snap = snapshot(remote)
    assert len(snap["tblInvoices"][1]) == 1
    resize = [a for a in actions if a["func"] == "resizeTable"]
    assert any(a["args"][1].replace("$", "") == "A1:L2" for a in resize), resize      # the blank row was filled, not skipped


def test_bad_input_writes_only_exceptions(pair):
    remote, local = pair
    for path in (remote, local):
        ch = Changes()
        ch.update("tblCustomers", 3, "TermsDays", "thirty")
        FileWorkbook(path).write(ch, backup=False)
    result, actions, alerts = click(remote, "ardeskBill")
    expected = file_run(local, "bill")
    assert result.problems and expected.problems
    assert_same(snapshot(remote), snapshot(local))
    from openpyxl import load_workbook
    exceptions_pos = load_workbook(remote, read_only=True).sheetnames.index("Exceptions")
    written = {a["sheet_position"] for a in actions if a["func"] != "alert"}
    assert written == {exceptions_pos}
    assert alerts[0]["mode"] == "critical"
    assert "TermsDays" in alerts[0]["prompt"] and "nothing was posted" in alerts[0]["prompt"]
    rows = snapshot(remote)["tblExceptions"][1]
    assert any("thirty" in str(r) for r in rows)


def test_error_inside_a_run_writes_nothing(pair):
    """A workbook the library cannot read (a table renamed): one alert, no other action."""
    remote, _ = pair
    from openpyxl import load_workbook
    wb = load_workbook(remote)
    t = wb["Journal"].tables["tblJournal"]
    t.displayName = t.name = "tblJournalOld"
    wb["Journal"].tables["tblJournalOld"] = wb["Journal"].tables.pop("tblJournal")
    wb.save(remote)
    before = remote.read_bytes()
    result, actions, alerts = click(remote, "ardeskMonthEnd")
    assert result is None
    assert [a["func"] for a in actions] == ["alert"]
    assert "tblJournal" in alerts[0]["prompt"] and "Nothing was written" in alerts[0]["prompt"]
    assert remote.read_bytes() == before


def test_text_starting_with_equals_lands_as_text(pair):
    """A typed receipt whose payer looks like a formula is posted with the payer as text."""
    from datetime import date
    from openpyxl import load_workbook
    from ardesk.core.money import to_decimal
    remote, local = pair
    books = app.load(FileWorkbook(remote))
    inv, left = next((i, v) for i, v in books.ledger.open_items() if i.kind == "invoice" and i.currency == "EUR")
    amount = to_decimal(left, 2)
    payer = "=HYPERLINK(\"http://x\",\"pay\")"
    for path in (remote, local):
        ch = Changes()
        ch.append("tblReceipts", [(date(2026, 10, 20), "check", payer, inv.customer_id, inv.number, "0012", amount, "EUR",
                                   None)])
        FileWorkbook(path).write(ch, backup=False)
    result, actions, _ = click(remote, "ardeskPostReceipts")
    assert result.summary["receipts_posted"] >= 1
    file_run(local, "receive")
    assert_same(snapshot(remote), snapshot(local))
    ws = load_workbook(remote)["Payments"]
    rows = [r for r in ws.iter_rows(min_row=2) if r[4].value == payer]
    assert len(rows) == 1
    cells = {c.value: c.data_type for c in rows[0]}
    assert cells[payer] == "s"
    assert cells["0012"] == "s"                                # a check number keeps its leading zeros
    sent = [v for a in actions if a["func"] == "setValues" for r in a["values"] for v in r]
    assert "'" + payer in sent and payer not in sent


def _type_review_decision(path, decision: str, customer: str = "") -> str:
    """Type a decision on the first Review row, as a clerk does; returns the row's fingerprint."""
    port = FileWorkbook(path)
    t = port.read_tables(["tblReview"])["tblReview"]
    rownum = t.first_row
    ch = Changes()
    ch.update("tblReview", rownum, "Decision", decision)
    if customer:
        ch.update("tblReview", rownum, "CustomerID", customer)
    port.write(ch, backup=False)
    return t.rows[0][t.index("Fingerprint")]


def test_apply_review_posts_the_typed_decision(pair):
    remote, local = pair
    books = app.load(FileWorkbook(remote))
    customer = next(i.customer_id for i, _left in books.ledger.open_items() if i.currency == "EUR")
    for path in (remote, local):
        fingerprint = _type_review_decision(path, "assign", customer)
    before = len(snapshot(remote)["tblAllocations"][1])
    result, actions, alerts = click(remote, "ardeskApplyReview")
    expected = file_run(local, "apply-review")
    assert result is not None and not result.problems and not expected.problems
    assert alerts[-1]["prompt"].startswith("Apply review")
    assert_same(snapshot(remote), snapshot(local))
    snap = snapshot(remote)
    assert len(snap["tblAllocations"][1]) > before                 # the held money went to the customer
    header, rows = snap["tblReview"]
    row = next(r for r in rows if r[header.index("Fingerprint")] == fingerprint)
    assert row[header.index("Status")], "the decision was not marked as posted"


def test_typed_receipts_post_without_an_inbox_on_the_remote_engine(pair):
    """No BankInbox and no file dialog (Mac, Lite, Server): both cash buttons still post the Receipts tab."""
    remote, local = pair
    for path in (remote, local):
        ch = Changes()
        ch.names["BankInbox"] = ""
        FileWorkbook(path).write(ch, backup=False)
    result, actions, alerts = click(remote, "ardeskImportBank")
    expected = file_run(local, "receive")
    assert result is not None and not result.problems
    assert result.summary["receipts_posted"] == expected.summary["receipts_posted"] > 0
    assert result.summary["bank_formats"] == []
    assert_same(snapshot(remote), snapshot(local))
    assert "BankInbox" in alerts[0]["prompt"]                    # says how to import bank files here
    # and nothing is left to post: a second click says so and writes nothing
    result, actions, alerts = click(remote, "ardeskPostReceipts")
    assert result.summary["receipts_posted"] == 0
    assert [a["func"] for a in actions] == ["alert"]


def test_number_formats_on_appended_rows(pair):
    from openpyxl import load_workbook
    from ardesk.schema import NUMBER_FORMATS
    remote, _ = pair
    before = load_workbook(remote, read_only=True)["Invoices"].max_row
    click(remote, "ardeskBill")
    ws = load_workbook(remote)["Invoices"]
    new = ws[before + 1]
    assert new[3].number_format == NUMBER_FORMATS["date"]          # IssueDate
    assert new[9].number_format == NUMBER_FORMATS["money"]         # Total
    assert ws.tables["tblInvoices"].ref == f"A1:L{ws.max_row}"


def test_scripts_run_through_xlwings(pair):
    """The Lite/Server scripts are what xlwings finds and calls, with the workbook injected."""
    import asyncio
    import xlwings as xw
    from xlwings.server import custom_scripts_call, custom_scripts_meta
    from ardesk.excel.payload import apply_to_file, book_payload
    remote, local = pair
    meta = {m["function_name"] for m in custom_scripts_meta(buttons)}
    assert meta == set(buttons.SCRIPTS)
    book = xw.Book(json=book_payload(remote))
    asyncio.run(custom_scripts_call(buttons, "ardesk_reports", typehint_to_value={xw.Book: book}))
    actions = book.json()["actions"]
    assert {"setValues", "resizeTable", "alert"} <= {a["func"] for a in actions}
    apply_to_file(remote, actions)
    file_run(local, "report")
    assert_same(snapshot(remote), snapshot(local))


def test_unknown_action_fails_the_utility(tmp_path):
    from openpyxl import Workbook
    from ardesk.excel.payload import UnknownActionError, apply_actions
    with pytest.raises(UnknownActionError):
        apply_actions(Workbook(), [{"func": "setRangeColor", "sheet_position": 0, "args": ["#ff0000"]}])


def test_lite_main_exposes_every_button_and_function():
    """The xlwings Lite main.py template gives Lite every script and worksheet function."""
    import importlib.util
    from pathlib import Path
    from xlwings.server import custom_functions_meta, custom_scripts_meta
    from ardesk.excel import udfs
    for module in (buttons, udfs):      # imported before the test environment set the licence key: define them now
        if not (getattr(module, "REGISTERED", None) or getattr(module, "EXPOSED", None)):
            importlib.reload(module)
    path = Path(buttons.__file__).with_name("lite") / "main.py"
    spec = importlib.util.spec_from_file_location("ardesk_lite_main", path)
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    assert {m["function_name"] for m in custom_scripts_meta(main)} == set(buttons.SCRIPTS)
    meta = custom_functions_meta(main)
    funcs = meta["functions"] if isinstance(meta, dict) else meta
    assert {f["id"] for f in funcs} == {n.upper() for n in udfs.EXPOSED}


def test_recover_button_puts_back_what_a_stale_save_dropped(pair, monkeypatch):
    """The run log beside the file holds a bill run; a colleague's stale copy dropped it; Recover puts it back."""
    remote, _local = pair
    stale = remote.read_bytes()
    posted = file_run(remote, "bill", period="2026-11")
    assert posted.written and posted.summary["invoices_issued"] > 0
    want = snapshot(remote)
    remote.write_bytes(stale)                                   # the colleague's save
    assert any("posts lost" in str(p) for p in FileWorkbook(remote).check_books())
    # sent the workbook's contents alone (xlwings Server), the click has no run log, even with one of a
    # workbook of the same name in its working folder: that one is not this workbook's
    monkeypatch.chdir(remote.parent)
    _result, actions, alerts = click(remote, "ardeskRecover")
    assert "no run log" in alerts[0]["prompt"] and "ardesk recover" in alerts[0]["prompt"]
    assert not [a for a in actions if a["func"] not in ("alert", "setStatusBar")]
    assert any("posts lost" in str(p) for p in FileWorkbook(remote).check_books())
    _result, _actions, alerts = click(remote, "ardeskRecover", saved=True)      # the classic add-in
    assert f"1 run(s) put back (Invoices {posted.summary['invoices_issued']}" in alerts[0]["prompt"]
    assert FileWorkbook(remote).check_books() == []
    got = snapshot(remote)
    for t in ("tblInvoices", "tblInvoiceLines", "tblJournal", "tblAudit"):
        assert got[t] == want[t], t
    assert got["settings"]["NextInvoiceNumber"] == want["settings"]["NextInvoiceNumber"]


def test_runs_from_the_ribbon_are_taken_into_the_run_log(pair, demo_dir):
    """The ribbon keeps no log; its posts, anchored on the Audit tab, are adopted, not reported as inserted."""
    remote, _local = pair
    assert file_run(remote, "bill", period="2026-11").written            # the command line starts the log
    result, _actions, _alerts = click(remote, "ardeskImportBank", bank_files=inbox_files(demo_dir))
    assert result is not None and result.summary["receipts_posted"] > 0
    port = FileWorkbook(remote)
    assert port.check_books() == []
    assert set(port.last_check.adopt) >= {"tblPayments", "tblAudit"}
    assert file_run(remote, "bill", period="2026-12").written            # a posting run logs what it adopted
    port = FileWorkbook(remote)
    assert port.check_books() == [] and not port.last_check.adopt
    assert "runs from the Excel ribbon" in port.log().file.read_text()


def test_a_click_tells_its_stages(pair, demo_dir):
    """What the status bar shows, in order, also handed to a listener (the benchmark times the stages)."""
    remote, _local = pair
    stages = []
    result, _actions, _alerts = click(remote, "ardeskMonthEnd", bank_files=inbox_files(demo_dir),
                                      progress=stages.append)
    assert result is not None and not result.problems
    assert stages == ["read", *app.STEPS["month-end"], "finish", "write"]


def test_deposit_slip_pdf_beside_a_saved_workbook(pair):
    """Where the workbook has a folder (the classic add-in), each slip's PDF is saved beside it."""
    from types import SimpleNamespace
    from pypdf import PdfReader
    _remote, book_file = pair
    result = file_run(book_file, "deposit")
    assert result.written and result.deposit_slips
    pdfs = buttons._print_slips(SimpleNamespace(fullname=str(book_file), name=book_file.name), result)
    assert [p.name for p in pdfs] == [f"{book_file.stem}-{s.deposit_id}.pdf" for s in result.deposit_slips]
    for slip, pdf in zip(result.deposit_slips, pdfs):
        assert pdf.parent == book_file.parent
        assert slip.deposit_id in "".join(page.extract_text() for page in PdfReader(pdf).pages)


def test_deposit_on_the_server_saves_slips_in_an_absolute_documents_folder(pair, tmp_path, monkeypatch):
    """A workbook sent to xlwings Server has no folder: the slips go to Documents folder when it names a
    folder on the server, and the message names each PDF."""
    from pypdf import PdfReader
    remote, _local = pair
    monkeypatch.chdir(tmp_path)
    slips_dir = tmp_path / "server-slips"
    slips_dir.mkdir()
    ch = Changes()
    ch.names["DocumentsFolder"] = str(slips_dir)
    FileWorkbook(remote).write(ch, backup=False)
    result, _actions, alerts = click(remote, "ardeskDeposit")
    pdfs = result.summary["deposit_pdfs"]
    assert pdfs and [Path(p).parent for p in pdfs] == [slips_dir] * len(result.deposit_slips)
    for slip, pdf in zip(result.deposit_slips, pdfs):
        assert pdf in alerts[0]["prompt"]
        assert slip.deposit_id in "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert not [p for p in tmp_path.rglob("*.pdf") if p.parent != slips_dir]
