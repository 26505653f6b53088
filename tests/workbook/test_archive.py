"""Archiving settled history to an archive workbook: nothing lost, reports unchanged, the link verifiable.

One demo workbook (60 customers, August to October 2026) is closed through September and
copied: the copy stays unarchived, the original is archived before 2026-10-01.  Every test
compares the two, as files read back by calamine.
"""
from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ardesk import app
from ardesk.cli import main
from ardesk.core.ledger import chain
from ardesk.core.ledger.archive import BROUGHT_FORWARD, MOVED, interleave
from ardesk.io import runlog
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Changes

from .conftest import sha, tables


def _header(path: Path, table: str) -> list[str]:
    from python_calamine import CalamineWorkbook
    return [str(c) for c in CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(table).columns]

BEFORE = date(2026, 10, 1)


def _copy_book(src: Path, dst: Path) -> Path:
    shutil.copy2(src, dst)
    log = src.with_name(src.stem + ".ardesk")
    if log.exists():
        shutil.copytree(log, dst.with_name(dst.stem + ".ardesk"))
    return dst


@pytest.fixture(scope="module")
def books(demo_master, tmp_path_factory):
    """(archived workbook, the same books unarchived, the archive run's result) in a module folder."""
    d = tmp_path_factory.mktemp("archive")
    live = _copy_book(demo_master, d / "live.xlsx")
    closed = app.run(FileWorkbook(live), "close", period="2026-09")
    assert closed.ok, closed.summary["problems"]
    whole = _copy_book(live, d / "whole.xlsx")
    res = app.archive_books(FileWorkbook(live), BEFORE)
    assert res.ok and res.summary["written"], res.summary["problems"]
    return live, whole, res


def _nonblank(rows):
    return [tuple(r) for r in rows if any(v not in (None, "") for v in r)]


def _baseline(workbook: Path) -> dict:
    recs = runlog.RunLog(runlog.folder_for(workbook)).records()
    return [r for r in recs if r.get("kind") == "baseline" and "archive" in r][-1]


def test_live_and_archive_together_are_the_books_before_cell_for_cell(books):
    live, whole, res = books
    archive = Path(res.summary["archive"])
    a, w, arc_t = tables(live), tables(whole), tables(archive)
    where = _baseline(live)["archive"]["tables"]
    moved_any = False
    for t in MOVED:
        kept = _nonblank(a[t])
        if t == "tblJournal":
            ix = _header(live, t).index("DocType")
            carried = [r for r in kept if r[ix] == BROUGHT_FORWARD]
            kept = [r for r in kept if r[ix] != BROUGHT_FORWARD]
            assert carried, "the journal's balances are brought forward"
        moved = _nonblank(arc_t[t])
        moved_any |= bool(moved)
        assert interleave(moved, kept, where[t]["where"]) == _nonblank(w[t]), t
        before = chain.State.from_json(where[t]["before"])
        rebuilt = interleave(moved, kept, where[t]["where"])
        assert chain.state([runlog.canon(r) for r in rebuilt]) == before, t
    assert moved_any
    # the typed receipts posted as payments that moved are on the archive's Receipts tab, in order
    receipts = _baseline(live)["archive"]["receipts"]
    moved, kept = _nonblank(arc_t["tblReceipts"]), _nonblank(a["tblReceipts"])
    assert len(moved) == receipts["moved"] > 0 and kept
    assert interleave(moved, kept, receipts["where"]) == _nonblank(w["tblReceipts"])
    pid = _header(live, "tblReceipts").index("PaymentID")
    archived_payments = {r[0] for r in _nonblank(arc_t["tblPayments"])}
    assert {r[pid] for r in moved} <= archived_payments
    assert not {r[pid] for r in kept} & archived_payments
    # the tabs archiving does not thin out are as they were
    for t in ("tblCustomers", "tblCharges"):
        assert a[t] == w[t]


def test_the_archive_tab_links_counts_and_hashes(books):
    live, _whole, res = books
    archive = Path(res.summary["archive"])
    arc_rows = tables(archive)
    ix = {h: i for i, h in enumerate(_header(live, "tblArchive"))}
    rows = _nonblank(tables(live)["tblArchive"])
    assert {r[ix["Table"]] for r in rows} == {"Invoices", "InvoiceLines", "Payments", "Allocations", "Journal"}
    by_sheet = {"Invoices": "tblInvoices", "InvoiceLines": "tblInvoiceLines", "Payments": "tblPayments",
                "Allocations": "tblAllocations", "Journal": "tblJournal"}
    for r in rows:
        have = [runlog.canon(x) for x in _nonblank(arc_rows[by_sheet[r[ix["Table"]]]])]
        assert r[ix["RowsInArchive"]] == len(have) == r[ix["RowsMoved"]]
        assert r[ix["ArchiveHash"]] == chain.extend(chain.GENESIS, have)
        assert r[ix["FileSHA256"]] == sha(archive)
    assert res.summary["moved"]["Invoices"] == len(_nonblank(arc_rows["tblInvoices"])) > 0


