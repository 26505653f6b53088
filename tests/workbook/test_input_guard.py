"""The save's last check: no cell a clerk typed on an input tab comes back changed.  Tabs whose parts the
save copied as stored are not read again; any other tab is compared cell by cell."""
from __future__ import annotations

import shutil

import openpyxl
import pytest

from ardesk.io.fileadapter import refuse_rewritten_inputs
from ardesk.io.port import Changes, WorkbookError


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The tables the check reads with calamine."""
    from python_calamine import CalamineWorkbook
    seen = []
    get = CalamineWorkbook.get_table_by_name

    def spy(self, name):
        seen.append(name)
        return get(self, name)
    monkeypatch.setattr(CalamineWorkbook, "get_table_by_name", spy)
    return seen


def test_tabs_copied_as_stored_are_not_read_again(demo, tmp_path, reads):
    same = tmp_path / "same.xlsx"
    shutil.copy(demo, same)
    refuse_rewritten_inputs(demo, same, Changes())
    assert reads == []


def test_a_changed_input_cell_is_refused_and_a_rewritten_tab_compared(demo, tmp_path, reads):
    wb = openpyxl.load_workbook(demo)
    ws = wb["Customers"]
    cell = ws.tables["tblCustomers"].ref.split(":")[0]
    row = int("".join(ch for ch in cell if ch.isdigit())) + 1
    name_col = [c.value for c in ws[row - 1]].index("Name") + 1
    rewritten = tmp_path / "rewritten.xlsx"
    wb.save(rewritten)                            # every part rewritten, every value as it was
    refuse_rewritten_inputs(demo, rewritten, Changes())
    assert "tblCustomers" in reads and "tblCharges" in reads
    typed = ws.cell(row, name_col).value
    ws.cell(row, name_col).value = typed + " (changed)"
    changed = tmp_path / "changed.xlsx"
    wb.save(changed)
    with pytest.raises(WorkbookError, match=rf"Customers [A-Z]+{row} \(Name\) from '{typed}'"):
        refuse_rewritten_inputs(demo, changed, Changes())
    ch = Changes()
    ch.update("tblCustomers", row, "Name", typed + " (changed)")    # a stamp the run meant to write
    refuse_rewritten_inputs(demo, changed, ch)
