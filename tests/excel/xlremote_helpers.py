"""Helpers for the xlwings-layer tests: press a button through the remote engine, compare workbooks."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ardesk import app, schema
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.rows import canonical

NOW = datetime(2026, 11, 2, 9, 30)
USER = "clerk"
PERIOD = "2026-10"
# every table, the cash-application tabs included; not ChainState, which only clicks without a run log keep
TABLES = tuple(n for n, t in schema.TABLES.items() if t.role != "state")
REPORT_SHEETS = ("Aging", "Summary", "Reconciliation")


def inbox_files(demo_dir: Path) -> list[Path]:
    return sorted((demo_dir / "inbox").iterdir())


def click(path: Path, control_id: str, *, dates: str = "iso", saved: bool = False, **kw):
    """Press a button on the workbook file through xlwings' remote engine and apply its actions.

    ``saved``: the workbook's name is its full path, as the classic add-in's ``Book.fullname`` gives it
    (xlwings Server and Lite are sent the name alone)."""
    import xlwings as xw
    from ardesk.excel import buttons
    from ardesk.excel.payload import apply_to_file, book_payload
    payload = book_payload(path, dates=dates)                 # every sheet, as xlwings Server sends it
    if saved:
        payload["book"]["name"] = str(path.resolve())
    book = xw.Book(json=payload)
    result = buttons.run_button(book, control_id, now=NOW, user=USER, **kw)
    actions = [dict(a) for a in book.json()["actions"]]
    alerts = apply_to_file(path, actions)
    return result, actions, alerts


def file_run(path: Path, command: str, **kw):
    return app.run(FileWorkbook(path), command, now=NOW, user=USER, **kw)


def snapshot(path: Path) -> dict:
    """Every table (header and non-blank rows), every setting and the report titles, comparable."""
    from openpyxl import load_workbook
    port = FileWorkbook(path)
    out = {}
    for name, t in port.read_tables(TABLES).items():
        out[name] = (t.header, [tuple(map(canonical, r)) for r in t.rows if not t.is_blank(r)])
    out["settings"] = {k: canonical(v) for k, v in port.read_settings().items()}
    wb = load_workbook(path, read_only=True)
    out["titles"] = {s: wb[s]["A2"].value for s in REPORT_SHEETS}
    return out


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == b[k], f"{k} differs"