def test_ledgers_reconcile_and_verify_after_archiving(books):
    live, _whole, _res = books
    assert main(["verify", str(live)]) == 0
    res = app.run(FileWorkbook(live), "reconcile", as_of=date(2026, 10, 31), dry_run=True)
    assert res.ok and res.summary["subledger_equals_control"] and res.summary["journal_balanced"]


@pytest.mark.parametrize("as_of", [date(2026, 10, 31), date(2026, 9, 15), date(2026, 8, 31)])
def test_reports_equal_the_unarchived_books(books, as_of, tmp_path):
    """Aging at an archived date (read from the archive) and today's reports (from the carried totals),
    as written to the report tabs."""
    live, whole, res = books
    shutil.copy2(res.summary["archive"], tmp_path / Path(res.summary["archive"]).name)
    out = {}
    for path in (live, whole):
        p = _copy_book(path, tmp_path / path.name)
        r = app.run(FileWorkbook(p), "report", as_of=as_of)
        assert r.ok, r.summary["problems"]
        out[path.stem] = tables(p)
        out[path.stem]["_ar"] = r.summary["ar_balance"]
    a, w = out["live"], out["whole"]
    for t in ("tblSummary", "tblReconciliation", "tblTrends", "tblAgingTotals", "_ar"):
        assert a[t] == w[t], t
    if as_of < BEFORE:        # joined with the archive: every paid invoice counts, so all columns agree
        assert a["tblAging"] == w["tblAging"]
    else:                     # today's averages of days to pay cover the invoices still in the workbook
        assert [r[:-2] for r in a["tblAging"]] == [r[:-2] for r in w["tblAging"]]
        assert len(a["tblPaidInvoices"]) < len(w["tblPaidInvoices"])


def test_archiving_twice_is_archiving_once(books):
    live, _whole, res = books
    archive = Path(res.summary["archive"])
    before = sha(live), sha(archive)
    again = app.archive_books(FileWorkbook(live), BEFORE)
    assert again.ok and not again.summary["written"] and not any(again.summary["moved"].values())
    assert (sha(live), sha(archive)) == before


def test_numbers_continue_after_archiving(books, tmp_path):
    """Billing the next month after archiving gives the same invoice numbers as without archiving, and
    no payment or allocation id is used twice across archive and live."""
    live, whole, res = books
    issued, posted = {}, {}
    for name, path in (("live", live), ("whole", whole)):
        p = _copy_book(path, tmp_path / f"{name}.xlsx")
        if name == "live":
            shutil.copy2(res.summary["archive"], tmp_path / Path(res.summary["archive"]).name)
        typed = Changes()                   # a clerk types two checks before month-end
        typed.append("tblReceipts", [(date(2026, 11, 3), "check", "Payer GmbH", "", "", "100001", Decimal("120.00"),
                                      "EUR", None)] * 2)
        FileWorkbook(p).write(typed, backup=False)
        r = app.run(FileWorkbook(p), "month-end", period="2026-11")
        assert r.ok, r.summary["problems"]
        issued[name] = [row[0] for row in r.changes.appends["tblInvoices"]]
        posted[name] = r.changes.appends.get("tblPayments", [])
    assert issued["live"] == issued["whole"] and issued["live"]
    # the typed receipts left on the tab post as they would have: the same payments, fingerprints and all
    assert posted["live"] == posted["whole"] and len(posted["live"]) == 2
    arc = FileWorkbook(res.summary["archive"]).read_tables(["tblInvoices", "tblPayments", "tblAllocations"])
    mine = FileWorkbook(tmp_path / "live.xlsx").read_tables(["tblInvoices", "tblPayments", "tblAllocations"])
    for t in arc:
        ids = [r[0] for r in arc[t].rows + mine[t].rows if r[0]]
        assert len(ids) == len(set(ids)), t


def test_a_changed_archive_is_refused_naming_it(books, tmp_path, capsys):
    live, _whole, res = books
    p = _copy_book(live, tmp_path / "live.xlsx")
    archive = Path(res.summary["archive"])
    from openpyxl import load_workbook
    wb = load_workbook(archive)
    wb["Invoices"].cell(row=5, column=10).value = 1.23       # an archived invoice's Total
    wb.save(tmp_path / archive.name)
    assert main(["report", str(p), "--as-of", "2026-09-15"]) == 2
    err = capsys.readouterr().err
    assert archive.name in err and "do not hash" in err and "Invoices" in err
    # today's reports do not need the archive
    assert app.run(FileWorkbook(p), "report", as_of=date(2026, 10, 31), dry_run=True).ok


