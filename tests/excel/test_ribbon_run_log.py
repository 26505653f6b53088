"""Ribbon runs on a workbook that is a file keep the run log beside it, as the command line does.

The classic add-in's ``Book.fullname`` is the workbook's path; the remote engine reports the payload's
book name as ``fullname``, so the payload here names the workbook by its full path (or by a OneDrive URL).
"""
from __future__ import annotations

import json

from ardesk.io.fileadapter import FileWorkbook

from .xlremote_helpers import NOW, USER, file_run, inbox_files, snapshot


def click_as(path, name: str, control_id: str, **kw):
    """Press a button on the workbook at ``path``, the book known to Excel as ``name``."""
    import xlwings as xw
    from ardesk.excel import buttons
    from ardesk.excel.payload import apply_to_file, book_payload
    payload = book_payload(path)
    payload["book"]["name"] = name
    book = xw.Book(json=payload)
    result = buttons.run_button(book, control_id, now=NOW, user=USER, **kw)
    alerts = apply_to_file(path, [dict(a) for a in book.json()["actions"]])
    return result, alerts


def records(workbook) -> list[dict]:
    return [json.loads(ln) for ln in (workbook.with_name(workbook.stem + ".ardesk") / "runs.jsonl").read_text(
        encoding="utf-8").splitlines() if ln.strip()]


def stamped_rows(record: dict) -> list:
    from ardesk.core.ledger.chain import canonical, canonical_row
    from ardesk.io.runlog import decode
    return [(t, row, column, canonical(decode(value)), canonical_row([decode(v) for v in content]))
            for t, row, column, value, content in record["updates"]]


def test_a_ribbon_run_logs_the_same_record_as_the_command_line(pair, demo_dir):
    remote, local = pair
    for path in (remote, local):                      # the log started by the command line on both
        assert file_run(path, "bill", period="2026-10").written
    result, alerts = click_as(remote, str(remote), "ardeskImportBank", bank_files=inbox_files(demo_dir))
    expected = file_run(local, "receive", bank_files=inbox_files(demo_dir))
    assert result.summary["receipts_posted"] == expected.summary["receipts_posted"] > 0
    assert "No run log" not in alerts[0]["prompt"]
    ribbon, cli = records(remote)[-2:], records(local)[-2:]
    assert [r["kind"] for r in ribbon] == ["run", "commit"] and ribbon[1]["run"] == ribbon[0]["id"]
    assert ribbon[0]["command"] == cli[0]["command"] == "receive"
    for key in ("before", "after", "appends", "names"):
        assert ribbon[0][key] == cli[0][key], key
    # a stamped row's content as each engine read it (an int from the client's JSON, a float from the file):
    # the same row to find again
    assert stamped_rows(ribbon[0]) == stamped_rows(cli[0])
    assert len(ribbon[0]["appends"]["tblPayments"]) == result.summary["receipts_posted"]
    port = FileWorkbook(remote)
    assert port.check_books() == [] and not port.last_check.adopt     # logged, not adopted by its anchor


def test_a_ribbon_run_stops_where_a_stale_save_dropped_posted_rows(pair, demo_dir):
    remote, _local = pair
    stale = remote.read_bytes()
    posted = file_run(remote, "bill", period="2026-10")
    assert posted.written and posted.summary["invoices_issued"] > 0
    remote.write_bytes(stale)                                    # a colleague saves the copy opened before
    before = snapshot(remote)
    result, alerts = click_as(remote, str(remote), "ardeskImportBank", bank_files=inbox_files(demo_dir))
    assert result.problems and result.summary["rows_added"] == {}          # only Exceptions written
    cli = FileWorkbook(remote).check_books()
    assert [str(p) for p in result.problems] == [str(p) for p in cli]
    assert f"posts lost: Invoices {posted.summary['invoices_issued']}" in alerts[0]["prompt"]
    assert alerts[0]["mode"] == "critical"
    after = snapshot(remote)
    for t in ("tblPayments", "tblJournal", "tblInvoices", "tblAudit"):
        assert after[t] == before[t], t
    assert [r["kind"] for r in records(remote)][-1] == "lost"


def test_without_a_file_the_click_says_once_that_there_is_no_run_log(pair, demo_dir):
    remote, _local = pair
    result, alerts = click_as(remote, remote.name, "ardeskImportBank", bank_files=inbox_files(demo_dir))
    assert result.written and alerts[0]["prompt"].count("No run log") == 1
    assert "xlwings Lite and xlwings Server" in alerts[0]["prompt"]
    assert not remote.with_name(remote.stem + ".ardesk").exists()
    url = "https://contoso.sharepoint.com/sites/ar/Shared Documents/remote.xlsx"
    result, alerts = click_as(remote, url, "ardeskBill")
    assert result.written and alerts[0]["prompt"].count("No run log") == 1
    assert f"on OneDrive or SharePoint ({url})" in alerts[0]["prompt"]
    port = FileWorkbook(remote)                  # the next command-line run adopts both by their anchors
    assert port.check_books() == []
    assert file_run(remote, "validate").problems == []
