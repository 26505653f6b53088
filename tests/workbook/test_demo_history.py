"""The demo's history length: ``history_months`` months billed and received before the month-end's."""
from __future__ import annotations

from ardesk.demo import build_demo
from ardesk.io.fileadapter import FileWorkbook


def _periods(path) -> set[str]:
    t = FileWorkbook(path).read_tables(["tblInvoices"])["tblInvoices"]
    ix = t.header.index("Period")
    return {row[ix] for row in t.rows if row[ix]}


def test_the_demo_holds_as_many_months_of_history_as_asked(tmp_path):
    build_demo(tmp_path / "four.xlsx", customers=30, period="2026-10", history_months=4, dry_run=True)
    assert _periods(tmp_path / "four.xlsx") == {"2026-06", "2026-07", "2026-08", "2026-09"}
    build_demo(tmp_path / "two.xlsx", customers=30, period="2026-10", dry_run=True)
    assert _periods(tmp_path / "two.xlsx") == {"2026-08", "2026-09"}