def test_bad_dates_are_refused_and_nothing_is_written(books, tmp_path, capsys):
    live, _whole, _res = books
    p = _copy_book(live, tmp_path / "live.xlsx")
    before = sha(p)
    assert main(["archive", str(p), "--before", "2026-09-15", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert "2026-09-15" in out["problems"][0] and "start of a month" in out["problems"][0]
    assert main(["archive", str(p), "--before", "2026-12-01"]) == 1
    assert "locked through 2026-09-30" in capsys.readouterr().out
    assert main(["archive", str(p), "--before", "2026-08-01"]) == 1
    assert "already archived up to 2026-10-01" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["archive", str(p), "--before", "not-a-date"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "'not-a-date' is not a date" in err and "Traceback" not in err
    assert sha(p) == before


def test_close_archives_when_settings_say_so(demo, tmp_path):
    from ardesk.io.port import Changes
    wb = FileWorkbook(demo)
    ch = Changes()
    ch.names["ArchiveAfterMonths"] = 1
    wb.write(ch)
    res = app.run(FileWorkbook(demo), "close", period="2026-09")
    assert res.ok, res.summary["problems"]
    assert res.summary["archive"]["written"] and res.summary["archive"]["before"] == "2026-09-01"
    assert Path(res.summary["archive"]["archive"]).exists()
    assert main(["verify", str(demo)]) == 0


def test_a_run_stopped_between_the_two_saves_is_finished_without_doubling(demo, monkeypatch):
    from ardesk.io.port import WorkbookError
    assert app.run(FileWorkbook(demo), "close", period="2026-09").ok
    whole = sha(demo)

    def fail(self, changes, backup):
        raise WorkbookError("disk full")
    with monkeypatch.context() as m:
        m.setattr(FileWorkbook, "_save_workbook", fail)
        with pytest.raises(WorkbookError):
            app.archive_books(FileWorkbook(demo), BEFORE)
    assert sha(demo) == whole
    archive = demo.with_name("demo-archive.xlsx")
    first = tables(archive)["tblInvoices"]
    res = app.archive_books(FileWorkbook(demo), BEFORE)
    assert res.ok and res.summary["written"]
    assert tables(archive)["tblInvoices"] == first and res.summary["moved"]["Invoices"] == len(_nonblank(first))
    assert len(_nonblank(tables(archive)["tblReceipts"])) == res.summary["moved"]["Receipts"] > 0
    assert main(["verify", str(demo)]) == 0


def test_close_from_excel_says_archiving_runs_on_the_file():
    from ardesk.io.memory import MemoryWorkbook
    res = app.run(MemoryWorkbook({"ArchiveAfterMonths": 3}), "close", period="2026-09")
    assert res.ok, res.summary["problems"]
    assert any("ardesk archive" in str(n) for n in res.notes)


def test_a_report_at_an_archived_date_without_the_file_is_refused(books):
    """Through a port without a file (Excel's), an archived date cannot be joined: said, not guessed."""
    from ardesk.io.memory import MemoryWorkbook
    live, _whole, _res = books
    port = FileWorkbook(live)
    mem = MemoryWorkbook(port.read_settings())
    mem.rows.update({t: list(tab.rows) for t, tab in port.read_tables(list(app.ALL_TABLES) + [
        "tblArchive", "tblArchiveTotals"]).items()})
    res = app.run(mem, "report", as_of=date(2026, 9, 15), dry_run=True)
    assert not res.ok and any("ardesk report WORKBOOK --as-of 2026-09-15" in p for p in res.summary["problems"])


def test_libreoffice_reads_both_workbooks_as_calamine_does(books, tmp_path):
    """The rewritten live ledgers and the appended archive are real workbooks for another reader."""
    import subprocess
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed; scripts/test.sh installs it")
    live, _whole, res = books
    archive = Path(res.summary["archive"])
    out = tmp_path / "lo"
    proc = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "xlsx", "--outdir", str(out), str(live), str(archive)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    from python_calamine import CalamineWorkbook
    for path in (live, archive):
        a, b = CalamineWorkbook.from_path(str(path)), CalamineWorkbook.from_path(str(out / path.name))
        for sheet in ("Invoices", "InvoiceLines", "Payments", "Allocations", "Journal", "Archive", "ArchiveTotals"):
            assert a.get_sheet_by_name(sheet).to_python() == b.get_sheet_by_name(sheet).to_python(), (path, sheet)
