"""The usual check reads only the run log's last line; anything else still reads the log whole."""
from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime

import pytest
from openpyxl import load_workbook

from ardesk.io import runlog
from tests.workbook.conftest import logged_copy
from ardesk.io.fileadapter import FileWorkbook


@pytest.fixture(scope="module")
def demo(logged_demo):
    return logged_demo


def _no_whole_read(monkeypatch):
    def refuse(self):
        raise AssertionError("the whole log was read")
    monkeypatch.setattr(runlog.RunLog, "records", refuse)


def _watch_texts(monkeypatch) -> list:
    """The ``as_text`` of each ledger_rows call (canonical rows masked or not)."""
    texts = []
    ledger_rows = runlog.ledger_rows
    monkeypatch.setattr(runlog, "ledger_rows", lambda tables, as_text=runlog.canon: texts.append(as_text) or
                        ledger_rows(tables, as_text))
    return texts


def _without_parts(log) -> None:
    """The log as a port that cannot tell the digests of the ledger parts (Excel's) writes its commit lines:
    no parts, nor the segments that come with them."""
    lines = [json.loads(ln) for ln in log.lines()]
    log.file.write_text("".join(json.dumps({k: v for k, v in r.items() if k not in ("parts", "segments")}) + "\n"
                                for r in lines), encoding="utf-8")


def test_last_commit_line_carries_the_states_and_suffices(demo, tmp_path, monkeypatch):
    book = logged_copy(demo, tmp_path)
    port = FileWorkbook(book)
    records = port.log().records()
    last_run = [r for r in records if r["kind"] in ("run", "baseline")][-1]
    assert set(records[-1]["parts"]) >= {"xl/workbook.xml", "xl/styles.xml"}
    _without_parts(port.log())
    records = port.log().records()
    assert records[-1] == {"kind": "commit", "run": last_run["id"], "after": last_run["after"]}
    assert [r["kind"] for r in port.log().records_from_last()] == [r["kind"] for r in reversed(records)]
    _no_whole_read(monkeypatch)
    texts = _watch_texts(monkeypatch)
    assert port.check_books() == []
    assert texts == [runlog.chain.canonical_row]     # nor masks a cell: the rows were masked when written
    assert port.ledger_states() == {t: runlog.State.from_json(s) for t, s in last_run["after"].items()}


def test_an_edited_row_is_still_found(demo, tmp_path, monkeypatch):
    book = logged_copy(demo, tmp_path)
    wb = load_workbook(book)
    ws = wb["Journal"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("Debit") + 1 if "Debit" in header else 3)
    cell.value = f"{cell.value}9"
    wb.save(book)
    texts = _watch_texts(monkeypatch)
    problems = FileWorkbook(book).check_books()
    assert texts == [runlog.chain.canonical_row]
    assert any(p.sheet == "Journal" and p.row == 2 for p in problems), problems     # masked, then compared
    _no_whole_read(monkeypatch)                 # the last line alone cannot clear an edited book
    with pytest.raises(AssertionError, match="whole log"):
        FileWorkbook(book).check_books()


def test_a_log_written_before_commit_lines_had_states(demo, tmp_path, monkeypatch):
    book = logged_copy(demo, tmp_path)
    log = FileWorkbook(book).log()
    lines = [json.loads(ln) for ln in log.lines()]
    log.file.write_text("".join(json.dumps({k: v for k, v in r.items() if not (r["kind"] == "commit" and k == "after")})
                                + "\n" for r in lines), encoding="utf-8")
    assert FileWorkbook(book).check_books() == []
    _no_whole_read(monkeypatch)
    with pytest.raises(AssertionError, match="whole log"):
        FileWorkbook(book).check_books()


def test_the_baseline_is_written_row_by_row_as_one_line(demo, tmp_path):
    book = logged_copy(demo, tmp_path)
    shutil.rmtree(book.with_name("books.ardesk"))
    port = FileWorkbook(book)
    assert port.check_books() == []
    actual = port.last_check.actual
    runlog.start(port.log(), actual, datetime(2026, 11, 1, 8, 0))
    first, commit, end = port.log().file.read_bytes().split(b"\n")
    rec = json.loads(first)
    assert end == b"" and rec["kind"] == "baseline" and rec["at"] == "2026-11-01T08:00:00"
    assert rec["appends"] == {t: [[runlog.encode(v) for v in raw] for _n, _c, raw in rows]
                              for t, rows in actual.items()}
    assert rec["id"] == hashlib.sha256(first[:first.rindex(b',"id":')]).hexdigest()[:24]
    assert json.loads(commit) == {"kind": "commit", "run": rec["id"], "after": rec["after"]}
    history = runlog.fold(port.log().records(), port.last_check.ledger_states())
    assert {t: c for t, c in history.canon.items() if t in actual} == {
        t: [c for _n, c, _r in rows] for t, rows in actual.items()}
    assert history.states() == {t: runlog.State.from_json(s) for t, s in rec["after"].items()}
    assert FileWorkbook(book).check_books() == []


def test_states_as_the_last_audit_row_anchored_them(demo, monkeypatch):
    from dataclasses import replace
    tables = runlog.read_ledgers(FileWorkbook(demo).read_tables)
    masked = runlog.states_of(runlog.ledger_rows(tables))
    assert masked["tblJournal"].count > 100
    again = []
    monkeypatch.setattr(runlog, "masked", lambda rows, masked=runlog.masked: again.append(1) or masked(rows))
    assert runlog.ledger_states(tables) == masked and not again            # as anchored: no masking
    journal = tables["tblJournal"]
    memo = journal.header.index("Memo")
    row = list(journal.rows[3])
    row[memo] = "paid with 4111 1111 1111 1111"          # a hand edit, and one that masking changes
    edited = dict(tables, tblJournal=replace(journal, rows=journal.rows[:3] + [tuple(row)] + journal.rows[4:]))
    assert runlog.ledger_states(edited) == runlog.states_of(runlog.ledger_rows(edited)) and again == [1]
    assert runlog.ledger_states(edited) != masked
    audit = tables["tblAudit"]
    later = dict(tables, tblAudit=replace(audit, rows=audit.rows + [("2026-11-01", "x", "y", "no anchor")]))
    assert runlog.ledger_states(later) == runlog.states_of(runlog.ledger_rows(later)) and len(again) == 3


def test_rows_another_program_wrote_unmasked_are_masked_then_compared_with_the_last_line(demo, tmp_path,
                                                                                          monkeypatch):
    book = logged_copy(demo, tmp_path)
    wb = load_workbook(book)
    ws = wb["Journal"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("Memo") + 1).value = "paid with 4111 1111 1111 1111"
    wb.save(book)
    shutil.rmtree(book.with_name("books.ardesk"))       # the log starts from the book as it is now
    port = FileWorkbook(book)
    port.check_books()
    runlog.start(port.log(), port.last_check.actual, datetime(2026, 11, 1, 8, 0))
    texts = _watch_texts(monkeypatch)
    _no_whole_read(monkeypatch)
    again = FileWorkbook(book)
    assert again.check_books() == [] and texts == [runlog.chain.canonical_row]
    assert "paid with ************1111" in [c for _n, c, _r in again.last_check.actual["tblJournal"]][1]
