"""The ChainState tab: a click from Lite or Server hashes only the ledger rows posted since the last click.

Every test runs clicks through xlwings' remote engine on a demo workbook (no run log: the remote engine is
given no file) and compares the chain states the stored state gives with the ones hashing every row gives.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from ardesk import schema
from ardesk.cli import main as cli
from ardesk.core.ledger import chain
from ardesk.core.ledger.chain import LEDGERS
from ardesk.io import quickstate, runlog

from .xlremote_helpers import click, inbox_files


def remote_read(path):
    """Every ledger and the ChainState tab as the remote engine reads them from the file, and the engine's
    values of their rows (what a click fingerprints)."""
    import xlwings as xw
    from ardesk.excel.adapter import XlwingsWorkbook
    from ardesk.excel.payload import book_payload
    port = XlwingsWorkbook(xw.Book(json=book_payload(path)))
    return port.read_tables([*LEDGERS, quickstate.TABLE]), port.as_read


def remote_tables(path):
    return remote_read(path)[0]


def quick(read):
    tables, as_read = read
    return quickstate.states(tables, runlog.canon, as_read)


def full_states(tables):
    """The states as a click without the ChainState tab hashes them: every row of every ledger."""
    return runlog.ledger_states({t: v for t, v in tables.items() if t != quickstate.TABLE})


def full_path_refused(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("every ledger row was hashed")
    monkeypatch.setattr(runlog, "ledger_rows", refuse)


@pytest.fixture
def clicked(pair):
    """The remote copy after a Bill period click, which stores the ChainState."""
    remote, _local = pair
    result, _actions, _alerts = click(remote, "ardeskBill")
    assert result is not None and result.summary["invoices_issued"] > 0
    return remote


def test_the_template_starts_every_ledger_from_the_empty_chain(tmp_path):
    from ardesk.io.template import create_workbook
    from openpyxl import load_workbook
    path = create_workbook(tmp_path / "new.xlsx")
    assert load_workbook(path)["ChainState"].sheet_state == "veryHidden"
    read = remote_read(path)
    assert set(quickstate.stored(read[0][quickstate.TABLE])) == set(LEDGERS)
    assert quick(read) == full_states(read[0]) == {t: chain.state([]) for t in LEDGERS}


def test_a_click_stores_the_states_of_the_rows_it_read(clicked, pair):
    _remote, local = pair                                       # the workbook as the click read it
    read = remote_tables(local)
    states = full_states(read)
    kept = quickstate.stored(remote_tables(clicked)[quickstate.TABLE])
    assert set(kept) == set(LEDGERS)
    for t in LEDGERS:
        assert kept[t].state == states[t] and kept[t].rows == quickstate.read_extent(read[t]), t
    assert kept["tblInvoices"].state.count > 0                  # the two months of history


def test_the_next_click_hashes_only_the_new_rows(clicked, demo_dir, monkeypatch):
    """Two more posting clicks with the every-row path refused: both post, anchor every ledger as hashing
    every row would, and `ardesk verify` finds every posted row as anchored."""
    before = full_states(remote_tables(clicked))
    with monkeypatch.context() as m:
        full_path_refused(m)
        result, _a, _al = click(clicked, "ardeskImportBank", bank_files=inbox_files(demo_dir))
        assert result is not None and result.summary["receipts_posted"] > 0
        result, _a, _al = click(clicked, "ardeskBill")          # November has not begun: nothing to bill,
        assert result is not None                               # and nothing posted, nothing anchored
    read = remote_read(clicked)
    tables = read[0]
    after = full_states(tables)
    assert after["tblPayments"].count > before["tblPayments"].count
    assert quick(read) == after
    anchored = chain.last_anchor(tables["tblAudit"])
    audit_rows = after["tblAudit"].count - 1                    # the anchoring row counts the rows before it
    assert anchored["tblPayments"] == (after["tblPayments"].count, after["tblPayments"].head[:chain.ANCHOR])
    assert anchored["tblAudit"][0] == audit_rows
    assert cli(["verify", str(clicked)]) == 0


def _edit(rows, i, j, value):
    row = list(rows[i])
    row[j] = value
    rows[i] = type(rows[i])(row)


def _retype(rows, i, j):
    _edit(rows, i, j, str(rows[i][j]))


# (table, what a clerk did to its rows): done alike to the rows as read and to the engine's values of them
STORED_ROWS_CHANGED = {
    "edited cell": ("tblJournal", lambda rows, t: _edit(rows, 3, t.header.index("Memo"), "edited")),
    "amount retyped as text": ("tblPayments", lambda rows, t: _retype(rows, 0, t.header.index("Amount"))),
    "deleted row": ("tblAllocations", lambda rows, t: rows.pop(2)),
    "inserted row": ("tblInvoices", lambda rows, t: rows.insert(1, rows[5])),
    "header renamed": ("tblJournal", lambda rows, t: None),
}
LATER_ROWS_CHANGED = {
    "edited row of the last click": ("tblInvoices", lambda rows, t: _edit(rows, -1, 2, "C9999")),
    "deleted row of the last click": ("tblInvoiceLines", lambda rows, t: rows.pop()),
    "row inserted among the last click's": ("tblInvoiceLines", lambda rows, t: rows.insert(-3, rows[0])),
}


def _change(read, table, do):
    tables, as_read = read
    do(tables[table].rows, tables[table])
    do(as_read[table], tables[table])


@pytest.mark.parametrize("change", STORED_ROWS_CHANGED)
def test_a_change_in_the_stored_rows_falls_back_to_hashing_every_row(clicked, change):
    read = remote_read(clicked)
    assert quick(read) is not None
    _change(read, *STORED_ROWS_CHANGED[change])
    if change == "header renamed":
        t = read[0]["tblJournal"]
        t.header = tuple("Note" if h == "Memo" else h for h in t.header)
    assert quick(read) is None
    assert runlog.ledger_states(*read) == full_states(read[0])


@pytest.mark.parametrize("change", LATER_ROWS_CHANGED)
def test_a_change_after_the_stored_rows_is_hashed_as_it_is(clicked, change):
    """The rows after the stored ones are chained as read, changed or not: the states hashing every row gives
    (which then differ from what the last click anchored, as `ardesk verify` reports)."""
    read = remote_read(clicked)
    before = quick(read)
    _change(read, *LATER_ROWS_CHANGED[change])
    assert quick(read) == full_states(read[0]) != before


def test_a_forged_chain_state_is_anchored_and_verify_reports_it(clicked, demo_dir):
    """Anyone can edit the tab: a forged head is taken (the fingerprint still matches the rows), so the next
    click anchors a head the rows do not reach; `ardesk verify`, which recomputes every chain from the rows and
    never reads the tab, reports it."""
    from openpyxl import load_workbook
    assert cli(["verify", str(clicked)]) == 0
    wb = load_workbook(clicked)
    ws = wb["ChainState"]
    head = list(schema.CHAIN_STATE.header).index("Head") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "tblPayments")
    ws.cell(row=row, column=head).value = "f" * 64
    wb.save(clicked)
    result, _a, _al = click(clicked, "ardeskImportBank", bank_files=inbox_files(demo_dir))
    assert result is not None and result.summary["receipts_posted"] > 0
    assert cli(["verify", str(clicked)]) == 1


def test_a_stale_copy_gives_its_own_states_and_one_without_the_tab_falls_back(clicked, pair):
    """Rows saved from a copy opened before the click, under the ChainState the click wrote: the states are the
    stale rows' own (the ones the click read), as hashing every row gives; a workbook without the tab hashes
    every row."""
    _remote, local = pair
    stale, as_read = remote_read(local)
    stale[quickstate.TABLE] = remote_tables(clicked)[quickstate.TABLE]
    assert quick((stale, as_read)) == full_states(stale)
    assert quick(({t: v for t, v in stale.items() if t != quickstate.TABLE}, as_read)) is None


def test_rows_posted_by_the_command_line_in_between_are_chained_on(clicked, demo_dir):
    """A command-line run after the click appends rows the ChainState never saw: they are hashed from the
    click's states, and give what hashing every row gives."""
    from .xlremote_helpers import file_run
    assert file_run(clicked, "receive", bank_files=inbox_files(demo_dir)).summary["receipts_posted"] > 0
    read = remote_read(clicked)
    kept = quickstate.stored(read[0][quickstate.TABLE])
    states = full_states(read[0])
    assert states["tblPayments"].count > kept["tblPayments"].state.count
    assert quick(read) == states


