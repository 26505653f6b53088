"""A workbook that holds, byte for byte, the ledger parts the last run wrote is cleared by their digests,
without a ledger row read or hashed; anything else takes the full check, which finds what it always found."""
from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from ardesk import app
from ardesk.io import runlog
from tests.workbook.conftest import logged_copy
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.package import Package, value_parts
from ardesk.io.package.writer import table_parts


@pytest.fixture(scope="module")
def demo(logged_demo):
    return logged_demo


def _no_rows_hashed(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("ledger rows were read and hashed")
    monkeypatch.setattr(runlog, "ledger_rows", refuse)
    monkeypatch.setattr(runlog.RunLog, "records", refuse)


def _rows_hashed(monkeypatch) -> list:
    calls = []
    ledger_rows = runlog.ledger_rows
    monkeypatch.setattr(runlog, "ledger_rows", lambda *a, **k: calls.append(1) or ledger_rows(*a, **k))
    return calls


def _replace_part(book, part: str, edit) -> None:
    """Rewrite one part of the zip (every other entry copied as stored), as a program editing the file would."""
    tmp = book.with_name("edited.xlsx")
    with Package(book) as pkg:
        pkg.replace(part, edit(pkg.read(part)))
        pkg.save(tmp)
    os.replace(tmp, book)


def _last_line(book) -> dict:
    return json.loads(FileWorkbook(book).log().lines()[-1])


def test_a_workbook_as_the_last_run_wrote_it_is_cleared_without_hashing_a_row(demo, tmp_path, monkeypatch):
    book = logged_copy(demo, tmp_path)
    with Package(book) as pkg:
        assert _last_line(book)["parts"] == value_parts(pkg, runlog.LEDGERS)    # of the file as saved
        sheets = {t.sheet_part for name, t in table_parts(pkg).items() if name in runlog.LEDGERS}
    assert sheets <= set(_last_line(book)["parts"]) and len(sheets) >= 10
    _no_rows_hashed(monkeypatch)
    port = FileWorkbook(book)
    assert port.check_books() == []
    assert port.ledger_states() == {t: runlog.State.from_json(s) for t, s in _last_line(book)["after"].items()}
    monkeypatch.undo()
    # a run on it posts as on any book, and leaves a commit line naming its own parts; the rows are read only
    # if something asks for them
    calls = _rows_hashed(monkeypatch)
    res = app.run(FileWorkbook(book), "month-end", period="2026-11", now=datetime(2026, 12, 1, 9, 0))
    assert res.ok and res.written, res.summary["problems"]
    assert calls == []
    with Package(book) as pkg:
        assert _last_line(book)["parts"] == value_parts(pkg, runlog.LEDGERS)
    assert FileWorkbook(book).check_books() == [] and calls == []
    # the full check agrees: every row hashed, the same states
    full = FileWorkbook(book)
    assert full.check_books(full=True) == [] and calls == [1]
    again = FileWorkbook(book)
    again.check_books()
    assert full.ledger_states() == again.ledger_states()


def test_one_byte_of_a_ledger_sheet_changed_is_found_by_the_full_check(demo, tmp_path, monkeypatch):
    book = logged_copy(demo, tmp_path)
    with Package(book) as pkg:
        journal = table_parts(pkg)["tblJournal"].sheet_part
    row = {}

    def raise_one_debit(xml: bytes) -> bytes:      # the first number of row 5 (an entry id, a line or an amount)
        m = re.search(rb'<row r="5"[^>]*>.*?<c r="([A-Z]+)5"[^>]*><v>(\d)', xml)
        row["col"] = m.group(1).decode()
        return xml[:m.start(2)] + (b"9" if m.group(2) != b"9" else b"8") + xml[m.end(2):]
    _replace_part(book, journal, raise_one_debit)
    calls = _rows_hashed(monkeypatch)
    problems = FileWorkbook(book).check_books()
    assert calls, "the digests of the changed sheet cannot clear it"
    assert [(p.sheet, p.row) for p in problems] == [("Journal", 5)], problems
    assert "posted row edited" in problems[0].message


@pytest.mark.parametrize("kind", ["workbook", "styles", "sheet", "table", "sheet relationships"])
def test_every_part_the_values_are_read_from_takes_the_full_check_when_changed(demo, tmp_path, kind):
    book = logged_copy(demo, tmp_path)
    with Package(book) as pkg:
        t = table_parts(pkg)["tblPayments"]
        part = {"workbook": "xl/workbook.xml", "styles": "xl/styles.xml", "sheet": t.sheet_part,
                "table": t.part, "sheet relationships": "xl/worksheets/_rels/" + t.sheet_part.rsplit("/", 1)[1]
                + ".rels"}[kind]
        assert part in value_parts(pkg, runlog.LEDGERS)
    _replace_part(book, part, lambda xml: xml + b"\n")          # same values, other bytes
    port = FileWorkbook(book)
    log = port.log()
    assert runlog.unchanged(log, port.ledger_parts(), port.ledger_tables) is None
    assert port.check_books() == []                 # the full check: the values are the same


def test_a_book_saved_by_another_program_takes_the_full_check(demo, tmp_path, monkeypatch):
    book = logged_copy(demo, tmp_path)
    wb = load_workbook(book)
    wb.save(book)                                   # what Excel does too: every part written anew
    calls = _rows_hashed(monkeypatch)
    assert FileWorkbook(book).check_books() == [] and calls


def test_a_stale_copy_saved_over_the_book_is_found_though_an_older_line_names_its_parts(demo, tmp_path):
    book = logged_copy(demo, tmp_path)
    stale = tmp_path / "stale.xlsx"
    shutil.copy2(book, stale)                       # a colleague opens the workbook
    res = app.run(FileWorkbook(book), "receive", now=datetime(2026, 11, 2, 9, 0),
                  bank_files=[_bank_file(tmp_path)])
    assert res.ok and res.written and res.summary["receipts_posted"] == 1, res.summary
    os.replace(stale, book)                         # ... and saves it after ardesk posted
    problems = FileWorkbook(book).check_books()
    assert problems and problems[0].message.startswith("posts lost"), problems


def test_the_commit_line_does_not_vouch_for_a_file_replaced_after_the_run_began(demo, tmp_path):
    book = logged_copy(demo, tmp_path)
    port = FileWorkbook(book)
    copy = tmp_path / "copy.xlsx"
    shutil.copy2(book, copy)
    os.replace(copy, book)                          # the same bytes, but not the file the run began with
    assert port.ledger_parts() is None
    assert FileWorkbook(book).ledger_parts() is not None


def _bank_file(folder) -> str:
    p = folder / "bank.csv"
    p.write_text("date,amount,payer,reference\n2026-11-02,12.34,Someone,unmatched\n", encoding="utf-8")
    return str(p)


def test_a_log_without_digests_still_works(demo, tmp_path, monkeypatch):
    book = logged_copy(demo, tmp_path)
    log = FileWorkbook(book).log()
    lines = [json.loads(ln) for ln in log.lines()]
    log.file.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "parts"}) + "\n" for r in lines),
                        encoding="utf-8")
    calls = _rows_hashed(monkeypatch)
    assert FileWorkbook(book).check_books() == [] and calls
    res = app.run(FileWorkbook(book), "report", as_of=date(2026, 11, 30), now=datetime(2026, 12, 1, 9, 0))
    assert res.ok, res.summary["problems"]