def test_the_fingerprint_tells_apart_what_the_chain_tells_apart():
    """Values the chain hashes differently never share a fingerprint (1 and "1.0", True and "TRUE", a date and
    its text), and values read back alike share one."""
    rows = [[(1,)], [(1.0,)], [("1",)], [("1.0",)], [(True,)], [("TRUE",)], [(None,)], [("",)],
            [(date(2026, 10, 1),)], [("2026-10-01",)], [(1, None)], [(1,), (None,)]]
    prints = [quickstate.fingerprint(("A",), r) for r in rows]
    assert len(set(prints)) == len(rows)
    same = [("a", 1.5, date(2026, 1, 2))]
    assert quickstate.fingerprint(("A", "B", "C"), same) == quickstate.fingerprint(("A", "B", "C"), list(same))
    assert quickstate.fingerprint(("A", "B", "C"), same) != quickstate.fingerprint(("A", "C", "B"), same)


def test_a_malformed_chain_state_row_is_no_state():
    from ardesk.io.port import Table
    header = schema.CHAIN_STATE.header
    good = ("tblJournal", 3, 3, "a" * 64, "b" * 64)
    bad = [("tblJournal", 3, 3, "A" * 64, "b" * 64), ("tblJournal", 3.5, 3, "a" * 64, "b" * 64),
           ("tblJournal", 3, 4, "a" * 64, "b" * 64), ("Journal", 3, 3, "a" * 64, "b" * 64),
           ("tblJournal", 3, 3, "a" * 63, "b" * 64), ("tblJournal", -1, 0, "a" * 64, "b" * 64),
           ("tblJournal", float("inf"), 3, "a" * 64, "b" * 64), ("tblJournal", 3, float("nan"), "a" * 64, "b" * 64)]
    assert set(quickstate.stored(Table(quickstate.TABLE, "ChainState", header, [good]))) == {"tblJournal"}
    for row in bad:
        assert quickstate.stored(Table(quickstate.TABLE, "ChainState", header, [row])) == {}, row


def test_actions_applied_to_the_payload_read_as_the_file_they_were_applied_to(pair):
    """The benchmark times a click that follows another without a file in between: the payload with the
    first click's actions applied reads, table by table, as the file with them applied, ChainState included."""
    import xlwings as xw
    from ardesk.excel import buttons
    from ardesk.excel.adapter import XlwingsWorkbook
    from ardesk.excel.payload import apply_to_file, apply_to_payload, book_payload
    from .xlremote_helpers import NOW, USER
    remote, _local = pair
    payload = book_payload(remote)
    book = xw.Book(json=payload)
    assert buttons.run_button(book, "ardeskBill", now=NOW, user=USER).summary["invoices_issued"] > 0
    actions = [dict(a) for a in book.json()["actions"]]
    apply_to_file(remote, actions)
    names = [*schema.TABLES]
    by_payload = XlwingsWorkbook(xw.Book(json=apply_to_payload(payload, actions))).read_tables(names)
    by_file = remote_tables(remote) | XlwingsWorkbook(xw.Book(json=book_payload(remote))).read_tables(names)
    for name in names:
        assert (by_payload[name].header, by_payload[name].rows) == (by_file[name].header, by_file[name].rows), name


def test_a_click_after_an_edit_in_the_workbook_hashes_every_row(clicked, demo_dir, monkeypatch):
    """The edit made in the file (as a clerk types over a posted cell) changes what the engine sends: the click
    fingerprints the values as sent, finds them changed and hashes every row, as a click did before."""
    from openpyxl import load_workbook
    wb = load_workbook(clicked)
    ws = wb["Journal"]
    memo = [c.value for c in ws[1]].index("Memo") + 1
    ws.cell(row=5, column=memo).value = "typed over"
    wb.save(clicked)
    hashed = []
    every_row = runlog.ledger_rows
    monkeypatch.setattr(runlog, "ledger_rows", lambda *a, **k: hashed.append(1) or every_row(*a, **k))
    result, _a, _al = click(clicked, "ardeskImportBank", bank_files=inbox_files(demo_dir))
    assert result is not None and result.summary["receipts_posted"] > 0 and hashed
    read = remote_read(clicked)
    assert quick(read) == full_states(read[0])                    # stored afresh after the edit
    assert cli(["verify", str(clicked)]) == 0       # the edit came before this click's anchor, which names it


def test_a_fingerprint_goes_on_from_the_stored_part_as_if_made_at_once():
    """record() goes on from the running fingerprint states() made of the stored rows: the same digest as
    fingerprinting every row at once, for any split (none stored, some, all)."""
    from ardesk.io.port import Table
    header = ("A", "B")
    rows = [("x", 1), ("y", date(2026, 1, 2)), (None, 2.5)]
    table = Table("tblJournal", "Journal", header, rows)
    for done in range(len(rows) + 1):
        digests = {}
        stored_state = quickstate.Stored(done, chain.state([]), quickstate.fingerprint(header, rows[:done]))
        tables = {"tblJournal": table, quickstate.TABLE: Table(quickstate.TABLE, "ChainState",
                                                               schema.CHAIN_STATE.header,
                                                               [stored_state.as_row("tblJournal")])}
        quickstate.states(tables, runlog.canon, None, digests)
        assert digests["tblJournal"][0] == done
        row = quickstate.record(tables, {"tblJournal": chain.state([])}, None, digests)[0]
        assert row[4] == quickstate.fingerprint(header, rows) == hashlib.sha256(
            json.dumps([list(header), [["x", 1], ["y", {"d": "2026-01-02"}], [None, 2.5]]],
                       separators=(",", ":")).encode()).hexdigest(), done
